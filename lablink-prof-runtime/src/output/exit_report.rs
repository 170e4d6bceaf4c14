//! The report printed when the process exits, and its explicit forms.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use crate::control::settings::settings;
use crate::report::{self, ReportFormat};

/// How many lines the exit report's heap-tracking summary lists in each part.
const SUMMARY_LINES: usize = 10;

/// Whether the exit report is still to be printed.
static AT_EXIT: AtomicBool = AtomicBool::new(true);

/// Registers the exit report with the C runtime (the start-up calls it once).
///
/// `atexit` handlers run when `main` returns and on `std::process::exit`; not on a panic that
/// aborts, on `std::process::abort`, or when a signal kills the process.
pub(crate) fn install() {
    extern "C" fn at_exit() {
        // A panic must not cross into C; whatever happens, the exit status stays the program's.
        let _ = std::panic::catch_unwind(|| {
            if AT_EXIT.swap(false, Relaxed) {
                print_and_write();
            }
        });
    }
    // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds (it catches panics).
    let _ = unsafe { libc::atexit(at_exit) };
}

/// Stops the exit report from being printed: the program reports itself.
pub fn skip_exit_report() {
    AT_EXIT.store(false, Relaxed);
}

/// Prints the report on stderr in the layout `LABLINK_PROFILE_FORMAT` names, and writes the JSON
/// file `LABLINK_PROFILE_OUT` names, if any. Errors are printed on stderr, never returned or
/// raised: reporting never changes what the program does.
///
/// Calling it turns off the report at exit.
pub fn print_report() {
    skip_exit_report();
    print_and_write();
}

fn print_and_write() {
    #[cfg(feature = "dhat-heap")]
    crate::output::dhat_profile::finish();
    let settings = settings();
    let profile = crate::snapshot::snapshot();
    let mut text = String::new();
    if profile.functions.is_empty() {
        text.push_str("lablink-prof: no profiled function ran\n");
    } else {
        text.push_str(&report::render_with(
            &profile,
            settings.format,
            &settings.columns,
        ));
        // JSON on stderr stays JSON; the file and `lablink-prof view` carry the blocking lines.
        if settings.format != report::ReportFormat::Json {
            text.push_str(&report::blocking_summary(&profile));
        }
    }
    if let (Some(tracking), false) = (
        &profile.heap_tracking,
        settings.format == ReportFormat::Json,
    ) {
        text.push_str(&report::heap_tracking::render(
            tracking,
            Some(SUMMARY_LINES),
        ));
    } else if crate::heap::process_tracking::is_on() && !profile.heap_counted {
        text.push_str(
            "LABLINK_PROFILE_HEAP=track: nothing tracked, the counting allocator is not installed \
             (#[global_allocator] static ALLOC: lablink_prof::CountingAlloc = \
             lablink_prof::CountingAlloc::system();)\n",
        );
    }
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    if let Some(path) = &settings.out {
        match report::write_json(&profile, path) {
            Ok(()) => {
                let _ = writeln!(
                    stderr,
                    "lablink-prof: profile written to {}",
                    path.display()
                );
            }
            Err(e) => {
                let _ = writeln!(stderr, "lablink-prof: could not write the profile: {e}");
            }
        }
    }
    let _ = stderr.flush();
}

/// Prints the report when dropped, as [`print_report`] does, and turns off the exit report.
///
/// ```
/// let _report = lablink_prof_runtime::ReportGuard::new();
/// // ... profiled work ...
/// ```
#[derive(Debug, Default)]
#[must_use = "the report is printed when the guard is dropped"]
pub struct ReportGuard {
    _private: (),
}

impl ReportGuard {
    /// A guard that prints the report when it goes out of scope.
    pub fn new() -> Self {
        skip_exit_report();
        ReportGuard { _private: () }
    }
}

impl Drop for ReportGuard {
    fn drop(&mut self) {
        print_and_write();
    }
}
