//! Settings read from the environment, once per process.
//!
//! | variable | meaning |
//! | --- | --- |
//! | `LABLINK_PROFILING` | `1`, `true`, `yes` or `on` (any case) turns recording on |
//! | `LABLINK_PROFILE_FORMAT` | `table` (default), `kernprof`, `memory_profiler` or `json`: the exit report |
//! | `LABLINK_PROFILE_OUT` | a path: the exit report also writes the profile there as JSON |

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
}

static CONFIG: OnceLock<Config> = OnceLock::new();

/// The settings, read from the environment on first use.
pub(crate) fn config() -> &'static Config {
    CONFIG.get_or_init(|| {
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
            .map(PathBuf::from);
        Config {
            enabled,
            format,
            format_error,
            out,
        }
    })
}

/// Whether a `LABLINK_PROFILING` value turns recording on.
pub(crate) fn is_truthy(value: &str) -> bool {
    ["1", "true", "yes", "on"]
        .iter()
        .any(|t| value.trim().eq_ignore_ascii_case(t))
}

#[cfg(test)]
mod tests {
    use super::is_truthy;

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
