//! What a caller asks for: which sources, which compression, verification.

use serde::{Deserialize, Serialize};

use super::BackupError;

/// Longest accepted backup description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Which sources a backup contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupType {
    /// Every configured source directory.
    Full,
    /// The configuration directory.
    Config,
    /// The database directory.
    Database,
    /// The log directory.
    Logs,
}

impl BackupType {
    /// The lowercase name used in backup ids and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Config => "config",
            Self::Database => "database",
            Self::Logs => "logs",
        }
    }
}

/// How the tar archive is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompressionType {
    /// Plain tar.
    None,
    /// gzip (fast, moderate ratio).
    Gzip,
    /// bzip2 (slower, better ratio on text).
    Bzip2,
    /// xz / LZMA2 (slowest, best ratio).
    Xz,
}

impl CompressionType {
    /// The archive file extension, e.g. `"tar.gz"`.
    pub fn extension(self) -> &'static str {
        match self {
            Self::None => "tar",
            Self::Gzip => "tar.gz",
            Self::Bzip2 => "tar.bz2",
            Self::Xz => "tar.xz",
        }
    }
}

/// A request to create a backup.
///
/// ```
/// use lablink_core::backup::{BackupRequest, BackupType, CompressionType};
///
/// let request = BackupRequest::new(BackupType::Config, CompressionType::Gzip)
///     .with_description("Profile test")
///     .with_verification(true);
/// assert!(request.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRequest {
    /// Which sources to include.
    pub backup_type: BackupType,
    /// How to compress the archive.
    pub compression: CompressionType,
    /// Free text stored in the manifest; at most [`MAX_DESCRIPTION_CHARS`] characters.
    pub description: Option<String>,
    /// Re-read and check the archive after writing it.
    pub verify_after_backup: bool,
}

impl BackupRequest {
    /// A request without description or verification.
    pub fn new(backup_type: BackupType, compression: CompressionType) -> Self {
        Self {
            backup_type,
            compression,
            description: None,
            verify_after_backup: false,
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets whether to verify after writing.
    pub fn with_verification(mut self, verify_after_backup: bool) -> Self {
        self.verify_after_backup = verify_after_backup;
        self
    }

    /// Checks the description's length and that it has no control characters.
    ///
    /// # Errors
    ///
    /// [`BackupError::InvalidRequest`].
    pub fn validate(&self) -> Result<(), BackupError> {
        let Some(description) = &self.description else {
            return Ok(());
        };
        let length = description.chars().count();
        if length > MAX_DESCRIPTION_CHARS {
            return Err(BackupError::InvalidRequest {
                reason: format!(
                    "description is {length} characters long; the limit is {MAX_DESCRIPTION_CHARS}"
                ),
            });
        }
        if description.chars().any(char::is_control) {
            return Err(BackupError::InvalidRequest {
                reason: "description must not contain control characters".to_owned(),
            });
        }
        Ok(())
    }
}
