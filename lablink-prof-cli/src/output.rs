//! Writing results: to stdout, or to a file named with `-o` (`-` is stdout).

use std::io::Write;
use std::path::Path;

use crate::error::CliError;

/// Writes `bytes` to stdout. A closed pipe (`lablink-prof view p.json | head`) is not an
/// error: the reader has what it wanted.
///
/// # Errors
/// [`CliError::Output`] for any other write error.
pub fn stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::output(Path::new("<stdout>"), e))
        }
        _ => Ok(()),
    }
}

/// Writes `bytes` to `path`, or to stdout when it is `-`, and says so on stderr.
///
/// # Errors
/// [`CliError::Output`] naming the file when it cannot be written.
pub fn file(path: &Path, bytes: &[u8], what: &str) -> Result<(), CliError> {
    if path == Path::new("-") {
        return stdout(bytes);
    }
    std::fs::write(path, bytes).map_err(|e| CliError::output(path, e))?;
    eprintln!("lablink-prof: wrote {what} to {}", path.display());
    Ok(())
}
