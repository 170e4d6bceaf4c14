//! Profiles of a program that keeps running: a JSON file rewritten every
//! `LABLINK_PROFILE_INTERVAL` seconds (like kernprof's `-i`), and on Unix a snapshot written at
//! once on `SIGUSR1`, without stopping the program.
//!
//! Both start with recording (the first profiled call), on a thread of their own named
//! `lablink-prof-writer`; they write to `LABLINK_PROFILE_OUT`, or, for `SIGUSR1` without it, to
//! `lablink-profile-PID.json` in the working directory. The file is replaced whole each time.
//! With recording on, `SIGUSR1` no longer ends the process (its default action).

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{
    AtomicUsize,
    Ordering::{Acquire, Release},
};
use std::time::Duration;

use crate::config::config;

/// Starts the writer threads the environment asks for.
pub(crate) fn start() {
    let config = config();
    if let Some(problem) = &config.interval_error {
        let _ = writeln!(std::io::stderr(), "lablink-prof: {problem}; not rewriting");
    }
    if let Some(interval) = config.interval {
        match &config.out {
            Some(path) => {
                let path = path.clone();
                spawn(move || {
                    loop {
                        std::thread::sleep(interval);
                        write_snapshot(&path, false);
                    }
                });
            }
            None => {
                let _ = writeln!(
                    std::io::stderr(),
                    "lablink-prof: LABLINK_PROFILE_INTERVAL needs LABLINK_PROFILE_OUT (the file to \
                     rewrite)"
                );
            }
        }
    }
    #[cfg(unix)]
    on_sigusr1();
}

/// Starts a writer thread running `work`, and returns once `work` has begun.
///
/// Everything the thread does from then on is the recorder's own, and is counted nowhere the
/// program's heap figures come from (`heap::uncounted`); what std does to start it is counted,
/// on this thread and on the new one, and is over by the time this returns, so that a program
/// measuring its heap around its first profiled call sees the same figures every run.
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
                std::thread::park_timeout(Duration::from_millis(1));
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
    config()
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("lablink-profile-{}.json", std::process::id())))
}

fn write_snapshot(path: &std::path::Path, announce: bool) {
    let profile = crate::profile::snapshot();
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
