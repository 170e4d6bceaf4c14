//! Settings read from the environment, once per process, in one place.
//!
//! | variable | meaning |
//! | --- | --- |
//! | `LABLINK_PROFILING` | `1`, `true`, `yes` or `on` (any case) turns recording on |
//! | `LABLINK_PROFILE_FORMAT` | `table` (default), `kernprof`, `memory_profiler` or `json`: the exit report |
//! | `LABLINK_PROFILE_OUT` | a path: the exit report also writes the profile there as JSON; `{pid}` in it becomes the process id (one file per process, e.g. per test binary) |
//! | `LABLINK_PROFILE_INTERVAL` | seconds: rewrite `LABLINK_PROFILE_OUT` that often while running |
//! | `LABLINK_PROFILE_COMPENSATE` | `0`, `false`, `off` or `no`: report raw times, without taking out the recorder's own cost |
//! | `LABLINK_PROFILE_MODE` | `exact` (default): a clock read per line boundary; `sampled`: hits counted, time sampled |
//! | `LABLINK_PROFILE_HZ` | sampled mode's rate, samples per second (default 500, at most 100000) |
//! | `LABLINK_PROFILE_HEAP` | `track`: with `LABLINK_PROFILING` on, note which profiled line allocated each block, for the whole process: live at exit and live at the peak, by line; `off` (default) |
//! | `LABLINK_PROFILE_DISTRIBUTIONS` | `1`, `true`, `yes` or `on` (default): keep each line's and function's histogram of single hits and calls (exact mode), for p50, p90, p99; `0`, `false`, `no` or `off`: do not (4,736 bytes less per line per thread) |
//! | `LABLINK_PROFILE_COLUMNS` | extra columns of the table layout, comma-separated: `min`, `max`, `p50`, `p90`, `p99` (or `all`) |
//! | `LABLINK_PROFILE_BLOCKING_US` | microseconds: a slice of an `async fn`'s poll on one line longer than this blocks the executor (default 100) |
//!
//! A value that cannot be used is reported once, on stderr, when recording starts, with what is
//! used instead; it never stops the program.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::model::TimeMode;
use crate::report::ReportFormat;
use crate::report::table_layout::Column;

/// Sampled mode's default rate, samples per second.
pub(crate) const DEFAULT_HZ: f64 = 500.0;
/// The default blocking threshold, in microseconds: the top of tokio's guidance (10 to 100 µs
/// between `.await`s), so that a line flagged is past what any of that guidance allows, and the
/// recorder's own cost (nanoseconds per boundary) cannot put a line over it.
pub(crate) const DEFAULT_BLOCKING_US: u64 = 100;
/// The highest rate sampled mode takes.
pub(crate) const MAX_HZ: f64 = 100_000.0;

/// The environment's settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) enabled: bool,
    pub(crate) format: ReportFormat,
    pub(crate) out: Option<PathBuf>,
    pub(crate) interval: Option<std::time::Duration>,
    pub(crate) compensate: bool,
    pub(crate) mode: TimeMode,
    /// Sampled mode's rate, samples per second.
    pub(crate) hz: f64,
    /// Whether line tables keep histograms of single hits.
    pub(crate) distributions: bool,
    /// The table layout's extra columns.
    pub(crate) columns: Vec<Column>,
    /// The blocking threshold, in microseconds.
    pub(crate) blocking_us: u64,
    /// Values that could not be used, each with what is used instead.
    pub(crate) problems: Vec<String>,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// The settings, read from the environment on first use. That first use is often inside the
/// program's first recorded call; what reading them allocates is the recorder's memory, kept for
/// the process's life or freed at once, and is not counted as the program's.
pub(crate) fn settings() -> &'static Settings {
    SETTINGS.get_or_init(|| crate::heap::uncounted(read_environment))
}

fn read_environment() -> Settings {
    let mut problems = Vec::new();
    let enabled = std::env::var("LABLINK_PROFILING").is_ok_and(|v| is_truthy(&v));
    let format = match std::env::var("LABLINK_PROFILE_FORMAT") {
        Ok(v) => v.parse::<ReportFormat>().unwrap_or_else(|e| {
            problems.push(format!("LABLINK_PROFILE_FORMAT: {e}; using table"));
            ReportFormat::Table
        }),
        Err(_) => ReportFormat::Table,
    };
    let out = std::env::var_os("LABLINK_PROFILE_OUT")
        .filter(|v| !v.is_empty())
        .map(|v| with_pid(&v.to_string_lossy(), std::process::id()));
    let interval = match std::env::var("LABLINK_PROFILE_INTERVAL") {
        Ok(v) => match parse_interval(&v) {
            Some(_) if out.is_none() => {
                problems.push(
                    "LABLINK_PROFILE_INTERVAL needs LABLINK_PROFILE_OUT (the file to rewrite); \
                     not rewriting"
                        .to_owned(),
                );
                None
            }
            Some(d) => Some(d),
            None => {
                problems.push(format!(
                    "LABLINK_PROFILE_INTERVAL={v:?} is not a number of seconds above 0; not \
                     rewriting"
                ));
                None
            }
        },
        Err(_) => None,
    };
    let compensate = match std::env::var("LABLINK_PROFILE_COMPENSATE") {
        Ok(v) => parse_switch(&v).unwrap_or_else(|| {
            problems.push(format!(
                "LABLINK_PROFILE_COMPENSATE={v:?} is not one of 1, true, yes, on, 0, false, no, \
                 off; compensating"
            ));
            true
        }),
        Err(_) => true,
    };
    let mode = match std::env::var("LABLINK_PROFILE_MODE") {
        Ok(v) => v.parse::<TimeMode>().unwrap_or_else(|e| {
            problems.push(format!("LABLINK_PROFILE_MODE: {e}; using exact"));
            TimeMode::Exact
        }),
        Err(_) => TimeMode::Exact,
    };
    let hz = match std::env::var("LABLINK_PROFILE_HZ") {
        Ok(v) => match v.trim().parse::<f64>() {
            Ok(hz) if hz.is_finite() && hz > 0.0 && hz <= MAX_HZ => hz,
            _ => {
                problems.push(format!(
                    "LABLINK_PROFILE_HZ={v:?} is not a rate above 0 and at most {MAX_HZ}; using \
                     {DEFAULT_HZ}"
                ));
                DEFAULT_HZ
            }
        },
        Err(_) => DEFAULT_HZ,
    };
    let distributions = match std::env::var("LABLINK_PROFILE_DISTRIBUTIONS") {
        Ok(v) => parse_switch(&v).unwrap_or_else(|| {
            problems.push(format!(
                "LABLINK_PROFILE_DISTRIBUTIONS={v:?} is not one of 1, true, yes, on, 0, false, \
                 no, off; keeping distributions"
            ));
            true
        }),
        Err(_) => true,
    };
    let columns = match std::env::var("LABLINK_PROFILE_COLUMNS") {
        Ok(v) => Column::parse_list(&v).unwrap_or_else(|e| {
            problems.push(format!("LABLINK_PROFILE_COLUMNS: {e}; no extra columns"));
            Vec::new()
        }),
        Err(_) => Vec::new(),
    };
    let blocking_us = match std::env::var("LABLINK_PROFILE_BLOCKING_US") {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(us) if us > 0 => us,
            _ => {
                problems.push(format!(
                    "LABLINK_PROFILE_BLOCKING_US={v:?} is not a whole number of microseconds \
                     above 0; using {DEFAULT_BLOCKING_US}"
                ));
                DEFAULT_BLOCKING_US
            }
        },
        Err(_) => DEFAULT_BLOCKING_US,
    };
    Settings {
        distributions,
        columns,
        blocking_us,
        enabled,
        format,
        out,
        interval,
        compensate,
        mode,
        hz,
        problems,
    }
}

/// Whether the whole process's heap is tracked by line (`LABLINK_PROFILE_HEAP=track`), and what
/// could not be used. Read on its own, once, before `main` (the start-up starts tracking there,
/// so that every thread's blocks are tracked), without fixing the other settings, which a
/// program may still set before its first recorded call.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeapSetting {
    pub(crate) track: bool,
    pub(crate) problem: Option<String>,
}

/// The heap setting, read from the environment on first use.
pub(crate) fn heap_setting() -> &'static HeapSetting {
    static HEAP: OnceLock<HeapSetting> = OnceLock::new();
    HEAP.get_or_init(|| crate::heap::uncounted(read_heap_setting))
}

fn read_heap_setting() -> HeapSetting {
    let profiling = std::env::var("LABLINK_PROFILING").is_ok_and(|v| is_truthy(&v));
    match std::env::var("LABLINK_PROFILE_HEAP") {
        Err(_) => HeapSetting::default(),
        Ok(v) => parse_heap(&v, profiling),
    }
}

/// `LABLINK_PROFILE_HEAP=value`, with recording on or off.
fn parse_heap(value: &str, profiling: bool) -> HeapSetting {
    let value = value.trim();
    if value.eq_ignore_ascii_case("off") || value.is_empty() {
        return HeapSetting::default();
    }
    if !value.eq_ignore_ascii_case("track") {
        return HeapSetting {
            track: false,
            problem: Some(format!(
                "LABLINK_PROFILE_HEAP={value:?} is not one of track, off; not tracking"
            )),
        };
    }
    if !profiling {
        return HeapSetting {
            track: false,
            problem: Some(
                "LABLINK_PROFILE_HEAP=track needs LABLINK_PROFILING=1; not tracking".to_owned(),
            ),
        };
    }
    HeapSetting {
        track: true,
        problem: None,
    }
}

/// Prints, once, the values the environment gave that cannot be used.
pub(crate) fn report_problems() {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let heap = heap_setting().problem.iter();
    for problem in settings().problems.iter().chain(heap) {
        let _ = writeln!(stderr, "lablink-prof: {problem}");
    }
}

/// `Some(true)` for `1`, `true`, `yes`, `on`; `Some(false)` for `0`, `false`, `no`, `off` (any
/// case); `None` for anything else.
pub(crate) fn parse_switch(value: &str) -> Option<bool> {
    let value = value.trim();
    let is = |words: [&str; 4]| words.iter().any(|w| value.eq_ignore_ascii_case(w));
    if is(["1", "true", "yes", "on"]) {
        Some(true)
    } else if is(["0", "false", "no", "off"]) {
        Some(false)
    } else {
        None
    }
}

/// Whether a `LABLINK_PROFILING` value turns recording on.
pub(crate) fn is_truthy(value: &str) -> bool {
    parse_switch(value) == Some(true)
}

/// The profile path with `{pid}` replaced by the process id.
pub(crate) fn with_pid(path: &str, pid: u32) -> PathBuf {
    PathBuf::from(path.replace("{pid}", &pid.to_string()))
}

/// A positive number of seconds, e.g. `5` or `0.25`.
pub(crate) fn parse_interval(value: &str) -> Option<std::time::Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds > 0.0).then(|| std::time::Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::{is_truthy, parse_heap, parse_interval};

    #[test]
    fn heap_tracking_is_track_with_recording_on_and_nothing_else() {
        assert!(parse_heap("track", true).track);
        assert!(parse_heap(" TRACK ", true).track);
        assert!(parse_heap("track", true).problem.is_none());
        for (value, profiling) in [("off", true), ("", true), ("track", false), ("yes", true)] {
            assert!(!parse_heap(value, profiling).track, "{value:?} {profiling}");
        }
        assert!(parse_heap("off", true).problem.is_none());
        assert!(
            parse_heap("track", false)
                .problem
                .unwrap()
                .contains("needs LABLINK_PROFILING")
        );
        assert!(parse_heap("yes", true).problem.unwrap().contains("\"yes\""));
    }

    #[test]
    fn pid_in_the_profile_path_is_the_process_id() {
        assert_eq!(
            super::with_pid("out/profile-{pid}.json", 42),
            std::path::PathBuf::from("out/profile-42.json")
        );
        assert_eq!(
            super::with_pid("p.json", 42),
            std::path::PathBuf::from("p.json")
        );
    }

    #[test]
    fn intervals_are_positive_seconds() {
        assert_eq!(parse_interval("5"), Some(std::time::Duration::from_secs(5)));
        assert_eq!(
            parse_interval(" 0.25 "),
            Some(std::time::Duration::from_millis(250))
        );
        for bad in ["0", "-1", "soon", "", "inf", "NaN"] {
            assert_eq!(parse_interval(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn truthy_values_are_the_documented_ones_in_any_case() {
        for v in ["1", "true", "TRUE", "Yes", "on", "ON", " on "] {
            assert!(is_truthy(v), "{v:?}");
        }
        for v in ["", "0", "false", "off", "no", "2", "enabled"] {
            assert!(!is_truthy(v), "{v:?}");
        }
    }
}
