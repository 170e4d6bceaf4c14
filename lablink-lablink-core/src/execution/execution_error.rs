//! The error type of the command execution flow.

use crate::database::{DatabaseError, ValidationError};

/// Why a command could not be executed and logged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecutionError {
    /// The command (or the instrument's id or type) failed validation; nothing was sent.
    #[error("invalid command: {0}")]
    InvalidCommand(ValidationError),
    /// The command ran but could not be logged.
    #[error("cannot log command: {0}")]
    Database(#[from] DatabaseError),
    /// The response could not be serialized.
    #[error("cannot serialize response: {0}")]
    Serialization(#[from] serde_json::Error),
}
