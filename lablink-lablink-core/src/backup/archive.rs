//! Writing tar archives, and reading them back with every entry checked before it is trusted.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Component, Path};

use lablink_prof::line_profile;
use tar::{Archive, EntryType};

use super::{BackupError, CollectedEntry, CompressionType, EntryKind, decompressing_reader};

/// Writes the entries into an uncompressed tar file; returns its size in bytes.
///
/// Modes, owners and modification times are recorded; symbolic links are never followed.
///
/// # Errors
///
/// [`BackupError::Io`] if a source cannot be read or the archive cannot be written.
#[line_profile]
pub fn create_archive(entries: &[CollectedEntry], tar_path: &Path) -> Result<u64, BackupError> {
    let file = File::create(tar_path).map_err(BackupError::io("create", tar_path))?;
    let mut builder = tar::Builder::new(BufWriter::new(file));
    builder.follow_symlinks(false);
    for entry in entries {
        let appended = match entry.kind {
            EntryKind::Directory => builder.append_dir(&entry.archive_path, &entry.source_path),
            EntryKind::File => {
                builder.append_path_with_name(&entry.source_path, &entry.archive_path)
            }
        };
        appended.map_err(BackupError::io("archive", &entry.source_path))?;
    }
    let writer = builder
        .into_inner()
        .map_err(BackupError::io("write", tar_path))?;
    let mut file = writer
        .into_inner()
        .map_err(|error| BackupError::io("write", tar_path)(error.into_error()))?;
    file.flush()
        .and_then(|()| file.sync_all())
        .map_err(BackupError::io("write", tar_path))?;
    let metadata = file
        .metadata()
        .map_err(BackupError::io("inspect", tar_path))?;
    Ok(metadata.len())
}

/// Reads a whole archive, checking every entry, and returns its regular files' paths in order.
///
/// Every entry must be a regular file or a directory with a relative path free of `..`; the
/// whole compressed stream is read, so a damaged one is detected (gzip's CRC included).
///
/// # Errors
///
/// [`BackupError::CorruptArchive`] if it cannot be decoded, [`BackupError::UnsafeEntryPath`],
/// [`BackupError::UnsupportedEntryType`], or [`BackupError::Io`] if it cannot be opened.
pub fn inspect_archive(
    archive_path: &Path,
    compression: CompressionType,
) -> Result<Vec<String>, BackupError> {
    let corrupt = |source: io::Error| BackupError::CorruptArchive {
        path: archive_path.to_path_buf(),
        source,
    };
    let reader = decompressing_reader(archive_path, compression)?;
    let mut archive = Archive::new(reader);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(corrupt)? {
        let entry = entry.map_err(corrupt)?;
        let path = checked_entry_path(&entry)?;
        if entry.header().entry_type().is_file() {
            files.push(path);
        }
    }
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(corrupt)?;
    Ok(files)
}

/// How much [`extract_archive`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtractionSummary {
    /// Regular files written.
    pub files: usize,
    /// Bytes of file content written.
    pub bytes: u64,
}

/// Restores an archive into `target_dir` after checking every entry.
///
/// The archive is read twice: first [`inspect_archive`] checks all entries, so an archive with
/// any unsafe entry is refused before anything is written; then the entries are unpacked.
///
/// # Errors
///
/// As for [`inspect_archive`], plus [`BackupError::Io`] if a file cannot be written.
pub fn extract_archive(
    archive_path: &Path,
    compression: CompressionType,
    target_dir: &Path,
) -> Result<ExtractionSummary, BackupError> {
    inspect_archive(archive_path, compression)?;
    let corrupt = |source: io::Error| BackupError::CorruptArchive {
        path: archive_path.to_path_buf(),
        source,
    };
    let reader = decompressing_reader(archive_path, compression)?;
    let mut archive = Archive::new(reader);
    let mut summary = ExtractionSummary::default();
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let path = checked_entry_path(&entry)?;
        let is_file = entry.header().entry_type().is_file();
        let size = entry.size();
        let unpacked = entry
            .unpack_in(target_dir)
            .map_err(BackupError::io("restore", target_dir.join(&path)))?;
        if !unpacked {
            return Err(BackupError::UnsafeEntryPath { path });
        }
        if is_file {
            summary.files += 1;
            summary.bytes += size;
        }
    }
    Ok(summary)
}

/// Returns an entry's path if it is a regular file or directory with a safe relative path.
fn checked_entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> Result<String, BackupError> {
    let raw = entry.path_bytes();
    let path = String::from_utf8_lossy(&raw).into_owned();
    let kind = entry.header().entry_type();
    if !(kind.is_file() || kind.is_dir()) {
        return Err(BackupError::UnsupportedEntryType {
            path,
            kind: describe_entry_type(kind),
        });
    }
    if !is_safe_relative_path(&raw) {
        return Err(BackupError::UnsafeEntryPath { path });
    }
    Ok(path.trim_end_matches('/').to_owned())
}

/// Whether a stored path is valid UTF-8, relative, non-empty and has no `..` or root component.
fn is_safe_relative_path(raw: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(raw) else {
        return false;
    };
    if text.is_empty() || text.starts_with(['/', '\\']) || text.contains('\0') {
        return false;
    }
    Path::new(text)
        .components()
        .all(|component| matches!(component, Component::Normal(_) | Component::CurDir))
}

/// A readable name for a tar entry type.
fn describe_entry_type(kind: EntryType) -> String {
    match kind {
        EntryType::Symlink => "symbolic link".to_owned(),
        EntryType::Link => "hard link".to_owned(),
        EntryType::Char => "character device".to_owned(),
        EntryType::Block => "block device".to_owned(),
        EntryType::Fifo => "fifo".to_owned(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_safety_rules() {
        for safe in ["config", "config/a.json", "./config/a", "logs/x..y"] {
            assert!(is_safe_relative_path(safe.as_bytes()), "{safe}");
        }
        for unsafe_path in [
            "",
            "/etc/passwd",
            "../evil",
            "config/../../evil",
            "a/..",
            "\\x",
        ] {
            assert!(
                !is_safe_relative_path(unsafe_path.as_bytes()),
                "{unsafe_path}"
            );
        }
        assert!(!is_safe_relative_path(b"bad\xff"));
    }
}
