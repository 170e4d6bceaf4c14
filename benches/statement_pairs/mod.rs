//! Recording one statement against one raw timestamp-counter read, timed in pairs, in a time
//! mode of the process's own: what `line_recording_sampled` (time only) and
//! `line_recording_sampled_heap` (the counting allocator installed: memory columns) share.
//!
//! The time mode is fixed per process, so the benchmark runs itself again in fresh processes:
//! three in sampled mode and one in exact mode, for context. Each process records statements
//! into a hand-made frame (`Frame::start_line`, what the attribute puts before each statement)
//! and reads the clock in rounds: 100,000 raw reads, then 100,000 statements, in an order that
//! alternates from round to round. A process's figure is the median of its rounds' ratios, with
//! a 95% bootstrap interval; it checks that every statement was counted and, in sampled mode,
//! that the sampler read the frame's stack.

use std::hint::black_box;
use std::time::{Duration, Instant};

use lablink_prof::__private::{Frame, begin_sync};
use lablink_prof::{Profile, TimeMode};

use crate::common::{MARKER, SITE, raw_tsc};
use crate::paired::{bootstrap_interval, median, range, run_self};

/// Set in the environment of a measuring process.
const CHILD: &str = "LP_STATEMENT_PAIRS_CHILD";

/// Reads or statements per timed batch.
const BATCH: u64 = 100_000;

/// How long a measuring process takes rounds for.
const MEASURE_FOR: Duration = Duration::from_secs(3);

/// Processes per mode: sampled (the figure), exact (context).
const PROCESSES: [(&str, usize); 2] = [("sampled", 3), ("exact", 1)];

/// Runs the benchmark: `what` names the binary's setting in its output ("time only", or
/// "time and memory columns"); `heap` says whether the counting allocator is installed.
pub fn main(what: &str, heap: bool) {
    if std::env::var_os(CHILD).is_some() {
        let rounds = measure(heap, MEASURE_FOR);
        print_for_parent(&rounds);
        return;
    }
    if !std::env::args().any(|a| a == "--bench") {
        // A check (`cargo test --benches`): this process's mode, a few rounds.
        let rounds = measure(heap, Duration::from_millis(50));
        println!(
            "one statement, {what}, {:?} mode: {} rounds run (pass --bench to measure)",
            lablink_prof::time_mode(),
            rounds.len()
        );
        return;
    }
    println!("one statement, {what}, against one raw rdtsc read, in pairs");
    for (mode, processes) in PROCESSES {
        let figures: Vec<Vec<f64>> = (0..processes)
            .map(|_| {
                let out = run_self(&[(CHILD, "1")], &[("LABLINK_PROFILE_MODE", mode)]);
                let line = out.lines().last().expect("a measuring process's figures");
                line.split(' ')
                    .map(|f| f.parse().expect("a figure"))
                    .collect()
            })
            .collect();
        let column = |i: usize| figures.iter().map(|p| p[i]).collect::<Vec<f64>>();
        let (low, high) = range(&column(3));
        println!(
            "  {mode} mode, {processes} processes: rdtsc median {:.3} ns, statement median {:.3} \
             ns; statement / rdtsc, median over the processes {:.4}x (processes {low:.4}x to \
             {high:.4}x)",
            median(column(1)),
            median(column(2)),
            median(column(3)),
        );
        for p in &figures {
            println!(
                "    {:.0} rounds: {:.4}x (95% interval {:.4}x to {:.4}x)",
                p[0], p[3], p[4], p[5]
            );
        }
    }
}

/// One round: (ns per rdtsc read, ns per statement).
type Round = (f64, f64);

/// Takes rounds for `time` (at least 10), in the process's time mode, and checks the counts.
fn measure(heap: bool, time: Duration) -> Vec<Round> {
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    if heap {
        drop(black_box(vec![0u8; 16])); // this thread's allocations are counted from now on
        assert!(
            lablink_prof::diagnostics::heap_is_counted(),
            "the counting allocator is installed"
        );
    }
    let frame = std::pin::pin!(begin_sync(&SITE, MARKER));
    let frame = Frame::activate(frame);
    let mut statements = 0u64;
    // Warm-up, discarded.
    for _ in 0..3 {
        time_reads(BATCH);
        time_statements(frame, BATCH);
        statements += BATCH;
    }
    let start = Instant::now();
    let mut rounds = Vec::new();
    while start.elapsed() < time || rounds.len() < 10 {
        let (reads, recorded) = if rounds.len() % 2 == 0 {
            let reads = time_reads(BATCH);
            (reads, time_statements(frame, BATCH))
        } else {
            let recorded = time_statements(frame, BATCH);
            (time_reads(BATCH), recorded)
        };
        statements += BATCH;
        let per = |d: Duration| d.as_secs_f64() * 1e9 / BATCH as f64;
        rounds.push((per(reads), per(recorded)));
    }
    check_recorded(&lablink_prof::snapshot(), statements, heap);
    rounds
}

#[inline(never)]
fn time_reads(n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        black_box(raw_tsc());
    }
    start.elapsed()
}

#[inline(never)]
fn time_statements(frame: &Frame, n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        frame.start_line(black_box(1));
    }
    start.elapsed()
}

/// Every statement was counted on the frame's line 2 (slot 1); in sampled mode, the sampler
/// found the frame's stack; with the allocator, memory is counted.
fn check_recorded(profile: &Profile, statements: u64, heap: bool) {
    let function = profile
        .functions
        .iter()
        .find(|f| f.file.ends_with("common/mod.rs"))
        .expect("the hand-made frame's function recorded");
    let line = function
        .lines
        .iter()
        .find(|l| l.line == 2)
        .expect("its line 2 recorded");
    assert_eq!(line.hits, statements, "every statement counted");
    assert_eq!(profile.heap_counted, heap);
    if lablink_prof::time_mode() == TimeMode::Sampled {
        assert_eq!(
            profile.sample_interval_ns, 2_000_000,
            "the default rate, 500 Hz"
        );
        assert!(line.samples > 0, "the sampler read the frame's stack");
    }
}

/// One line for the parent: rounds, the median ns of a read and of a statement, the median
/// ratio and its 95% interval.
fn print_for_parent(rounds: &[Round]) {
    let ratios: Vec<f64> = rounds.iter().map(|(r, s)| s / r).collect();
    let (low, high) = bootstrap_interval(&ratios);
    println!(
        "{} {} {} {} {low} {high}",
        rounds.len(),
        median(rounds.iter().map(|r| r.0).collect()),
        median(rounds.iter().map(|r| r.1).collect()),
        median(ratios.clone()),
    );
}
