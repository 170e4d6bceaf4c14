//! Sampled mode takes off a line the recorder's work inside the profiled calls made from it (their
//! entries, exits and statements, all the way down, at the calibrated costs the profile records),
//! and nothing off a line's own statements, so that a loop bounded by a deadline keeps its time.

use std::time::{Duration, Instant};

mod common;

use common::function_in;
use lablink_prof::{TimeMode, line_profile};

/// 5 statements.
#[line_profile]
fn helper(x: u64) -> u64 {
    let mut a = x;
    a ^= 1;
    a = a.rotate_left(3);
    a ^= 2;
    a
}

/// Calls `helper` from one line until `d` has passed; its other lines call nothing.
#[line_profile]
fn caller(d: Duration) -> (u64, u64) {
    let t = Instant::now();
    let (mut acc, mut n) = (0u64, 0u64);
    while t.elapsed() < d {
        acc = acc.wrapping_add(helper(std::hint::black_box(n)));
        n += 1;
    }
    (acc, n)
}

#[test]
fn calls_lose_their_calibrated_cost_and_statements_keep_theirs() {
    lablink_prof::set_time_mode(TimeMode::Sampled).expect("sampled mode");
    lablink_prof::set_sample_rate(5_000.0).expect("a rate");
    lablink_prof::enable();
    lablink_prof::skip_exit_report();

    let (_, n) = std::hint::black_box(caller(Duration::from_millis(30)));
    let profile = lablink_prof::snapshot();
    assert_eq!(profile.mode, TimeMode::Sampled);
    let (per_hit, per_call) = (profile.overhead_ns_per_hit, profile.overhead_ns_per_call);
    assert!(
        per_hit > 0.0 && per_call > per_hit,
        "costs measured: {per_hit} ns a statement, {per_call} ns a call"
    );

    let helper = function_in(&profile, "helper");
    let caller = function_in(&profile, "caller");
    assert_eq!(helper.calls, n);
    // The helper's statements (its signature line is the call's entry, counted in the call).
    let first = helper.lines.iter().map(|l| l.line).min().expect("lines");
    let statements: u64 = helper
        .lines
        .iter()
        .filter(|l| l.line != first)
        .map(|l| l.hits)
        .sum();
    assert_eq!(statements, 5 * n);

    // All that is taken off the caller is taken off the calling line: the helper's statements
    // and calls at the recorded costs. Each line's figure is rounded to a nanosecond.
    let expected = statements as f64 * per_hit + n as f64 * per_call;
    let taken = caller.measured_ns - caller.total_ns;
    let lines = caller.lines.len() as f64;
    assert!(
        (taken as f64 - expected).abs() <= lines + 1.0,
        "taken off the caller: {taken} ns; the helper's {statements} statements and {n} calls \
         at the recorded costs: {expected:.0} ns"
    );
    let line = caller
        .line_containing("helper(std::hint::black_box(n))")
        .expect("the calling line");
    let calling = caller
        .lines
        .iter()
        .find(|l| l.line == line)
        .expect("the calling line recorded");
    assert_eq!(calling.hits, n);
    assert!(
        calling.time_ns > 0,
        "the calling line keeps the helper's own work: {calling:?}"
    );
}
