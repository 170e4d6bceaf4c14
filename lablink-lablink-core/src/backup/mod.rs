//! Backups of configuration, database and log directories: tar archives, compressed, hashed,
//! described by a JSON manifest, verifiable and safely restorable.
//!
//! [`BackupManager::create_backup`] runs the guide's backup creation flow, each step its own
//! function so a profile shows where time goes: validate the [`BackupRequest`],
//! [`collect_files`], [`create_archive`] (tar), [`compress`] (gzip, bzip2 or xz), [`sha256`],
//! write the [`BackupManifest`] beside the archive, and optionally verify.
//!
//! On disk, backup `<id>` is `<backup_dir>/<id>.tar[.gz|.bz2|.xz]` plus
//! `<backup_dir>/<id>.manifest.json`. Inside the archive, files sit under `config/`,
//! `database/` and `logs/`.
//!
//! The `*_async` methods run the same blocking work on tokio's blocking thread pool
//! (`spawn_blocking`), so an async server's event loop is never blocked by compression or disk
//! I/O, the pitfall the guide warns about.

mod archive;
mod async_api;
mod backup_config;
mod backup_error;
mod backup_manifest;
mod backup_request;
mod checksum;
mod compression;
mod file_collection;
mod manager;

pub use archive::{ExtractionSummary, create_archive, extract_archive, inspect_archive};
pub use backup_config::{BackupConfig, DEFAULT_RETENTION_COUNT};
pub use backup_error::BackupError;
pub use backup_manifest::{BackupManifest, MANIFEST_FORMAT_VERSION, read_manifest, write_manifest};
pub use backup_request::{BackupRequest, BackupType, CompressionType, MAX_DESCRIPTION_CHARS};
pub use checksum::sha256;
pub use compression::{compress, decompressing_reader};
pub use file_collection::{CollectedEntry, EntryKind, SourceDir, collect_files};
pub use manager::{BackupManager, BackupResult, RestoreResult};
