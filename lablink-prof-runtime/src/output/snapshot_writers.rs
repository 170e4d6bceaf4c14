//! Profiles of a program that keeps running: a JSON file rewritten every
//! `LABLINK_PROFILE_INTERVAL` seconds (like kernprof's `-i`), and on Unix a snapshot written at
//! once on `SIGUSR1`, without stopping the program.
//!
//! Both start with recording (the first profiled call), each on a thread of the profiler's own
//! (`heap::uncounted_thread`). They write to `LABLINK_PROFILE_OUT`, or, for `SIGUSR1` without it, to
//! `lablink-profile-PID.json` in the working directory. The file is replaced whole each time.
//! With recording on, `SIGUSR1` no longer ends the process (its default action).

use std::io::Write;
#[cfg(unix)]
use std::path::PathBuf;

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
        crate::heap::uncounted_thread::spawn(c"lablink-prof-wr", move || {
            loop {
                std::thread::sleep(interval);
                write_snapshot(&path, false);
            }
        });
    }
    #[cfg(unix)]
    on_sigusr1();
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
        Ok(mut signals) => crate::heap::uncounted_thread::spawn(c"lablink-prof-wr", move || {
            for _ in signals.forever() {
                write_snapshot(&snapshot_path(), true);
            }
        }),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "lablink-prof: no SIGUSR1 snapshots: {e}");
        }
    }
}
