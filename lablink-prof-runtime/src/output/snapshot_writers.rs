//! Profiles of a program that keeps running: a JSON file rewritten every
//! `LABLINK_PROFILE_INTERVAL` seconds (like kernprof's `-i`), and on Unix a snapshot written at
//! once on `SIGUSR1`, without stopping the program.
//!
//! Both start with recording (the first profiled call), each on a thread of its own (see
//! `spawn`). They write to `LABLINK_PROFILE_OUT`, or, for `SIGUSR1` without it, to
//! `lablink-profile-PID.json` in the working directory. The file is replaced whole each time.
//! With recording on, `SIGUSR1` no longer ends the process (its default action).

use std::io::Write;
#[cfg(unix)]
use std::path::PathBuf;
#[cfg(not(unix))]
use std::sync::atomic::{
    AtomicUsize,
    Ordering::{Acquire, Release},
};

use crate::control::settings::settings;

/// Starts the writer threads the environment asks for. On Unix, what this allocates for them is
/// the recorder's and is not counted (see `spawn`).
pub(crate) fn start() {
    #[cfg(unix)]
    crate::heap::uncounted(start_writers);
    #[cfg(not(unix))]
    start_writers();
}

fn start_writers() {
    let settings = settings();
    // The settings give an interval only with a file to rewrite.
    if let (Some(interval), Some(path)) = (settings.interval, &settings.out) {
        let path = path.clone();
        spawn(move || {
            loop {
                std::thread::sleep(interval);
                write_snapshot(&path, false);
            }
        });
    }
    #[cfg(unix)]
    on_sigusr1();
}

/// Starts a writer thread running `work`.
///
/// The thread is the recorder's: nothing it allocates or frees, and nothing allocated to start
/// it, is counted where the program's heap figures come from. std's `thread::spawn` cannot give
/// that: it allocates the thread's handle, name and closure on this thread, and the new thread
/// frees some of them and allocates more before `work` runs, where `heap::uncounted` cannot
/// reach. So the thread is started with `pthread_create`, which allocates nothing through Rust's
/// allocator, and everything else happens inside `heap::uncounted`: here (the caller, `start`,
/// runs there) and on the new thread from its first instruction of Rust. The thread
/// is named `lablink-prof-wr` on Linux (a name there has at most 15 bytes).
#[cfg(unix)]
fn spawn(work: impl FnOnce() + Send + 'static) {
    type Work = Box<dyn FnOnce() + Send>;

    extern "C" fn run(work: *mut libc::c_void) -> *mut libc::c_void {
        crate::heap::uncounted(|| {
            // SAFETY: `work` is the `Box<Work>` that `spawn` leaked for this thread alone.
            let work = unsafe { Box::from_raw(work.cast::<Work>()) };
            // A panic must not unwind out of an `extern "C"` function: the thread just ends.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        });
        std::ptr::null_mut()
    }

    let work = Box::into_raw(Box::new(Box::new(work) as Work));
    let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: `thread` is writable, default attributes are asked for with null, and `run`
    // takes the one argument it is given, `work`, which stays valid until `run` frees it.
    let error =
        unsafe { libc::pthread_create(thread.as_mut_ptr(), std::ptr::null(), run, work.cast()) };
    if error != 0 {
        // SAFETY: no thread was started, so `work` is still this function's to free.
        drop(unsafe { Box::from_raw(work) });
        let error = std::io::Error::from_raw_os_error(error);
        let _ = writeln!(std::io::stderr(), "lablink-prof: no writer thread: {error}");
        return;
    }
    // SAFETY: `pthread_create` succeeded and wrote the thread's id.
    let thread = unsafe { thread.assume_init() };
    #[cfg(target_os = "linux")]
    // SAFETY: `thread` is a live thread of this process; the name is NUL-terminated and
    // 15 bytes long, the most Linux takes. A failure leaves the thread unnamed.
    unsafe {
        libc::pthread_setname_np(thread, c"lablink-prof-wr".as_ptr());
    }
    // SAFETY: `thread` is joinable and nothing joins it: its resources go when it ends.
    unsafe {
        libc::pthread_detach(thread);
    }
}

/// Starts a writer thread running `work`, and returns once `work` has begun.
///
/// Outside Unix the thread is std's, named `lablink-prof-writer`. Everything it does once
/// `work` runs is the recorder's and is not counted; what std does to start it is counted, on
/// this thread and on the new one, and is over by the time this returns, so that a program
/// measuring its heap around its first profiled call sees the same figures every run.
#[cfg(not(unix))]
fn spawn(work: impl FnOnce() + Send + 'static) {
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let before = STARTED.load(Acquire);
    let parent = std::thread::current();
    let started = std::thread::Builder::new()
        .name("lablink-prof-writer".to_owned())
        .spawn(move || {
            STARTED.fetch_add(1, Release);
            parent.unpark();
            drop(parent);
            crate::heap::uncounted(work);
        });
    match started {
        Ok(_) => {
            while STARTED.load(Acquire) == before {
                std::thread::park_timeout(std::time::Duration::from_millis(1));
            }
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "lablink-prof: no writer thread: {e}");
        }
    }
}

/// Where a snapshot goes.
#[cfg(unix)]
fn snapshot_path() -> PathBuf {
    settings()
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("lablink-profile-{}.json", std::process::id())))
}

fn write_snapshot(path: &std::path::Path, announce: bool) {
    let profile = crate::snapshot::snapshot();
    let mut stderr = std::io::stderr();
    match crate::report::write_json(&profile, path) {
        Ok(()) if announce => {
            let _ = writeln!(
                stderr,
                "lablink-prof: snapshot written to {}",
                path.display()
            );
        }
        Ok(()) => {}
        Err(e) => {
            let _ = writeln!(stderr, "lablink-prof: could not write a snapshot: {e}");
        }
    }
}

#[cfg(unix)]
fn on_sigusr1() {
    use signal_hook::consts::SIGUSR1;
    use signal_hook::iterator::Signals;
    match Signals::new([SIGUSR1]) {
        Ok(mut signals) => spawn(move || {
            for _ in signals.forever() {
                write_snapshot(&snapshot_path(), true);
            }
        }),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "lablink-prof: no SIGUSR1 snapshots: {e}");
        }
    }
}
