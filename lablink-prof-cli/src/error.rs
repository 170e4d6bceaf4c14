//! What can go wrong, and the exit status it gives.

use std::fmt;
use std::path::{Path, PathBuf};

/// An error that ends the command with exit status 2 and a message on stderr.
#[derive(Debug)]
pub enum CliError {
    /// An input file cannot be read or is not a profile this command reads.
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// An output file cannot be written.
    Output {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A process `top --pid` cannot watch.
    Process {
        /// Its id.
        pid: u32,
        /// Why not.
        problem: String,
    },
    /// Options that cannot go together.
    Usage(String),
}

impl CliError {
    /// An input error naming `path`.
    pub fn input(path: &Path, problem: impl Into<String>) -> Self {
        CliError::Input {
            path: path.to_owned(),
            problem: problem.into(),
        }
    }

    /// An output error naming `path`.
    pub fn output(path: &Path, source: std::io::Error) -> Self {
        CliError::Output {
            path: path.to_owned(),
            source,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input { path, problem } => write!(f, "{}: {problem}", path.display()),
            CliError::Output { path, source } => {
                write!(f, "{}: cannot write: {source}", path.display())
            }
            CliError::Process { pid, problem } => write!(f, "process {pid}: {problem}"),
            CliError::Usage(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for CliError {}
