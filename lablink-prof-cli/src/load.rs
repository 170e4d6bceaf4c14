//! Reading profile files, with every problem reported against the file's name.
//!
//! Files written before a field existed get it filled in by the profile model's rules
//! (`Profile::complete_missing_figures`), so the subcommands can rely on every figure.

use std::path::Path;

use lablink_prof_runtime::ReportError;
use lablink_prof_runtime::model::json::parse_json;
use lablink_prof_runtime::profile::Profile;
use lablink_prof_runtime::report::read_json;

use crate::error::CliError;

/// Reads and completes one profile file.
///
/// # Errors
/// [`CliError::Input`] naming the file when it is missing, empty, unreadable, truncated,
/// not JSON, not a profile, or of a newer format version.
pub fn load(path: &Path) -> Result<Profile, CliError> {
    match std::fs::metadata(path) {
        Err(e) => return Err(CliError::input(path, format!("cannot read it: {e}"))),
        Ok(m) if m.is_dir() => return Err(CliError::input(path, "is a directory, not a profile")),
        Ok(m) if m.len() == 0 => {
            return Err(CliError::input(
                path,
                "the file is empty, not a lablink-prof profile",
            ));
        }
        Ok(_) => {}
    }
    let mut profile = read_json(path).map_err(|e| match e {
        ReportError::Io { source, .. } => {
            CliError::input(path, format!("cannot read it: {source}"))
        }
        ReportError::Format { problem, .. } => CliError::input(
            path,
            format!("not a readable lablink-prof profile: {problem}"),
        ),
        other => CliError::input(path, other.to_string()),
    })?;
    profile.complete_missing_figures();
    Ok(profile)
}

/// Reads every file, stopping at the first that cannot be read.
///
/// # Errors
/// The first file's [`CliError::Input`].
pub fn load_all<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<Profile>, CliError> {
    paths.iter().map(|p| load(p.as_ref())).collect()
}

/// Parses the text of a profile file the caller has read once, and completes it; also returns
/// the parsed JSON, for fields newer than the runtime's types (read with [`optional_u64`]).
///
/// A file that a running program replaces must be read once and parsed from that one copy:
/// reading it twice (once for the profile, once for extra fields) could mix two versions.
///
/// # Errors
/// [`CliError::Input`] naming `path` when the text is empty, truncated, not JSON, not a
/// profile, or of a newer format version.
pub fn parse(path: &Path, text: &str) -> Result<(Profile, serde_json::Value), CliError> {
    if text.trim().is_empty() {
        return Err(CliError::input(
            path,
            "the file is empty, not a lablink-prof profile",
        ));
    }
    let bad = |problem: String| {
        CliError::input(
            path,
            format!("not a readable lablink-prof profile: {problem}"),
        )
    };
    let mut profile = parse_json(text).map_err(bad)?;
    profile.complete_missing_figures();
    // The same text, already known to be a valid profile, for the fields the types do not hold.
    let value = serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    Ok((profile, value))
}

/// The unsigned integer field `key` of a JSON object, if it is there.
pub fn optional_u64(object: &serde_json::Value, key: &str) -> Option<u64> {
    object.get(key).and_then(serde_json::Value::as_u64)
}
