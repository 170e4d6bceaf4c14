//! Reports: the default table, kernprof's and memory_profiler's layouts. JSON files are the profile
//! model's (`model::json`), re-exported here.

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

/// The header line of a function of a sampled profile: its samples, the interval and the 95%
/// error of its time (`Mode: sampled, 274 samples every 1.00 ms; times ± 32.4 ms (95%)`).
/// Empty for an exact profile.
pub fn time_note(profile: &Profile, f: &crate::model::FunctionProfile) -> String {
    use crate::model::{TimeMode, sampled_time_error_ns};
    if profile.mode != TimeMode::Sampled {
        return String::new();
    }
    let interval = profile.sample_interval_ns;
    format!(
        "Mode: sampled, {} {} every {}; times ± {} (95%)",
        f.samples,
        if f.samples == 1 { "sample" } else { "samples" },
        units::duration(interval as f64),
        units::duration(sampled_time_error_ns(f.samples, interval) as f64),
    )
}

/// Whether a function's total measured under the profiler (`measured_ns`) differs much from
/// its reported total: by more than half of the smaller, or, with an error bound, by more than
/// the error. Reports then show both.
pub fn measured_differs(f: &crate::model::FunctionProfile, error_ns: u64) -> bool {
    if f.measured_ns == 0 {
        return false;
    }
    let (a, b) = (f.measured_ns as f64, f.total_ns as f64);
    let ratio = a.max(b) / a.min(b).max(1.0);
    ratio > 1.5 || (error_ns > 0 && f.measured_ns.abs_diff(f.total_ns) > error_ns)
}

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

/// The lines of `async fn`s that blocked the executor, longest slice first, one a line:
/// `blocks the executor: src/x.rs:42, 7 times, longest 48.0 ms (threshold 100 µs)`. Empty when
/// none did.
pub fn blocking_summary(profile: &Profile) -> String {
    let mut lines: Vec<(&crate::model::FunctionProfile, &crate::model::LineProfile)> = profile
        .functions
        .iter()
        .flat_map(|f| f.lines.iter().map(move |l| (f, l)))
        .filter(|(_, l)| l.blocking > 0)
        .collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.1.blocking_max_ns));
    let threshold = if profile.blocking_threshold_ns > 0 {
        format!(
            " (threshold {})",
            units::duration(profile.blocking_threshold_ns as f64)
        )
    } else {
        String::new()
    };
    lines
        .into_iter()
        .map(|(f, l)| {
            format!(
                "blocks the executor: {}:{}, {} {}, longest {}, {} in all{threshold}\n",
                f.file,
                l.line,
                l.blocking,
                if l.blocking == 1 { "time" } else { "times" },
                units::duration(l.blocking_max_ns as f64),
                units::duration(l.blocking_ns as f64),
            )
        })
        .collect()
}

/// Renders a profile in a layout.
pub fn render(profile: &Profile, format: ReportFormat) -> String {
    render_with(profile, format, &[])
}

/// Renders a profile in a layout, the table with the optional `columns` (other layouts have
/// none: kernprof's stays exactly kernprof's).
pub fn render_with(
    profile: &Profile,
    format: ReportFormat,
    columns: &[table_layout::Column],
) -> String {
    match format {
        ReportFormat::Table => table_layout::render_with(profile, columns),
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
