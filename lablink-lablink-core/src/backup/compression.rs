//! Compressing a tar file with gzip, bzip2 or xz, and reading it back.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use lablink_prof::line_profile;

use super::{BackupError, CompressionType};

/// Compression level used for gzip and bzip2 (their usual default).
const DEFLATE_LEVEL: u32 = 6;
/// xz preset (the `xz` command's default).
const XZ_PRESET: u32 = 6;

/// Compresses `input` into `output` and removes `input`; returns the size of `output` in bytes.
///
/// With [`CompressionType::None`] the file is renamed.
///
/// # Errors
///
/// [`BackupError::Io`] for any read, write or rename failure.
#[line_profile]
pub fn compress(
    input: &Path,
    compression: CompressionType,
    output: &Path,
) -> Result<u64, BackupError> {
    if compression == CompressionType::None {
        fs::rename(input, output).map_err(BackupError::io("rename", input))?;
    } else {
        let mut reader = BufReader::new(File::open(input).map_err(BackupError::io("open", input))?);
        let writer =
            BufWriter::new(File::create(output).map_err(BackupError::io("create", output))?);
        encode(&mut reader, writer, compression)
            .map_err(BackupError::io("compress into", output))?;
        fs::remove_file(input).map_err(BackupError::io("remove", input))?;
    }
    let metadata = fs::metadata(output).map_err(BackupError::io("inspect", output))?;
    Ok(metadata.len())
}

/// Streams `reader` through the encoder into `writer`, then flushes and syncs the file.
fn encode(
    reader: &mut impl Read,
    writer: BufWriter<File>,
    compression: CompressionType,
) -> io::Result<()> {
    let writer = match compression {
        CompressionType::None => {
            let mut writer = writer;
            io::copy(reader, &mut writer)?;
            writer
        }
        CompressionType::Gzip => {
            let level = flate2::Compression::new(DEFLATE_LEVEL);
            let mut encoder = flate2::write::GzEncoder::new(writer, level);
            io::copy(reader, &mut encoder)?;
            encoder.finish()?
        }
        CompressionType::Bzip2 => {
            let level = bzip2::Compression::new(DEFLATE_LEVEL);
            let mut encoder = bzip2::write::BzEncoder::new(writer, level);
            io::copy(reader, &mut encoder)?;
            encoder.finish()?
        }
        CompressionType::Xz => {
            let mut encoder = xz2::write::XzEncoder::new(writer, XZ_PRESET);
            io::copy(reader, &mut encoder)?;
            encoder.finish()?
        }
    };
    let mut file = writer
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    file.flush()?;
    file.sync_all()
}

/// Opens an archive file and returns a reader of its decompressed (tar) bytes.
///
/// # Errors
///
/// [`BackupError::Io`] if the file cannot be opened. Decoding errors surface while reading.
pub fn decompressing_reader(
    path: &Path,
    compression: CompressionType,
) -> Result<Box<dyn Read + Send>, BackupError> {
    let file = BufReader::new(File::open(path).map_err(BackupError::io("open", path))?);
    Ok(match compression {
        CompressionType::None => Box::new(file),
        CompressionType::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
        CompressionType::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(file)),
        CompressionType::Xz => Box::new(xz2::read::XzDecoder::new_multi_decoder(file)),
    })
}
