//! Overhead compensation: the recorder's own cost per hit is subtracted from line times.

mod common;

use std::time::{Duration, Instant};

use common::{function, hits, record};
use lablink_prof::line_profile;

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn trivial(n: u64) -> u64 {
    let mut x = 0u64;
    for _ in 0..n {
        x = std::hint::black_box(x); // L:nothing
    }
    x
}

/// Runs `trivial` and reads the same recorded figures raw and compensated.
fn measure_trivial() -> (lablink_prof::FunctionProfile, lablink_prof::FunctionProfile) {
    assert_eq!(trivial(200_000), 0);
    lablink_prof::diagnostics::set_compensation(false);
    let raw = function("trivial");
    lablink_prof::diagnostics::set_compensation(true);
    (raw, function("trivial"))
}

fn per_hit(f: &lablink_prof::FunctionProfile, tag: &str) -> f64 {
    let l = f.line(f.line_containing(tag).unwrap()).cloned().unwrap();
    l.time_ns as f64 / l.hits as f64
}

/// The tests of this binary reset the figures: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_statement_that_does_almost_nothing_reports_close_to_nothing() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    record();
    // Timing on a shared machine is noisy: the best of three runs.
    let mut best = None::<(
        lablink_prof::FunctionProfile,
        lablink_prof::FunctionProfile,
        f64,
    )>;
    for _ in 0..3 {
        lablink_prof::reset();
        let run = measure_trivial();
        let ratio = per_hit(&run.1, "L:nothing") / per_hit(&run.0, "L:nothing");
        if best.as_ref().is_none_or(|b| ratio < b.2) {
            best = Some((run.0, run.1, ratio));
        }
    }
    let (raw, compensated, _) = best.unwrap();
    let overhead = lablink_prof::snapshot().overhead_ns_per_hit;
    assert!(overhead > 0.0);
    assert_eq!(hits(&raw, "L:nothing"), 200_000);
    let (raw_ns, comp_ns) = (
        per_hit(&raw, "L:nothing"),
        per_hit(&compensated, "L:nothing"),
    );
    eprintln!("raw {raw_ns:.2} ns/hit, compensated {comp_ns:.2} ns/hit, overhead {overhead:.2}");
    // Exactly the calibrated cost is taken off each hit, never going below zero...
    let expected = (raw_ns - overhead).max(0.0);
    assert!(
        (comp_ns - expected).abs() < 0.01,
        "{raw_ns} {comp_ns} {overhead}"
    );
    // ...and most of what a do-nothing statement reported was the recorder's.
    assert!(
        comp_ns < 0.6 * raw_ns,
        "raw {raw_ns}, compensated {comp_ns}"
    );
    // Never negative, never more than raw, and still adding up.
    for (c, r) in compensated.lines.iter().zip(&raw.lines) {
        assert!(c.time_ns <= r.time_ns);
    }
    common::assert_adds_up(&compensated);
    common::assert_adds_up(&raw);
}

#[line_profile]
fn waits_in_one_statement(d: Duration) -> Duration {
    let took = spin_for(d); // L:one
    took
}

fn spin_for(d: Duration) -> Duration {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
    start.elapsed()
}

#[test]
fn a_statement_that_busy_waits_a_known_time_is_reported_within_2_percent() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    record();
    lablink_prof::reset();
    lablink_prof::diagnostics::set_compensation(true);
    let mut measured = Duration::ZERO;
    for _ in 0..5 {
        measured += waits_in_one_statement(Duration::from_millis(10));
    }
    let f = function("waits_in_one_statement");
    let line = f
        .line(f.line_containing("L:one").unwrap())
        .cloned()
        .unwrap();
    let measured = measured.as_nanos() as f64;
    let error = (line.time_ns as f64 - measured).abs() / measured;
    assert!(
        error < 0.02,
        "reported {} ns for {measured} ns",
        line.time_ns
    );
}
