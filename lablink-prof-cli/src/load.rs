//! Reading profile files, with every problem reported against the file's name.
//!
//! Files written before a field existed get it filled in here, so the subcommands can rely
//! on every figure: `primitive_calls` and `cumulative_ns` default to `calls` and `total_ns`,
//! and a missing `own_ns` is derived from the call graph (`total_ns` less the time of the
//! calls other functions list as coming from this one).

use std::collections::HashMap;
use std::path::Path;

use lablink_prof_runtime::ReportError;
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
    complete(&mut profile);
    Ok(profile)
}

/// Reads every file, stopping at the first that cannot be read.
///
/// # Errors
/// The first file's [`CliError::Input`].
pub fn load_all<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<Profile>, CliError> {
    paths.iter().map(|p| load(p.as_ref())).collect()
}

/// Fills in the figures an older or hand-written file leaves out.
pub fn complete(profile: &mut Profile) {
    // Time of calls made from each function, as the callees' `callers` record it.
    let mut in_callees: HashMap<String, u64> = HashMap::new();
    for f in &profile.functions {
        for c in &f.callers {
            *in_callees.entry(c.caller.clone()).or_default() += c.time_ns;
        }
    }
    for f in &mut profile.functions {
        if f.total_ns == 0 {
            f.total_ns = f.lines.iter().map(|l| l.time_ns).sum();
        }
        if f.primitive_calls == 0 && f.cumulative_ns == 0 {
            f.primitive_calls = f.calls;
            f.cumulative_ns = f.total_ns;
        }
        if f.own_ns == 0 {
            let callees = in_callees.get(&f.name).copied().unwrap_or(0);
            f.own_ns = f.total_ns.saturating_sub(callees);
        }
    }
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
    use lablink_prof_runtime::profile::{FORMAT_NAME, FORMAT_VERSION};
    let bad = |problem: String| {
        CliError::input(
            path,
            format!("not a readable lablink-prof profile: {problem}"),
        )
    };
    if text.trim().is_empty() {
        return Err(CliError::input(
            path,
            "the file is empty, not a lablink-prof profile",
        ));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        bad(if e.is_eof() {
            format!("the file ends early (truncated?): {e}")
        } else {
            format!("not valid JSON: {e}")
        })
    })?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT_NAME) => {}
        Some(other) => return Err(bad(format!("its format is {other:?}, not {FORMAT_NAME:?}"))),
        None => {
            return Err(bad(format!(
                "it has no \"format\": \"{FORMAT_NAME}\" field"
            )));
        }
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(bad(format!(
                "it is format version {v}, newer than this lablink-prof reads ({FORMAT_VERSION}); \
                 upgrade lablink-prof"
            )));
        }
        Some(0) | None => return Err(bad("it has no valid \"version\" field".to_owned())),
        Some(_) => {}
    }
    let mut profile: Profile = serde_json::from_value(value.clone())
        .map_err(|e| bad(format!("a field is missing or wrong: {e}")))?;
    complete(&mut profile);
    Ok((profile, value))
}

/// The unsigned integer field `key` of a JSON object, if it is there.
pub fn optional_u64(object: &serde_json::Value, key: &str) -> Option<u64> {
    object.get(key).and_then(serde_json::Value::as_u64)
}
