//! Reports: the default table, kernprof's and memory_profiler's layouts, and JSON files.

pub mod heap_tracking;
pub mod kernprof;
pub mod memory_profiler;
pub mod table_layout;
pub mod units;

use std::fmt;
use std::str::FromStr;

pub use crate::model::json::{read_json, to_json, write_json};
use crate::model::{Profile, ReportError};

pub use crate::base::NO_HEAP_NOTE;

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
        ReportFormat::Table => table_layout::render(profile),
        ReportFormat::Kernprof => kernprof::render(profile),
        ReportFormat::MemoryProfiler => memory_profiler::render(profile),
        ReportFormat::Json => to_json(profile) + "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
