//! Profile files: the profile as JSON, written whole and read back with the problem named.

use std::io::Write;
use std::path::Path;

use crate::model::error::ReportError;
use crate::model::profile::{FORMAT_NAME, FORMAT_VERSION, Profile};

/// The profile as pretty-printed JSON.
pub fn to_json(profile: &Profile) -> String {
    // Serialising plain structs of numbers and strings cannot fail.
    serde_json::to_string_pretty(profile).unwrap_or_default()
}

/// Writes a profile as JSON to `path`, replacing the file whole (written beside it, then
/// renamed), so a reader never sees half a profile.
///
/// # Errors
/// [`ReportError::Io`] naming the file when it cannot be written.
pub fn write_json(profile: &Profile, path: &Path) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.to_owned(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(to_json(profile).as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Reads a profile written by [`write_json`].
///
/// # Errors
/// [`ReportError::Io`] when the file cannot be read; [`ReportError::Format`] naming the file
/// when it is truncated, corrupt, not a profile, or of a newer version than this crate reads.
pub fn read_json(path: &Path) -> Result<Profile, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_json(&text).map_err(|problem| ReportError::Format {
        path: path.to_owned(),
        problem,
    })
}

/// Parses the text of a profile file; the error says what is wrong with it.
///
/// # Errors
/// What is wrong: truncated, not JSON, not a profile, a newer version, a field missing or of
/// the wrong type.
pub fn parse_json(text: &str) -> Result<Profile, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            format!("the file ends early (truncated?): {e}")
        } else {
            format!("not valid JSON: {e}")
        }
    })?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT_NAME) => {}
        Some(other) => return Err(format!("its format is {other:?}, not {FORMAT_NAME:?}")),
        None => return Err(format!("it has no \"format\": \"{FORMAT_NAME}\" field")),
    }
    check_version(value.get("version").and_then(|v| v.as_u64()))?;
    serde_json::from_value(value).map_err(|e| format!("a field is missing or wrong: {e}"))
}

/// Whether a file's `version` field is one this crate reads; the error says why not.
///
/// # Errors
/// No version (or 0), or one newer than [`FORMAT_VERSION`].
pub fn check_version(version: Option<u64>) -> Result<(), String> {
    match version {
        Some(v) if v > u64::from(FORMAT_VERSION) => Err(format!(
            "it is format version {v}, newer than this lablink-prof reads ({FORMAT_VERSION}); \
             upgrade lablink-prof"
        )),
        Some(0) | None => Err("it has no valid \"version\" field".to_owned()),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_get_a_reason() {
        assert!(
            parse_json("{\"format\": \"lablink-prof\", \"vers")
                .unwrap_err()
                .contains("ends early")
        );
        assert!(parse_json("[1, 2").unwrap_err().contains("ends early"));
        assert!(parse_json("hello").unwrap_err().contains("not valid JSON"));
        assert!(parse_json("{}").unwrap_err().contains("no \"format\""));
        assert!(
            parse_json(r#"{"format":"lablink-prof","version":99,"functions":[]}"#)
                .unwrap_err()
                .contains("newer")
        );
        assert!(
            parse_json(r#"{"format":"lablink-prof","version":1}"#)
                .unwrap_err()
                .contains("missing")
        );
        let ok = parse_json(r#"{"format":"lablink-prof","version":1,"functions":[]}"#).unwrap();
        assert_eq!(ok, Profile::empty());
    }
}
