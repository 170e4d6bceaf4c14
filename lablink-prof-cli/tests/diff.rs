//! `lablink-prof diff`: exit status for CI, on planted regressions and on noise.

mod common;

use common::{golden_json, one_line_sampled, run, run_in, server, slow_down, write_json};

const LOG: &str = "::log_command";

fn diff_against(change: impl FnOnce(&mut serde_json::Value), extra: &[&str]) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    let mut new = golden_json("lablink_server.json");
    change(&mut new);
    let new = write_json(dir.path(), "new.json", &new);
    let base = server();
    let mut args = vec!["diff", base.to_str().unwrap(), new.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn identical_profiles_pass() {
    let r = run(&[
        "diff",
        server().to_str().unwrap(),
        server().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("OK: no function got slower"));
}

#[test]
fn planted_regression_fails() {
    // log_command: 60 calls, 3.14 ms in all, made 50% slower.
    let r = diff_against(|p| slow_down(p, LOG, 1.5), &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("SLOWER"));
    assert!(r.stdout.contains("+50.0%"));
    assert!(
        r.stdout
            .contains("FAIL: 1 function slower per call than +20%")
    );
    // Its lines are shown, with their own change.
    assert!(
        r.stdout.contains("33: conn.execute(INSERT_COMMAND"),
        "{}",
        r.stdout
    );
}

#[test]
fn noise_passes() {
    let r = diff_against(|p| slow_down(p, LOG, 1.05), &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("+5.0%"));
}

#[test]
fn threshold_is_configurable() {
    let r = diff_against(|p| slow_down(p, LOG, 1.05), &["--threshold", "3%"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let r = diff_against(|p| slow_down(p, LOG, 1.5), &["--threshold", "60"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn functions_below_the_noise_guards_are_not_checked() {
    // 60 calls: below --min-calls 100.
    let r = diff_against(|p| slow_down(p, LOG, 1.5), &["--min-calls", "100"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("noise"));
    // 3.14 ms (4.7 ms after): below --min-time-ms 10.
    let r = diff_against(|p| slow_down(p, LOG, 1.5), &["--min-time-ms", "10"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // parse_command: 0.12 ms, below the default 1 ms guard, even 3 times slower.
    let r = diff_against(|p| slow_down(p, "parse_command", 3.0), &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = diff_against(
        |p| slow_down(p, "parse_command", 3.0),
        &["--min-time-ms", "0.1"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
}

#[test]
fn faster_new_and_gone_functions_pass() {
    let r = diff_against(
        |p| {
            slow_down(p, LOG, 0.5);
            common::function_mut(p, "worker_loop")["name"] =
                "lablink_core::server::worker_loop_v2".into();
        },
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("faster"));
    assert!(r.stdout.contains("-50.0%"));
    assert!(r.stdout.contains(" new "));
    assert!(r.stdout.contains(" gone "));
}

#[test]
fn bad_threshold_is_a_usage_error() {
    let r = run(&[
        "diff",
        server().to_str().unwrap(),
        server().to_str().unwrap(),
        "--threshold",
        "fast",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a percentage"));
}

/// `diff` of two one-line sampled profiles, the base with 100 samples of 1 ms, the new with
/// `samples`, at a threshold of 10%; the files are named `base.json` and `new.json`.
fn sampled_diff(samples: u64) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    write_json(dir.path(), "base.json", &one_line_sampled(100));
    write_json(dir.path(), "new.json", &one_line_sampled(samples));
    run_in(
        dir.path(),
        &["diff", "base.json", "new.json", "--threshold", "10%"],
    )
}

const SAMPLED_HEADER: &str = "lablink-prof diff: base.json → new.json
threshold +10% per call; checked: functions with at least 1 calls in both and 1 ms in either
both profiles are sampled: times carry ± their 95% error, and a change counts only when it \
exceeds the combined error of both sides (√(base² + new²)); smaller ones are within sampling \
noise

";

/// 100 → 115 samples: +15% per call, past the 10% threshold, but 1.5 ms a call is within the
/// combined error: base 1.96 × √100 × 1 ms / 10 calls = 1.96 ms, new 1.96 × √115 ms / 10 =
/// 2.10 ms, √(1.96² + 2.10²) = 2.87 ms.
#[test]
fn a_sampled_change_within_the_sampling_error_is_not_a_regression() {
    let r = sampled_diff(115);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let expected = SAMPLED_HEADER.to_owned()
        + " Status        Function / line  Calls / hits     Time/call base      Time/call new  Change  Allocs/call  Alloc/call  
─────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
 within noise  app::work                  10  10.0 ms ± 1.96 ms  11.5 ms ± 2.10 ms  +15.0%            0         0 B  

OK: no function got slower per call than +10% (1 checked, 0 below the noise guards, 1 within sampling noise)
  within sampling noise: app::work +15.0% (10.0 ms ± 1.96 ms → 11.5 ms ± 2.10 ms): the change, 1.50 ms per call, is within the combined 95% error, ± 2.87 ms
";
    assert_eq!(r.stdout, expected);
}

/// 100 → 160 samples: 6 ms a call slower, beyond the combined error √(1.96² + 2.48²) = 3.16 ms
/// (new: 1.96 × √160 ms / 10 calls = 2.48 ms) by 2.84 ms: a regression.
#[test]
fn a_sampled_change_beyond_the_sampling_error_is_a_regression() {
    let r = sampled_diff(160);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let expected = SAMPLED_HEADER.to_owned()
        + " Status  Function / line  Calls / hits     Time/call base      Time/call new  Change  Allocs/call  Alloc/call  
───────────────────────────────────────────────────────────────────────────────────────────────────────────────
 SLOWER  app::work                  10  10.0 ms ± 1.96 ms  16.0 ms ± 2.48 ms  +60.0%            0         0 B  
           2: crunch();             10  10.0 ms ± 1.96 ms  16.0 ms ± 2.48 ms  +60.0%            0         0 B  

FAIL: 1 function slower per call than +10%:
  app::work +60.0% (10.0 ms ± 1.96 ms → 16.0 ms ± 2.48 ms, beyond the combined 95% error ± 3.16 ms by 2.84 ms)
";
    assert_eq!(r.stdout, expected);
}

/// An exact base against a sampled new profile: only the new side has an error (2.10 ms a
/// call for 115 samples), and a 1.5 ms change is within it.
#[test]
fn an_exact_base_and_a_sampled_new_profile_use_the_sampled_error_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut exact = one_line_sampled(100);
    exact["mode"] = serde_json::json!("exact");
    exact.as_object_mut().unwrap().remove("stacks");
    let base = write_json(dir.path(), "base.json", &exact);
    let new = write_json(dir.path(), "new.json", &one_line_sampled(115));
    let r = run(&[
        "diff",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
        "--threshold",
        "10%",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("the new profile is sampled"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "within sampling noise: app::work +15.0% (10.0 ms → 11.5 ms ± 2.10 ms): the \
             change, 1.50 ms per call, is within the combined 95% error, ± 2.10 ms"
        ),
        "{}",
        r.stdout
    );
    // 100 → 125 samples: 2.5 ms a call, beyond 1.96 × √125 ms / 10 = 2.1913 ms by 308.7 µs.
    let new = write_json(dir.path(), "new.json", &one_line_sampled(125));
    let r = run(&[
        "diff",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
        "--threshold",
        "10%",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("beyond the combined 95% error ± 2.19 ms by 308.7 µs"),
        "{}",
        r.stdout
    );
}

/// The heap-tracking golden file (written by `tests/heap_tracking.rs`'s child program): line 23
/// of `leak_three` leaks 3 blocks of 1,000 bytes; `spike`'s 4 MiB is freed before exit.
const TRACKED: &str = "heap_tracking.json";

#[test]
fn a_line_that_leaks_more_fails_with_its_growth() {
    let r = leak_diff(|p| set_live(p, 23, 4000, 4), &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("GREW"), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "tests/heap_tracking.rs:23  heap_tracking::leak_three +1000 bytes (3000 → 4000)"
        ),
        "{}",
        r.stdout
    );
    // Within an allowed growth, it passes.
    let r = leak_diff(|p| set_live(p, 23, 4000, 4), &["--max-growth", "1000"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // A line that starts leaking (live 0 before) fails too.
    let r = leak_diff(|p| set_live(p, 29, 64, 1), &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("spike +64 bytes (0 → 64)"),
        "{}",
        r.stdout
    );
}

fn leak_diff(change: impl FnOnce(&mut serde_json::Value), extra: &[&str]) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    let mut new = golden_json(TRACKED);
    change(&mut new);
    let new = write_json(dir.path(), "new.json", &new);
    let base = common::golden(TRACKED);
    let mut args = vec![
        "diff",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
        "--metric",
        "leaks",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn leaks_need_tracked_profiles() {
    let tracked = common::golden(TRACKED);
    let r = run(&[
        "diff",
        server().to_str().unwrap(),
        tracked.to_str().unwrap(),
        "--metric",
        "leaks",
    ]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("lablink_server.json"), "{}", r.stderr);
    assert!(r.stderr.contains("has no heap tracking"), "{}", r.stderr);
}

#[test]
fn leaks_same_as_before_pass() {
    let r = leak_diff(|_| {}, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "OK: no line's bytes live at exit grew by more than 0 bytes (1 lines compared)"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("3000 B"), "{}", r.stdout);
}

/// Sets the live bytes and blocks at exit of the tracked line `line`.
fn set_live(p: &mut serde_json::Value, line: u64, bytes: i64, blocks: i64) {
    let lines = p["heap_tracking"]["lines"].as_array_mut().unwrap();
    let l = lines
        .iter_mut()
        .find(|l| l["line"] == line)
        .expect("a tracked line");
    l["live_bytes"] = bytes.into();
    l["live_blocks"] = blocks.into();
}
