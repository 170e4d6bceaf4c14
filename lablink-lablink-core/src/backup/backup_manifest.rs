//! The JSON manifest written beside every archive.

use std::fs;
use std::io::Write;
use std::path::{Component, Path};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BackupError, BackupType, CompressionType};

/// The manifest format this crate writes and reads.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;

/// Describes one backup: what it holds and how to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupManifest {
    /// Manifest format, [`MANIFEST_FORMAT_VERSION`].
    pub format_version: u32,
    /// The backup id, e.g. `config-20251114T120000123Z-1a2b3c4d`.
    pub backup_id: String,
    /// Which sources it holds.
    pub backup_type: BackupType,
    /// How the archive is compressed.
    pub compression: CompressionType,
    /// The request's description.
    pub description: Option<String>,
    /// When the backup was started.
    pub created_at: DateTime<Utc>,
    /// File name of the archive, in the same directory as the manifest.
    pub archive_file: String,
    /// Size of the archive file in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the archive file, lowercase hex.
    pub sha256: String,
    /// Regular files in the archive, as archive paths (e.g. `config/settings.json`), in order.
    pub files: Vec<String>,
}

impl BackupManifest {
    /// Checks the format version, that `archive_file` is a plain file name and that `sha256`
    /// is 64 lowercase hex digits.
    ///
    /// # Errors
    ///
    /// [`BackupError::InvalidManifest`] with `path` as the manifest's location.
    pub fn validate(&self, path: &Path) -> Result<(), BackupError> {
        let invalid = |reason: String| BackupError::InvalidManifest {
            path: path.to_path_buf(),
            reason,
        };
        if self.format_version != MANIFEST_FORMAT_VERSION {
            return Err(invalid(format!(
                "unsupported format version {}",
                self.format_version
            )));
        }
        let mut components = Path::new(&self.archive_file).components();
        let plain_name = matches!(
            (components.next(), components.next()),
            (Some(Component::Normal(_)), None)
        );
        if !plain_name {
            return Err(invalid(format!(
                "archive_file {:?} is not a plain file name",
                self.archive_file
            )));
        }
        let hex = self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            return Err(invalid("sha256 is not 64 lowercase hex digits".to_owned()));
        }
        Ok(())
    }
}

/// Writes a manifest as pretty JSON, atomically (temporary file, fsync, rename).
///
/// # Errors
///
/// [`BackupError::Io`].
pub fn write_manifest(path: &Path, manifest: &BackupManifest) -> Result<(), BackupError> {
    let json =
        serde_json::to_vec_pretty(manifest).map_err(|error| BackupError::InvalidManifest {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })?;
    let temporary = path.with_extension("json.partial");
    let mut file = fs::File::create(&temporary).map_err(BackupError::io("create", &temporary))?;
    file.write_all(&json)
        .and_then(|()| file.sync_all())
        .map_err(BackupError::io("write", &temporary))?;
    fs::rename(&temporary, path).map_err(BackupError::io("rename", &temporary))
}

/// Reads and validates a manifest.
///
/// # Errors
///
/// [`BackupError::Io`] if it cannot be read; [`BackupError::InvalidManifest`] if it is not a
/// valid manifest.
pub fn read_manifest(path: &Path) -> Result<BackupManifest, BackupError> {
    let bytes = fs::read(path).map_err(BackupError::io("read", path))?;
    let manifest: BackupManifest =
        serde_json::from_slice(&bytes).map_err(|error| BackupError::InvalidManifest {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })?;
    manifest.validate(path)?;
    Ok(manifest)
}
