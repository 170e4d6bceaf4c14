//! The runtime's errors.

use std::fmt;
use std::path::PathBuf;

/// What can go wrong writing or reading a profile.
#[derive(Debug)]
pub enum ReportError {
    /// A file could not be written or read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file is not a profile this crate can read.
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A `LABLINK_PROFILE_FORMAT` value or format name that is not known.
    UnknownFormat(String),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ReportError::Format { path, problem } => {
                write!(
                    f,
                    "{}: not a readable lablink-prof profile: {problem}",
                    path.display()
                )
            }
            ReportError::UnknownFormat(name) => write!(
                f,
                "unknown report format {name:?}: expected table, kernprof, memory_profiler or json"
            ),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
