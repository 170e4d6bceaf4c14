//! The error type of the backup area.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while creating, verifying or restoring backups.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The [`BackupConfig`](super::BackupConfig) is invalid.
    #[error("invalid backup configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
    /// The [`BackupRequest`](super::BackupRequest) is invalid.
    #[error("invalid backup request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
    /// The backup type needs a source directory that is not configured.
    #[error("no {kind} directory is configured")]
    SourceNotConfigured {
        /// `"config"`, `"database"` or `"logs"`.
        kind: &'static str,
    },
    /// A configured source directory does not exist or is not a directory.
    #[error("source directory {} does not exist or is not a directory", path.display())]
    SourceMissing {
        /// The configured path.
        path: PathBuf,
    },
    /// A full backup was requested but no source directory is configured.
    #[error("no source directories are configured")]
    NoSources,
    /// A file name is not valid UTF-8 and cannot be listed in the manifest.
    #[error("file name is not valid UTF-8: {}", path.display())]
    NonUtf8Path {
        /// The offending path.
        path: PathBuf,
    },
    /// A file-system operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `"read"`.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A backup id contains characters other than ASCII letters, digits, `-` and `_`.
    #[error("invalid backup id {id:?}")]
    InvalidBackupId {
        /// The rejected id.
        id: String,
    },
    /// No manifest exists for the backup id.
    #[error("backup {id} not found")]
    NotFound {
        /// The requested id.
        id: String,
    },
    /// A manifest cannot be parsed or does not describe a valid backup.
    #[error("invalid manifest {}: {reason}", path.display())]
    InvalidManifest {
        /// The manifest's path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The archive's SHA-256 differs from the manifest's: the archive was altered or damaged.
    #[error("backup {id} is corrupt: SHA-256 is {actual}, manifest says {expected}")]
    ChecksumMismatch {
        /// The backup id.
        id: String,
        /// The checksum recorded in the manifest.
        expected: String,
        /// The checksum of the archive on disk.
        actual: String,
    },
    /// The archive's file list differs from the manifest's.
    #[error("backup {id} does not match its manifest: {reason}")]
    ManifestMismatch {
        /// The backup id.
        id: String,
        /// What differs.
        reason: String,
    },
    /// The archive cannot be decompressed or read as tar.
    #[error("archive {} is corrupt: {source}", path.display())]
    CorruptArchive {
        /// The archive's path.
        path: PathBuf,
        /// The decoder's error.
        source: io::Error,
    },
    /// An archive entry is absolute or contains `..`, so it could escape the restore directory.
    #[error("archive entry {path:?} would escape the restore directory")]
    UnsafeEntryPath {
        /// The entry's path as stored.
        path: String,
    },
    /// An archive entry is a link, device or other kind that backups never contain.
    #[error("archive entry {path:?} has unsupported type {kind}")]
    UnsupportedEntryType {
        /// The entry's path as stored.
        path: String,
        /// The tar entry type.
        kind: String,
    },
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Randomness(getrandom::Error),
    /// An async method was called outside a tokio runtime.
    #[error("async backup methods must be called from within a tokio runtime")]
    NoRuntime,
    /// The blocking task running the work panicked or was cancelled.
    #[error("background backup task failed: {reason}")]
    BackgroundTask {
        /// The join error.
        reason: String,
    },
}

impl BackupError {
    /// Returns a closure turning an `io::Error` into [`BackupError::Io`] for `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
