//! Reports: the default table, kernprof's and memory_profiler's layouts, and JSON files.

pub mod kernprof;
pub mod memory_profiler;
pub mod table;
pub mod units;

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use crate::error::ReportError;
use crate::profile::{FORMAT_NAME, FORMAT_VERSION, Profile};

/// What the memory columns say when the counting allocator is not installed.
pub const NO_HEAP_NOTE: &str = "Memory columns: not measured. Install the counting allocator with one line in your \
binary:\n    #[global_allocator]\n    static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();";

/// A report layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// Time and memory columns in one table per function (the default).
    #[default]
    Table,
    /// `kernprof -l -v`'s layout.
    Kernprof,
    /// memory_profiler's layout.
    MemoryProfiler,
    /// The JSON profile format.
    Json,
}

impl FromStr for ReportFormat {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, ReportError> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "" | "table" | "default" => Ok(ReportFormat::Table),
            "kernprof" | "line_profiler" => Ok(ReportFormat::Kernprof),
            "memory_profiler" | "mprof" => Ok(ReportFormat::MemoryProfiler),
            "json" => Ok(ReportFormat::Json),
            _ => Err(ReportError::UnknownFormat(s.to_owned())),
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReportFormat::Table => "table",
            ReportFormat::Kernprof => "kernprof",
            ReportFormat::MemoryProfiler => "memory_profiler",
            ReportFormat::Json => "json",
        })
    }
}

/// Renders a profile in a layout.
pub fn render(profile: &Profile, format: ReportFormat) -> String {
    match format {
        ReportFormat::Table => table::render(profile),
        ReportFormat::Kernprof => kernprof::render(profile),
        ReportFormat::MemoryProfiler => memory_profiler::render(profile),
        ReportFormat::Json => to_json(profile) + "\n",
    }
}

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
fn parse_json(text: &str) -> Result<Profile, String> {
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
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(format!(
                "it is format version {v}, newer than this lablink-prof reads ({FORMAT_VERSION}); \
                 upgrade lablink-prof"
            ));
        }
        Some(0) | None => return Err("it has no valid \"version\" field".to_owned()),
        Some(_) => {}
    }
    serde_json::from_value(value).map_err(|e| format!("a field is missing or wrong: {e}"))
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

    #[test]
    fn formats_parse_by_name() {
        assert_eq!(
            "KERNPROF".parse::<ReportFormat>().unwrap(),
            ReportFormat::Kernprof
        );
        assert_eq!(
            "memory-profiler".parse::<ReportFormat>().unwrap(),
            ReportFormat::MemoryProfiler
        );
        assert!("xml".parse::<ReportFormat>().is_err());
    }
}
