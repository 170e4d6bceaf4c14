//! SHA-256 of a file, streamed.

use std::fs::File;
use std::io;
use std::path::Path;

use lablink_prof::line_profile;
use sha2::{Digest, Sha256};

use super::BackupError;

/// Computes the SHA-256 of a file as 64 lowercase hex digits, reading it in a stream.
///
/// # Errors
///
/// [`BackupError::Io`] if the file cannot be read.
#[line_profile]
pub fn sha256(path: &Path) -> Result<String, BackupError> {
    let mut file = File::open(path).map_err(BackupError::io("open", path))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).map_err(BackupError::io("read", path))?;
    let digest = hasher.finalize();
    Ok(data_encoding::HEXLOWER.encode(&digest))
}
