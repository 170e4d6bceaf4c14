//! The error type of the database area.

use std::path::PathBuf;

use super::ValidationError;

/// Everything that can go wrong while storing or reading the command history.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// The [`DatabaseConfig`](super::DatabaseConfig) is invalid.
    #[error("invalid database configuration: {0}")]
    InvalidConfig(ValidationError),
    /// A record failed validation and was not written.
    #[error("invalid command record: {0}")]
    InvalidRecord(#[from] ValidationError),
    /// One record of a batch failed validation; nothing of the batch was written.
    #[error("invalid command record at index {index} of the batch: {source}")]
    InvalidBatchRecord {
        /// Position of the record in the batch.
        index: usize,
        /// Why it is invalid.
        source: ValidationError,
    },
    /// The database file could not be opened or created (missing directory, no permission...).
    #[error("cannot open database {}: {source}", path.display())]
    Open {
        /// The configured path.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file is not an SQLite database, or is damaged.
    #[error("database {} is corrupt or not an SQLite database: {source}", path.display())]
    Corrupt {
        /// The configured path.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// [`DatabaseManager::initialize`](super::DatabaseManager::initialize) has not been called.
    #[error("database is not initialized; call DatabaseManager::initialize first")]
    NotInitialized,
    /// A stored timestamp is outside the range of dates.
    #[error("stored timestamp {micros} µs is out of range")]
    TimestampOutOfRange {
        /// The stored value, microseconds since the Unix epoch.
        micros: i64,
    },
    /// Query parameters could not be encoded.
    #[error("cannot encode query parameters: {0}")]
    Encoding(#[from] serde_json::Error),
    /// Any other SQLite failure.
    #[error("SQLite error: {0}")]
    Sqlite(rusqlite::Error),
}
