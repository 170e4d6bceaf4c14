//! [`BackupManager`]: creating, listing, verifying, restoring and pruning backups.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lablink_prof::line_profile;

use super::{
    BackupConfig, BackupError, BackupManifest, BackupRequest, BackupType, CompressionType,
    MANIFEST_FORMAT_VERSION, SourceDir, collect_files, compress, create_archive, extract_archive,
    inspect_archive, read_manifest, sha256, write_manifest,
};

/// Suffix of manifest files.
const MANIFEST_SUFFIX: &str = ".manifest.json";
/// Longest accepted backup id.
const MAX_BACKUP_ID_LEN: usize = 128;

/// What [`BackupManager::create_backup`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupResult {
    /// The manifest written beside the archive.
    pub manifest: BackupManifest,
    /// Path of the archive.
    pub archive_path: PathBuf,
    /// Path of the manifest.
    pub manifest_path: PathBuf,
    /// Whether the archive was verified after writing.
    pub verified: bool,
    /// Wall-clock time the backup took.
    pub duration: Duration,
}

/// What [`BackupManager::restore_backup`] restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreResult {
    /// The restored backup.
    pub backup_id: String,
    /// Where it was restored.
    pub target_dir: PathBuf,
    /// Regular files written.
    pub files_restored: usize,
    /// Bytes of file content written.
    pub bytes_restored: u64,
}

/// The on-disk names of one backup.
struct BackupPaths {
    staging: PathBuf,
    archive: PathBuf,
    manifest: PathBuf,
}

/// Removes the listed files when dropped, unless disarmed: cleans up a failed backup.
struct RemoveOnFailure {
    paths: Vec<PathBuf>,
    armed: bool,
}

impl RemoveOnFailure {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for RemoveOnFailure {
    fn drop(&mut self) {
        if self.armed {
            for path in &self.paths {
                // Best effort: the file may never have been created.
                let _ = fs::remove_file(path);
            }
        }
    }
}

/// Creates and manages backups in one directory; cheap to clone (the configuration is shared).
///
/// ```
/// use lablink_core::backup::{BackupConfig, BackupManager, BackupRequest, BackupType, CompressionType};
///
/// let root = std::env::temp_dir().join(format!("lablink-backup-doc-{}", std::process::id()));
/// std::fs::create_dir_all(root.join("config")).unwrap();
/// std::fs::write(root.join("config/settings.json"), br#"{"test": true}"#).unwrap();
/// let config = BackupConfig::new(root.join("backups")).with_config_dir(root.join("config"));
/// let manager = BackupManager::new(config)?;
/// let request = BackupRequest::new(BackupType::Config, CompressionType::Gzip).with_verification(true);
/// let result = manager.create_backup(&request)?;
/// assert_eq!(result.manifest.files, ["config/settings.json"]);
/// let restored = manager.restore_backup(&result.manifest.backup_id, &root.join("restored"))?;
/// assert_eq!(restored.files_restored, 1);
/// # std::fs::remove_dir_all(&root).unwrap();
/// # Ok::<(), lablink_core::backup::BackupError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BackupManager {
    config: Arc<BackupConfig>,
}

impl BackupManager {
    /// Validates the configuration and creates the backup directory if missing.
    ///
    /// # Errors
    ///
    /// [`BackupError::InvalidConfig`] or [`BackupError::Io`].
    pub fn new(config: BackupConfig) -> Result<Self, BackupError> {
        config.validate()?;
        fs::create_dir_all(&config.backup_dir)
            .map_err(BackupError::io("create", &config.backup_dir))?;
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &BackupConfig {
        &self.config
    }

    /// Creates a backup: validate, collect, archive, compress, hash, write manifest, verify.
    ///
    /// On failure, partial files are removed. Old backups are not pruned automatically; call
    /// [`cleanup_old_backups`](Self::cleanup_old_backups).
    ///
    /// # Errors
    ///
    /// [`BackupError::InvalidRequest`]; [`BackupError::SourceNotConfigured`],
    /// [`BackupError::NoSources`] or [`BackupError::SourceMissing`] for unusable sources;
    /// [`BackupError::Io`]; with verification, the errors of
    /// [`verify_backup`](Self::verify_backup).
    #[line_profile]
    pub fn create_backup(&self, request: &BackupRequest) -> Result<BackupResult, BackupError> {
        let started = Instant::now();
        request.validate()?;
        let created_at = Utc::now();
        let backup_id = new_backup_id(request.backup_type, created_at)?;
        let sources = self.sources_for(request.backup_type)?;
        let entries = collect_files(&sources)?;
        let paths = self.paths_for(&backup_id, request.compression);
        let cleanup = RemoveOnFailure {
            paths: vec![
                paths.staging.clone(),
                paths.archive.clone(),
                paths.manifest.clone(),
            ],
            armed: true,
        };
        create_archive(&entries, &paths.staging)?;
        let size_bytes = compress(&paths.staging, request.compression, &paths.archive)?;
        let checksum = sha256(&paths.archive)?;
        let manifest = BackupManifest {
            format_version: MANIFEST_FORMAT_VERSION,
            backup_id: backup_id.clone(),
            backup_type: request.backup_type,
            compression: request.compression,
            description: request.description.clone(),
            created_at,
            archive_file: file_name_of(&paths.archive),
            size_bytes,
            sha256: checksum,
            files: entries
                .iter()
                .filter(|entry| entry.kind == super::EntryKind::File)
                .map(|entry| entry.archive_path.clone())
                .collect(),
        };
        write_manifest(&paths.manifest, &manifest)?;
        if request.verify_after_backup {
            self.verify_backup(&backup_id)?;
        }
        cleanup.disarm();
        Ok(BackupResult {
            manifest,
            archive_path: paths.archive,
            manifest_path: paths.manifest,
            verified: request.verify_after_backup,
            duration: started.elapsed(),
        })
    }

    /// Checks a backup: the archive's SHA-256 matches the manifest, the archive decodes, every
    /// entry is safe, and its file list equals the manifest's. Returns the manifest.
    ///
    /// # Errors
    ///
    /// [`BackupError::InvalidBackupId`], [`BackupError::NotFound`],
    /// [`BackupError::InvalidManifest`], [`BackupError::ChecksumMismatch`],
    /// [`BackupError::CorruptArchive`], [`BackupError::UnsafeEntryPath`],
    /// [`BackupError::UnsupportedEntryType`], [`BackupError::ManifestMismatch`],
    /// [`BackupError::Io`].
    #[line_profile]
    pub fn verify_backup(&self, backup_id: &str) -> Result<BackupManifest, BackupError> {
        let manifest = self.load_manifest(backup_id)?;
        let archive_path = self.config.backup_dir.join(&manifest.archive_file);
        let actual = sha256(&archive_path)?;
        if actual != manifest.sha256 {
            return Err(BackupError::ChecksumMismatch {
                id: backup_id.to_owned(),
                expected: manifest.sha256,
                actual,
            });
        }
        let files = inspect_archive(&archive_path, manifest.compression)?;
        if files != manifest.files {
            return Err(BackupError::ManifestMismatch {
                id: backup_id.to_owned(),
                reason: format!(
                    "archive holds {} files, manifest lists {}",
                    files.len(),
                    manifest.files.len()
                ),
            });
        }
        Ok(manifest)
    }

    /// Verifies a backup, then restores it into `target_dir` (created if missing).
    ///
    /// Files land at their archive paths (`config/...`, `database/...`, `logs/...`) with their
    /// recorded modes and modification times; existing files at those paths are overwritten.
    /// Nothing is written if any entry is unsafe.
    ///
    /// # Errors
    ///
    /// The errors of [`verify_backup`](Self::verify_backup), and [`BackupError::Io`].
    pub fn restore_backup(
        &self,
        backup_id: &str,
        target_dir: &Path,
    ) -> Result<RestoreResult, BackupError> {
        let manifest = self.verify_backup(backup_id)?;
        let archive_path = self.config.backup_dir.join(&manifest.archive_file);
        fs::create_dir_all(target_dir).map_err(BackupError::io("create", target_dir))?;
        let summary = extract_archive(&archive_path, manifest.compression, target_dir)?;
        Ok(RestoreResult {
            backup_id: backup_id.to_owned(),
            target_dir: target_dir.to_path_buf(),
            files_restored: summary.files,
            bytes_restored: summary.bytes,
        })
    }

    /// Every backup's manifest, newest first.
    ///
    /// # Errors
    ///
    /// [`BackupError::Io`] if the directory cannot be read, [`BackupError::InvalidManifest`] if
    /// a manifest is damaged (it is reported rather than silently skipped).
    pub fn list_backups(&self) -> Result<Vec<BackupManifest>, BackupError> {
        let directory = &self.config.backup_dir;
        let mut manifests = Vec::new();
        for entry in
            fs::read_dir(directory).map_err(BackupError::io("read directory", directory))?
        {
            let path = entry
                .map_err(BackupError::io("read directory", directory))?
                .path();
            let is_manifest = path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.ends_with(MANIFEST_SUFFIX));
            if is_manifest {
                manifests.push(read_manifest(&path)?);
            }
        }
        manifests.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.backup_id.cmp(&a.backup_id))
        });
        Ok(manifests)
    }

    /// Deletes all but the newest `retention_count` backups; returns the deleted ids.
    ///
    /// # Errors
    ///
    /// The errors of [`list_backups`](Self::list_backups), and [`BackupError::Io`] if a file
    /// cannot be removed.
    pub fn cleanup_old_backups(&self) -> Result<Vec<String>, BackupError> {
        let backups = self.list_backups()?;
        let mut removed = Vec::new();
        for manifest in backups.into_iter().skip(self.config.retention_count) {
            let archive_path = self.config.backup_dir.join(&manifest.archive_file);
            remove_if_present(&archive_path)?;
            remove_if_present(&self.manifest_path(&manifest.backup_id))?;
            removed.push(manifest.backup_id);
        }
        Ok(removed)
    }

    /// The source directories a backup type covers.
    fn sources_for(&self, backup_type: BackupType) -> Result<Vec<SourceDir>, BackupError> {
        let configured = [
            ("config", &self.config.config_dir),
            ("database", &self.config.database_dir),
            ("logs", &self.config.logs_dir),
        ];
        let wanted = match backup_type {
            BackupType::Full => None,
            BackupType::Config => Some("config"),
            BackupType::Database => Some("database"),
            BackupType::Logs => Some("logs"),
        };
        let mut sources = Vec::new();
        for (kind, dir) in configured {
            if wanted.is_some_and(|wanted| wanted != kind) {
                continue;
            }
            match dir {
                Some(path) => sources.push(SourceDir {
                    archive_prefix: kind.to_owned(),
                    path: path.clone(),
                }),
                None if wanted.is_some() => return Err(BackupError::SourceNotConfigured { kind }),
                None => {}
            }
        }
        if sources.is_empty() {
            return Err(BackupError::NoSources);
        }
        Ok(sources)
    }

    /// Paths of a new backup's staging tar, archive and manifest.
    fn paths_for(&self, backup_id: &str, compression: CompressionType) -> BackupPaths {
        let directory = &self.config.backup_dir;
        BackupPaths {
            staging: directory.join(format!("{backup_id}.tar.partial")),
            archive: directory.join(format!("{backup_id}.{}", compression.extension())),
            manifest: self.manifest_path(backup_id),
        }
    }

    /// Path of a backup's manifest.
    fn manifest_path(&self, backup_id: &str) -> PathBuf {
        self.config
            .backup_dir
            .join(format!("{backup_id}{MANIFEST_SUFFIX}"))
    }

    /// Reads the manifest of an existing backup after checking the id.
    fn load_manifest(&self, backup_id: &str) -> Result<BackupManifest, BackupError> {
        validate_backup_id(backup_id)?;
        let path = self.manifest_path(backup_id);
        if !path.is_file() {
            return Err(BackupError::NotFound {
                id: backup_id.to_owned(),
            });
        }
        let manifest = read_manifest(&path)?;
        if manifest.backup_id != backup_id {
            return Err(BackupError::InvalidManifest {
                path,
                reason: format!("manifest describes backup {:?}", manifest.backup_id),
            });
        }
        Ok(manifest)
    }
}

/// Builds a unique, sortable id such as `config-20251114T120000123Z-1a2b3c4d`.
fn new_backup_id(
    backup_type: BackupType,
    created_at: DateTime<Utc>,
) -> Result<String, BackupError> {
    let mut random = [0_u8; 4];
    getrandom::fill(&mut random).map_err(BackupError::Randomness)?;
    Ok(format!(
        "{}-{}-{}",
        backup_type.as_str(),
        created_at.format("%Y%m%dT%H%M%S%3fZ"),
        data_encoding::HEXLOWER.encode(&random)
    ))
}

/// Accepts ids of ASCII letters, digits, `-` and `_` only, so an id can never name a path
/// outside the backup directory.
fn validate_backup_id(backup_id: &str) -> Result<(), BackupError> {
    let valid = !backup_id.is_empty()
        && backup_id.len() <= MAX_BACKUP_ID_LEN
        && backup_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(BackupError::InvalidBackupId {
            id: backup_id.to_owned(),
        })
    }
}

/// The final component of a path as a string (our own ASCII file names).
fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Removes a file, treating "already gone" as success.
fn remove_if_present(path: &Path) -> Result<(), BackupError> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(BackupError::io("remove", path)(error))
        }
        _ => Ok(()),
    }
}
