//! Where backups go, what they contain and how many are kept.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::BackupError;

/// Number of backups [`BackupManager::cleanup_old_backups`](super::BackupManager::cleanup_old_backups)
/// keeps by default.
pub const DEFAULT_RETENTION_COUNT: usize = 10;

/// Configuration of a [`BackupManager`](super::BackupManager).
///
/// ```
/// use lablink_core::backup::BackupConfig;
///
/// let config = BackupConfig::new("/var/backups/lablink")
///     .with_config_dir("/etc/lablink")
///     .with_retention_count(5);
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupConfig {
    /// Directory holding archives and manifests; created if missing.
    pub backup_dir: PathBuf,
    /// Configuration directory (archived under `config/`).
    pub config_dir: Option<PathBuf>,
    /// Database directory (archived under `database/`).
    pub database_dir: Option<PathBuf>,
    /// Log directory (archived under `logs/`).
    pub logs_dir: Option<PathBuf>,
    /// How many of the newest backups retention keeps; at least 1.
    pub retention_count: usize,
}

impl BackupConfig {
    /// A configuration with no sources and the default retention.
    pub fn new(backup_dir: impl Into<PathBuf>) -> Self {
        Self {
            backup_dir: backup_dir.into(),
            config_dir: None,
            database_dir: None,
            logs_dir: None,
            retention_count: DEFAULT_RETENTION_COUNT,
        }
    }

    /// Sets the configuration directory.
    pub fn with_config_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config_dir = Some(dir.into());
        self
    }

    /// Sets the database directory.
    pub fn with_database_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.database_dir = Some(dir.into());
        self
    }

    /// Sets the log directory.
    pub fn with_logs_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.logs_dir = Some(dir.into());
        self
    }

    /// Sets the retention count.
    pub fn with_retention_count(mut self, retention_count: usize) -> Self {
        self.retention_count = retention_count;
        self
    }

    /// Checks that the backup directory is set and the retention count is at least 1.
    ///
    /// # Errors
    ///
    /// [`BackupError::InvalidConfig`].
    pub fn validate(&self) -> Result<(), BackupError> {
        if self.backup_dir.as_os_str().is_empty() {
            return Err(BackupError::InvalidConfig {
                reason: "backup_dir must not be empty".to_owned(),
            });
        }
        if self.retention_count == 0 {
            return Err(BackupError::InvalidConfig {
                reason: "retention_count must be at least 1".to_owned(),
            });
        }
        Ok(())
    }
}
