//! Walking the source directories into the ordered list of entries to archive.

use std::fs;
use std::path::{Path, PathBuf};

use lablink_prof::line_profile;
use serde::{Deserialize, Serialize};

use super::BackupError;

/// A directory to back up and the top-level name it gets inside the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDir {
    /// Top-level directory name in the archive, e.g. `"config"`.
    pub archive_prefix: String,
    /// The directory on disk.
    pub path: PathBuf,
}

/// Whether an entry is a file or a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory (archived so that empty directories are restored too).
    Directory,
}

/// One file or directory to archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectedEntry {
    /// Where it is on disk.
    pub source_path: PathBuf,
    /// Its path inside the archive, `/`-separated, e.g. `config/devices/scope.json`.
    pub archive_path: String,
    /// File or directory.
    pub kind: EntryKind,
    /// Size in bytes (0 for directories).
    pub size_bytes: u64,
}

/// Lists every directory and regular file under the sources, parents before children, names
/// sorted, so archives of the same tree list the same order.
///
/// Symbolic links, sockets and device files are skipped: following links could pull in files
/// outside the sources, and restoring links could write outside the restore directory.
///
/// # Errors
///
/// [`BackupError::SourceMissing`] if a source is not a directory, [`BackupError::NonUtf8Path`],
/// or [`BackupError::Io`] if a directory cannot be read.
#[line_profile]
pub fn collect_files(sources: &[SourceDir]) -> Result<Vec<CollectedEntry>, BackupError> {
    let mut entries = Vec::new();
    for source in sources {
        if !source.path.is_dir() {
            return Err(BackupError::SourceMissing {
                path: source.path.clone(),
            });
        }
        entries.push(CollectedEntry {
            source_path: source.path.clone(),
            archive_path: source.archive_prefix.clone(),
            kind: EntryKind::Directory,
            size_bytes: 0,
        });
        collect_directory(&source.path, &source.archive_prefix, &mut entries)?;
    }
    Ok(entries)
}

/// Appends the contents of `directory` (recursively) under `archive_dir`.
fn collect_directory(
    directory: &Path,
    archive_dir: &str,
    entries: &mut Vec<CollectedEntry>,
) -> Result<(), BackupError> {
    let mut children = fs::read_dir(directory)
        .map_err(BackupError::io("read directory", directory))?
        .map(|child| child.map(|child| child.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(BackupError::io("read directory", directory))?;
    children.sort();
    for child in children {
        let metadata = fs::symlink_metadata(&child).map_err(BackupError::io("inspect", &child))?;
        let name = child
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| BackupError::NonUtf8Path {
                path: child.clone(),
            })?;
        let archive_path = format!("{archive_dir}/{name}");
        if metadata.is_dir() {
            entries.push(CollectedEntry {
                source_path: child.clone(),
                archive_path: archive_path.clone(),
                kind: EntryKind::Directory,
                size_bytes: 0,
            });
            collect_directory(&child, &archive_path, entries)?;
        } else if metadata.is_file() {
            entries.push(CollectedEntry {
                source_path: child,
                archive_path,
                kind: EntryKind::File,
                size_bytes: metadata.len(),
            });
        }
    }
    Ok(())
}
