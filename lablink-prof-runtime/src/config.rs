//! Settings read from the environment, once per process.
//!
//! | variable | meaning |
//! | --- | --- |
//! | `LABLINK_PROFILING` | `1`, `true`, `yes` or `on` (any case) turns recording on |
//! | `LABLINK_PROFILE_FORMAT` | `table` (default), `kernprof`, `memory_profiler` or `json`: the exit report |
//! | `LABLINK_PROFILE_OUT` | a path: the exit report also writes the profile there as JSON; `{pid}` in it becomes the process id (one file per process, e.g. per test binary) |
//! | `LABLINK_PROFILE_INTERVAL` | seconds: rewrite `LABLINK_PROFILE_OUT` that often while running |

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::report::ReportFormat;

/// The environment's settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) enabled: bool,
    pub(crate) format: ReportFormat,
    pub(crate) format_error: Option<String>,
    pub(crate) out: Option<PathBuf>,
    pub(crate) interval: Option<std::time::Duration>,
    pub(crate) interval_error: Option<String>,
}

static CONFIG: OnceLock<Config> = OnceLock::new();

/// The settings, read from the environment on first use. That first use is often inside the
/// program's first recorded call; what reading them allocates is the recorder's memory, kept for
/// the process's life or freed at once, and is not counted as the program's.
pub(crate) fn config() -> &'static Config {
    CONFIG.get_or_init(|| crate::heap::uncounted(read_environment))
}

fn read_environment() -> Config {
    let enabled = std::env::var("LABLINK_PROFILING").is_ok_and(|v| is_truthy(&v));
    let (format, format_error) = match std::env::var("LABLINK_PROFILE_FORMAT") {
        Ok(v) => match v.parse::<ReportFormat>() {
            Ok(format) => (format, None),
            Err(e) => (ReportFormat::Table, Some(e.to_string())),
        },
        Err(_) => (ReportFormat::Table, None),
    };
    let out = std::env::var_os("LABLINK_PROFILE_OUT")
        .filter(|v| !v.is_empty())
        .map(|v| with_pid(&v.to_string_lossy(), std::process::id()));
    let (interval, interval_error) = match std::env::var("LABLINK_PROFILE_INTERVAL") {
        Ok(v) => match parse_interval(&v) {
            Some(d) => (Some(d), None),
            None => (
                None,
                Some(format!(
                    "LABLINK_PROFILE_INTERVAL={v:?} is not a number of seconds above 0"
                )),
            ),
        },
        Err(_) => (None, None),
    };
    Config {
        enabled,
        format,
        format_error,
        out,
        interval,
        interval_error,
    }
}

/// Whether a `LABLINK_PROFILING` value turns recording on.
pub(crate) fn is_truthy(value: &str) -> bool {
    ["1", "true", "yes", "on"]
        .iter()
        .any(|t| value.trim().eq_ignore_ascii_case(t))
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
    use super::{is_truthy, parse_interval};

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
