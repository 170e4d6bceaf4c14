//! Where the command history lives and how the connection behaves.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// Default time to wait for a lock held by another connection, in milliseconds.
pub const DEFAULT_BUSY_TIMEOUT_MS: u64 = 5_000;
/// Longest accepted busy timeout, in milliseconds (one minute).
pub const MAX_BUSY_TIMEOUT_MS: u64 = 60_000;

/// Configuration of a [`DatabaseManager`](crate::database::DatabaseManager).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseConfig {
    /// Path of the SQLite file; created if missing (its directory must exist).
    pub db_path: PathBuf,
    /// How long a write waits for another connection's lock, in milliseconds.
    #[serde(default = "default_busy_timeout_ms")]
    pub busy_timeout_ms: u64,
}

/// Serde default for [`DatabaseConfig::busy_timeout_ms`].
fn default_busy_timeout_ms() -> u64 {
    DEFAULT_BUSY_TIMEOUT_MS
}

impl DatabaseConfig {
    /// Creates a configuration for the given file with the default busy timeout.
    pub fn new(db_path: impl Into<PathBuf>) -> Self {
        Self {
            db_path: db_path.into(),
            busy_timeout_ms: DEFAULT_BUSY_TIMEOUT_MS,
        }
    }

    /// Checks the path is not empty and the busy timeout is at most [`MAX_BUSY_TIMEOUT_MS`].
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyField`] or [`ValidationError::ValueTooLarge`].
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.db_path.as_os_str().is_empty() {
            return Err(ValidationError::EmptyField { field: "db_path" });
        }
        if self.busy_timeout_ms > MAX_BUSY_TIMEOUT_MS {
            return Err(ValidationError::ValueTooLarge {
                field: "busy_timeout_ms",
                value: self.busy_timeout_ms,
                limit: MAX_BUSY_TIMEOUT_MS,
            });
        }
        Ok(())
    }
}
