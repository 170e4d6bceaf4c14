//! The report at exit: printed on stderr, written as JSON, never changing the exit status.
//!
//! Each case runs this test binary again as a child process (the `child` test below, selected
//! by an environment variable), the way a user's program runs.

use std::process::Command;

use lablink_prof::line_profile;

#[line_profile]
fn work(n: u64) -> u64 {
    let mut acc = 0;
    for i in 0..n {
        acc += i;
    }
    acc
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn blocks_for(d: std::time::Duration) {
    tokio::task::yield_now().await;
    std::thread::sleep(d); // L:block
}

/// The child program: runs only when the parent sets `LP_CHILD`.
#[test]
fn child() {
    let Ok(mode) = std::env::var("LP_CHILD") else {
        return;
    };
    assert_eq!(work(1000), 499_500);
    match mode.as_str() {
        "exit3" => std::process::exit(3),
        // A long-running program that is killed: only live snapshots can have written a file.
        "interval" => {
            std::thread::sleep(std::time::Duration::from_millis(600));
            std::process::abort();
        }
        #[cfg(unix)]
        "sigusr1" => {
            // SAFETY: raising a signal on this process; the handler is signal-hook's.
            unsafe { libc_raise(10) };
            std::thread::sleep(std::time::Duration::from_millis(600));
            std::process::abort();
        }
        "blocking" => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            for _ in 0..3 {
                runtime.block_on(blocks_for(std::time::Duration::from_millis(2)));
            }
        }
        "guard" => {
            let _guard = lablink_prof::ReportGuard::new();
            work(10);
        }
        _ => {}
    }
}

#[cfg(unix)]
unsafe extern "C" {
    #[link_name = "raise"]
    fn libc_raise(signal: i32) -> i32;
}

fn run_child(mode: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("LP_CHILD", mode)
        .env_remove("LABLINK_PROFILING")
        .env_remove("LABLINK_PROFILE_FORMAT")
        .env_remove("LABLINK_PROFILE_OUT")
        .env_remove("LABLINK_PROFILE_HEAP");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_table_is_printed_at_exit_and_the_exit_status_is_kept() {
    let (code, stderr) = run_child("exit3", &[("LABLINK_PROFILING", "1")]);
    assert_eq!(code, Some(3));
    assert!(
        stderr.contains("Function: exit_report::work at line"),
        "{stderr}"
    );
    assert!(stderr.contains("acc += i;"), "{stderr}");
    // The `for` header row: 1001 hits.
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("1001") && l.contains("for i in 0..n")),
        "{stderr}"
    );
}

#[test]
fn extra_columns_and_distributions_come_from_the_settings() {
    let (code, stderr) = run_child(
        "normal",
        &[
            ("LABLINK_PROFILING", "1"),
            ("LABLINK_PROFILE_COLUMNS", "p99,min,max"),
        ],
    );
    assert_eq!(code, Some(0));
    let header = stderr.lines().find(|l| l.contains("Line #")).unwrap();
    let expected = ["Per Hit", "% Time", "Min", "Max", "p99", "Line Contents"];
    let at: Vec<usize> = expected.iter().map(|h| header.find(h).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{header}");
    assert!(stderr.contains("Per call: Min "), "{stderr}");
    // Distributions are on by default: the `acc += i;` row has a p99. Time, Per Hit, Min, Max,
    // p99.
    let row = stderr.lines().find(|l| l.contains("acc += i;")).unwrap();
    assert_eq!(
        row.matches(" ns").count() + row.matches(" µs").count(),
        5,
        "{row}"
    );
    // Without distributions, min and max are kept and p99 is left empty.
    let (_, stderr) = run_child(
        "normal",
        &[
            ("LABLINK_PROFILING", "1"),
            ("LABLINK_PROFILE_DISTRIBUTIONS", "0"),
            ("LABLINK_PROFILE_COLUMNS", "p99,min,max"),
        ],
    );
    let row = stderr.lines().find(|l| l.contains("acc += i;")).unwrap();
    assert_eq!(
        row.matches(" ns").count() + row.matches(" µs").count(),
        4,
        "{row}"
    );
    // Sampled mode times no single hit: the table says so instead of showing figures.
    let (_, sampled) = run_child(
        "normal",
        &[
            ("LABLINK_PROFILING", "1"),
            ("LABLINK_PROFILE_MODE", "sampled"),
            ("LABLINK_PROFILE_COLUMNS", "all"),
        ],
    );
    assert!(
        sampled.contains(
            "Min, Max, p50, p90, p99: none in sampled mode, where single hits are not timed"
        ),
        "{sampled}"
    );
    assert!(
        !sampled
            .lines()
            .any(|l| l.contains("Line #") && l.contains("p99"))
    );
}

#[test]
fn lines_that_block_the_executor_are_listed_at_exit() {
    let (code, stderr) = run_child("blocking", &[("LABLINK_PROFILING", "1")]);
    assert_eq!(code, Some(0));
    let line = stderr
        .lines()
        .find(|l| l.starts_with("blocks the executor: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains("tests/exit_report.rs:"), "{line}");
    assert!(line.contains(", 3 times, longest "), "{line}");
    assert!(line.ends_with("(threshold 100.0 µs)"), "{line}");
    // A threshold above the 2 ms slices flags nothing.
    let (_, stderr) = run_child(
        "blocking",
        &[
            ("LABLINK_PROFILING", "1"),
            ("LABLINK_PROFILE_BLOCKING_US", "50000"),
        ],
    );
    assert!(stderr.contains("Function:"), "{stderr}");
    assert!(!stderr.contains("blocks the executor"), "{stderr}");
}

#[test]
fn nothing_is_printed_without_lablink_profiling() {
    let (code, stderr) = run_child("normal", &[("LABLINK_PROFILING", "off")]);
    assert_eq!(code, Some(0));
    assert!(!stderr.contains("Function:"), "{stderr}");
}

#[test]
fn kernprof_layout_is_kernprofs() {
    let (code, stderr) = run_child(
        "normal",
        &[
            ("LABLINK_PROFILING", "yes"),
            ("LABLINK_PROFILE_FORMAT", "kernprof"),
        ],
    );
    assert_eq!(code, Some(0));
    let header = "Line #      Hits         Time  Per Hit   % Time  Line Contents";
    assert!(
        stderr.starts_with("Timer unit: 1e-09 s\n\nTotal time: "),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{header}\n{}\n", "=".repeat(62))),
        "{stderr}"
    );
    assert!(
        stderr.contains("Function: exit_report::work at line"),
        "{stderr}"
    );
    let row = stderr
        .lines()
        .find(|l| l.ends_with("        acc += i;"))
        .unwrap_or_else(|| panic!("{stderr}"));
    // '%6s %9s %12s %8s %8s  %-s': the hits column ends at character 16.
    assert_eq!(&row[7..16], "     1000");
}

#[test]
fn json_is_written_where_lablink_profile_out_says() {
    let dir = std::env::temp_dir().join(format!("lp-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("profile.json");
    let (code, stderr) = run_child(
        "exit3",
        &[
            ("LABLINK_PROFILING", "1"),
            ("LABLINK_PROFILE_OUT", path.to_str().unwrap()),
        ],
    );
    assert_eq!(code, Some(3));
    assert!(stderr.contains("profile written to"), "{stderr}");
    let profile = lablink_prof::report::read_json(&path).unwrap();
    let f = profile.function("exit_report::work").unwrap();
    assert_eq!(f.calls, 1);
    assert_eq!(f.hits(f.line_containing("acc += i").unwrap()), 1000);
    assert_eq!(f.lines.iter().map(|l| l.time_ns).sum::<u64>(), f.total_ns);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_profile_path_gets_a_message_and_changes_nothing() {
    let (code, stderr) = run_child(
        "exit3",
        &[
            ("LABLINK_PROFILING", "1"),
            (
                "LABLINK_PROFILE_OUT",
                "/nonexistent-dir/deeper/profile.json",
            ),
        ],
    );
    assert_eq!(code, Some(3));
    assert!(
        stderr.contains("could not write the profile: /nonexistent-dir/deeper/profile.json"),
        "{stderr}"
    );
    assert!(stderr.contains("Function: exit_report::work"), "{stderr}");
}

#[test]
fn a_guard_prints_once_and_the_exit_report_does_not_repeat_it() {
    let (code, stderr) = run_child("guard", &[("LABLINK_PROFILING", "1")]);
    assert_eq!(code, Some(0));
    assert_eq!(
        stderr.matches("Function: exit_report::work").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn an_unknown_format_is_named_and_the_table_is_used() {
    let (code, stderr) = run_child(
        "normal",
        &[
            ("LABLINK_PROFILING", "1"),
            ("LABLINK_PROFILE_FORMAT", "xml"),
        ],
    );
    assert_eq!(code, Some(0));
    assert!(stderr.contains("unknown report format \"xml\""), "{stderr}");
    assert!(stderr.contains("Function: exit_report::work"), "{stderr}");
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lp-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn lablink_profile_interval_rewrites_the_file_while_the_program_runs() {
    let dir = temp_dir("interval");
    let path = dir.join("live.json");
    let (code, stderr) = run_child(
        "interval",
        &[
            ("LABLINK_PROFILING", "1"),
            ("LABLINK_PROFILE_OUT", path.to_str().unwrap()),
            ("LABLINK_PROFILE_INTERVAL", "0.1"),
        ],
    );
    assert_ne!(code, Some(0), "the child aborts: {stderr}");
    assert!(
        !stderr.contains("Function:"),
        "no exit report after abort: {stderr}"
    );
    let profile = lablink_prof::report::read_json(&path).unwrap();
    assert_eq!(profile.function("exit_report::work").unwrap().calls, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn sigusr1_writes_a_snapshot_without_stopping_the_program() {
    let dir = temp_dir("sigusr1");
    let path = dir.join("snap.json");
    let (code, stderr) = run_child(
        "sigusr1",
        &[
            ("LABLINK_PROFILING", "1"),
            ("LABLINK_PROFILE_OUT", path.to_str().unwrap()),
        ],
    );
    // It went on after the signal, to its own abort.
    assert_ne!(code, Some(0));
    assert!(stderr.contains("snapshot written to"), "{stderr}");
    let profile = lablink_prof::report::read_json(&path).unwrap();
    assert_eq!(profile.function("exit_report::work").unwrap().calls, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn heap_tracking_without_the_counting_allocator_says_nothing_was_tracked() {
    // This test binary installs no counting allocator: tracking has nothing to see, and the
    // report says so rather than printing zeros.
    let (code, stderr) = run_child(
        "plain",
        &[
            ("LABLINK_PROFILING", "1"),
            ("LABLINK_PROFILE_HEAP", "track"),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "LABLINK_PROFILE_HEAP=track: nothing tracked, the counting allocator is not installed"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("Heap by line"), "{stderr}");
}

#[test]
fn an_unknown_heap_setting_is_reported_and_tracks_nothing() {
    let (code, stderr) = run_child(
        "plain",
        &[("LABLINK_PROFILING", "1"), ("LABLINK_PROFILE_HEAP", "yes")],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "lablink-prof: LABLINK_PROFILE_HEAP=\"yes\" is not one of track, off; not tracking"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("nothing tracked"), "{stderr}");
}
