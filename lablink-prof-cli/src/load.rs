//! Reading profile files, with every problem reported against the file's name.
//!
//! Files written before a field existed get it filled in by the profile model's rules
//! (`Profile::complete_missing_figures`), so the subcommands can rely on every figure.

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
