//! Distributions of single hits and calls (exact mode, distributions on): minimum, maximum and
//! percentiles checked against times the test measures itself, and histograms that add up.

mod common;

use std::time::{Duration, Instant};

use common::{function, record};
use lablink_prof::line_profile;
use lablink_prof::profile::histogram::RELATIVE_ERROR;
use lablink_prof::{FunctionProfile, LineProfile, Profile};

/// Spins for `d`.
fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// Turns recording on with distributions kept (before the tested functions' first calls).
fn record_distributions() {
    lablink_prof::diagnostics::set_distributions(true);
    record();
}

/// The line of `f` whose source contains `tag`.
fn line(f: &FunctionProfile, tag: &str) -> LineProfile {
    f.line(f.line_containing(tag).unwrap()).cloned().unwrap()
}

/// The value of rank `ceil(q * n)` of `values`, as the histogram's quantiles are defined.
fn exact_quantile(values: &[Duration], q: f64) -> u64 {
    let mut v: Vec<u64> = values.iter().map(|d| d.as_nanos() as u64).collect();
    v.sort_unstable();
    let rank = ((q * v.len() as f64).ceil() as usize).max(1);
    v[rank - 1]
}

/// How much longer the test's measure of a hit may be than the hit: the test reads `Instant`
/// one statement before the line and one statement after, so its measure also holds two line
/// boundaries and two clock reads (tens of ns each in release, a few hundred in an unoptimised
/// build; 500 ns failed one run in about ten on a loaded machine, hence 1 µs).
const ABSOLUTE_SLACK_NS: f64 = 1_000.0;

/// Asserts that a recorded hit time `got` is within the histogram's error of the hit, which
/// the test's `measured` (taken around it) holds with up to `ABSOLUTE_SLACK_NS` more.
fn assert_within(what: &str, got: u64, measured: u64) {
    let (got, measured) = (got as f64, measured as f64);
    let high = measured * (1.0 + RELATIVE_ERROR);
    let low = (measured - ABSOLUTE_SLACK_NS) * (1.0 - RELATIVE_ERROR);
    assert!(
        got <= high && got >= low,
        "{what}: {got} ns recorded, {measured} ns measured around it: not in {low:.0}..={high:.0}"
    );
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn one_slow_hit(measured: &mut Vec<Duration>) {
    for i in 0..100 {
        let d = if i == 37 { Duration::from_millis(1) } else { Duration::from_micros(1) };
        let t0 = Instant::now();
        spin(d); // L:spin
        measured.push(t0.elapsed());
    }
}

#[test]
fn ninety_nine_short_hits_and_one_long_one() {
    record_distributions();
    let mut measured = Vec::with_capacity(400);
    one_slow_hit(&mut measured);
    let f = function("one_slow_hit");
    let l = line(&f, "L:spin");
    assert_eq!(l.hits, 100);
    assert_eq!(l.hist.count(), 100, "the histogram counts every hit once");
    let (min, max) = (l.min_ns.unwrap(), l.max_ns.unwrap());
    assert_within("min", min, exact_quantile(&measured, 0.0));
    assert_within("max", max, exact_quantile(&measured, 1.0));
    assert!(max >= 1_000_000, "max {max} ns is below the 1 ms hit");
    assert!(
        min as f64 >= 1_000.0 * (1.0 - RELATIVE_ERROR),
        "min {min} ns: below the 1 µs spin"
    );
    for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
        assert_within(
            name,
            l.quantile_ns(q).unwrap(),
            exact_quantile(&measured, q),
        );
    }
    // p99 is the 99th of 100 hits: a short one; p100 is the long one.
    assert!(l.quantile_ns(0.99).unwrap() < 100_000);
    assert_eq!(l.quantile_ns(1.0), Some(max));
    // The function's one call.
    assert_eq!(f.hist.count(), 1);
    assert!(f.min_ns == f.max_ns && f.max_ns.unwrap() >= 1_100_000);
}

/// Durations from a fixed list, in a fixed scrambled order: 2 µs to 400 µs.
fn known_durations() -> Vec<Duration> {
    (0..200u64)
        .map(|i| Duration::from_micros(2 + (i * 73 % 200) * 2))
        .collect()
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn known_distribution(durations: &[Duration], measured: &mut Vec<Duration>) {
    for &d in durations {
        let t0 = Instant::now();
        spin(d); // L:spin
        measured.push(t0.elapsed());
    }
}

#[test]
fn percentiles_of_a_known_distribution_are_within_the_stated_error() {
    record_distributions();
    let durations = known_durations();
    let mut measured = Vec::with_capacity(400);
    known_distribution(&durations, &mut measured);
    let l = line(&function("known_distribution"), "L:spin");
    assert_eq!(l.hist.count(), 200);
    for q in [0.1, 0.25, 0.5, 0.75, 0.9, 0.99] {
        assert_within(
            &format!("q {q}"),
            l.quantile_ns(q).unwrap(),
            exact_quantile(&measured, q),
        );
    }
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn merged_work(durations: &[Duration]) {
    for &d in durations {
        spin(d); // L:spin
    }
}

/// The profile of the one function `merged_work` as recorded on thread `thread` alone.
fn thread_profile(whole: &Profile, f: &FunctionProfile, thread: u32) -> Profile {
    let t = f.threads.iter().find(|t| t.thread == thread).unwrap();
    Profile {
        threads: vec![whole.threads[thread as usize].clone()],
        functions: vec![FunctionProfile {
            lines: t.lines.clone(),
            calls: t.calls,
            threads: vec![t.clone()],
            min_ns: None,
            max_ns: None,
            hist: Default::default(),
            ..f.clone()
        }],
        ..Profile::empty()
    }
}

#[test]
fn two_profiles_added_up_have_the_distribution_of_one_profile_of_both() {
    record_distributions();
    // Two runs on two threads: the snapshot holds both, and each thread's lines alone.
    let first = known_durations();
    let second: Vec<Duration> = first.iter().map(|d| *d / 2).collect();
    std::thread::spawn(move || merged_work(&first))
        .join()
        .unwrap();
    std::thread::spawn(move || merged_work(&second))
        .join()
        .unwrap();
    let whole = lablink_prof::snapshot();
    let f = whole
        .functions
        .iter()
        .find(|f| f.name.ends_with("::merged_work"))
        .unwrap();
    assert_eq!(f.threads.len(), 2);
    let tag_line = f.line_containing("L:spin").unwrap();
    let (a, b) = (
        thread_profile(&whole, f, f.threads[0].thread),
        thread_profile(&whole, f, f.threads[1].thread),
    );
    // Saved and read back, as `lablink-prof view A B` reads them, then added up by its rules.
    let dir = std::env::temp_dir().join(format!("lablink-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pa, pb) = (dir.join("a.json"), dir.join("b.json"));
    lablink_prof::report::write_json(&a, &pa).unwrap();
    lablink_prof::report::write_json(&b, &pb).unwrap();
    let read = [
        lablink_prof::report::read_json(&pa).unwrap(),
        lablink_prof::report::read_json(&pb).unwrap(),
    ];
    let _ = std::fs::remove_dir_all(&dir);
    let merged = lablink_prof::profile::rules::add_up(read.to_vec(), &["a".into(), "b".into()]);
    let m = merged.functions[0].line(tag_line).unwrap();
    let one = f.line(tag_line).unwrap();
    assert_eq!(m.hist, one.hist, "bucket-wise sum differs from the whole");
    assert_eq!(m.hist.count(), 400);
    assert_eq!((m.min_ns, m.max_ns), (one.min_ns, one.max_ns));
    for q in [0.5, 0.9, 0.99] {
        assert_eq!(m.quantile_ns(q), one.quantile_ns(q));
    }
    // The whole's min is the second run's (halved) shortest, its max the first run's longest.
    let (la, lb) = (
        a.functions[0].line(tag_line).unwrap(),
        b.functions[0].line(tag_line).unwrap(),
    );
    assert_eq!(one.min_ns, la.min_ns.min(lb.min_ns));
    assert_eq!(one.max_ns, la.max_ns.max(lb.max_ns));
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn two_on_a_line() -> u64 {
    let a = 1u64; let b = 2u64; // L:two
    a + b
}

#[test]
fn two_statements_on_one_line_are_two_hits_each_timed() {
    record_distributions();
    for _ in 0..10 {
        assert_eq!(two_on_a_line(), 3);
    }
    let l = line(&function("two_on_a_line"), "L:two");
    assert_eq!(l.hits, 20);
    assert_eq!(l.hist.count(), 20);
}

#[test]
fn the_json_form_of_a_histogram_is_bucket_count_pairs() {
    let mut l = LineProfile {
        line: 3,
        hits: 2,
        ..LineProfile::default()
    };
    l.hist.record(1_000, 1);
    l.hist.record(1_000_000, 1);
    let json = serde_json::to_string(&l).unwrap();
    assert!(json.contains(r#""hist":[[111,1],[270,1]]"#), "{json}");
    // A line without distributions carries none of the fields.
    let plain = serde_json::to_string(&LineProfile::default()).unwrap();
    assert!(
        !plain.contains("hist") && !plain.contains("min_ns"),
        "{plain}"
    );
}

#[test]
fn the_stated_memory_per_line_is_the_recorders() {
    // README: "a line's slot in a thread's table is 120 bytes; distributions add 4,736 bytes
    // per line": 15 counters of 8 bytes, and 592 buckets of 8 bytes.
    assert_eq!(lablink_prof::diagnostics::LINE_SLOT_BYTES, 120);
    assert_eq!(
        lablink_prof::diagnostics::DISTRIBUTION_BYTES_PER_LINE,
        4_736
    );
}

#[line_profile]
fn ten_statements() -> u64 {
    let mut x = std::hint::black_box(0u64);
    x += 1;
    x += 1;
    x += 1;
    x += 1;
    x += 1;
    x += 1;
    x += 1;
    x += 1;
    x
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn calls_a_profiled_helper() -> u64 {
    let mut sum = 0;
    for _ in 0..500 {
        sum += ten_statements(); // L:call
    }
    sum
}

#[test]
fn a_hit_calling_profiled_functions_loses_their_recorder_cost_as_its_time_does() {
    record_distributions();
    assert_eq!(calls_a_profiled_helper(), 4000);
    let l = line(&function("calls_a_profiled_helper"), "L:call");
    let mean = l.time_ns as f64 / l.hits as f64;
    let p50 = l.quantile_ns(0.5).unwrap() as f64;
    // The mean per hit has the recorder's work in `ten_statements` (10 boundaries and a call)
    // taken off; so has each hit. Kept in, the median would be above the mean by that work.
    let overhead = lablink_prof::snapshot().overhead_ns_per_hit;
    assert!(
        p50 <= mean * (1.0 + RELATIVE_ERROR) + overhead,
        "median hit {p50} ns, mean {mean:.1} ns, one boundary {overhead:.1} ns"
    );
}
