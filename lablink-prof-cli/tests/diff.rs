//! `lablink-prof diff`: exit status for CI, on planted regressions and on noise.

mod common;

use common::{golden_json, run, server, slow_down, write_json};

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
