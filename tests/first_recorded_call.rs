//! The process's first recorded call sets the recorder up (the settings from the environment,
//! calibration, the report at exit and its writer threads), and none of that is the program's
//! memory: the call shows only what the function allocates, here nothing, and the process's live
//! heap does not move. Its own binary without the test harness, so that the call is the
//! process's first and no harness thread allocates meanwhile.

use lablink_prof::diagnostics::process_live_bytes;
use lablink_prof::{CountingAlloc, HeapStats, line_profile, measure};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

#[line_profile]
fn adds(a: u64, b: u64) -> u64 {
    let sum = a + b;
    std::hint::black_box(sum)
}

/// The names of this process's threads.
#[cfg(target_os = "linux")]
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .map(|task| {
            let comm = task.expect("a task").path().join("comm");
            std::fs::read_to_string(comm)
                .expect("comm")
                .trim()
                .to_owned()
        })
        .collect()
}

fn main() {
    // Recording turned on as a user does, so that the first call also reads the environment,
    // and keeps a setting that allocates (the profile's path).
    let out = std::env::temp_dir().join(format!("lp-first-call-{}.json", std::process::id()));
    // SAFETY: no other thread runs yet, so none reads the environment meanwhile.
    unsafe {
        std::env::set_var("LABLINK_PROFILING", "1");
        std::env::set_var("LABLINK_PROFILE_OUT", &out);
    }
    lablink_prof::skip_exit_report();
    #[cfg(target_os = "linux")]
    let writer = "lablink-prof-wr".to_owned();
    #[cfg(target_os = "linux")]
    assert!(
        !thread_names().contains(&writer),
        "set up before the first call"
    );

    let live_before = process_live_bytes();
    let (sum, stats) = measure(|| adds(2, 3));
    let live_after = process_live_bytes();

    assert_eq!(sum, 5);
    // The set-up happened inside the measurement: the SIGUSR1 writer thread now runs.
    #[cfg(target_os = "linux")]
    assert!(thread_names().contains(&writer), "{:?}", thread_names());
    assert_eq!(
        stats,
        HeapStats {
            counted: true,
            ..HeapStats::default()
        }
    );
    assert_eq!(live_after, live_before);
    println!(
        "first recorded call: no memory counted, live heap {live_after} bytes before and after"
    );
}
