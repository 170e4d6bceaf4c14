//! The counting allocator against the system allocator, measured in pairs, on 1 and 2 threads.
//!
//! Each round times 200,000 pairs (a 64-byte allocation and its free) through each variant, one
//! right after the other, in an order that rotates from round to round; with 2 threads, both
//! time the same variant at once and the round takes the slower. A process's figure is the
//! median of its rounds' ratios to the system allocator; five processes measure in turn, and
//! the figure given is the median over them, with their range. Criterion's groups
//! (`allocator`) time the variants seconds apart, and a single run of them moves by several
//! percent from one process to the next (1.05x to 1.18x for the same build, on this machine):
//! as much as the differences between the counting allocator, the floors and the target.
//!
//! Two more variants time the counting allocator inside a `#[line_profile]` call with recording
//! on, where the thread's heap peak is watched: what every allocation in profiled code costs.
//!
//! `cargo bench --bench allocator_paired` (about a minute). Run without `--bench` (as
//! `cargo test --benches` does), it runs three rounds as a check.

mod allocators;
mod paired;

use std::sync::Barrier;
use std::time::Duration;

use allocators::{
    CheckedSystemFloor, Counting, FourCountersFloor, OneCounterFloor, SystemAlone, time,
};
use paired::{in_processes, median, range};

const PAIRS_PER_ROUND: u64 = 200_000;
const ROUNDS: usize = 400;
const WARM_UP_ROUNDS: usize = 20;
/// How many processes measure, one after the other: a figure moves by a few percent from one
/// process to the next (where the allocator's and the loop's data land), far more than within
/// one, so the figure given is the median over processes.
const PROCESSES: usize = 5;
/// Set in the environment of a measuring process.
const CHILD: &str = "LABLINK_ALLOCATOR_PAIRED_CHILD";

/// The variants, timed in each round; the first is the reference.
const VARIANTS: [&str; 9] = [
    "System",
    "floor: System + one thread-local counter",
    "floor: System + four thread-local counters",
    "CountingAlloc<System>",
    "CountingAlloc<System> in a profiled call",
    "System via entry points",
    "floor: System, its answer checked, via entry points",
    "CountingAlloc<System> via entry points",
    "CountingAlloc<System> via entry points, in a profiled call",
];

/// What each variant's ratio is taken to.
const REFERENCE: [usize; 9] = [0, 0, 0, 0, 0, 5, 5, 5, 5];

fn time_variant(variant: usize, pairs: u64) -> Duration {
    match variant {
        0 => time::<SystemAlone, false>(pairs),
        1 => time::<OneCounterFloor, false>(pairs),
        2 => time::<FourCountersFloor, false>(pairs),
        3 => time::<Counting, false>(pairs),
        4 => in_a_profiled_call::<false>(pairs),
        5 => time::<SystemAlone, true>(pairs),
        6 => time::<CheckedSystemFloor, true>(pairs),
        7 => time::<Counting, true>(pairs),
        _ => in_a_profiled_call::<true>(pairs),
    }
}

/// The counting allocator's pairs timed inside a profiled call: its one statement is recorded
/// once, and every allocation of the loop keeps the thread's heap peak, as in profiled code.
#[lablink_prof::line_profile]
fn in_a_profiled_call<const VIA_ENTRY_POINTS: bool>(pairs: u64) -> Duration {
    time::<Counting, VIA_ENTRY_POINTS>(pairs)
}

/// `rounds` rounds on `threads` threads at once: each round's time for each variant, the
/// slowest thread's.
fn run(threads: usize, rounds: usize) -> Vec<[Duration; VARIANTS.len()]> {
    let barrier = Barrier::new(threads);
    let per_thread: Vec<Vec<[Duration; VARIANTS.len()]>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                s.spawn(move || {
                    (0..WARM_UP_ROUNDS + rounds)
                        .map(|round| {
                            let mut times = [Duration::ZERO; VARIANTS.len()];
                            for k in 0..VARIANTS.len() {
                                let variant = (round + k) % VARIANTS.len();
                                barrier.wait();
                                times[variant] = time_variant(variant, PAIRS_PER_ROUND);
                            }
                            times
                        })
                        .skip(WARM_UP_ROUNDS)
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    (0..rounds)
        .map(|round| {
            std::array::from_fn(|variant| {
                per_thread
                    .iter()
                    .map(|times| times[round][variant])
                    .max()
                    .unwrap()
            })
        })
        .collect()
}

/// One process's figures for `threads` threads: for each variant, the median time of a pair in
/// nanoseconds and the median of the rounds' ratios to its reference (1 for a reference).
fn measure(threads: usize) -> Vec<(f64, f64)> {
    let rounds = run(threads, ROUNDS);
    let ns = |d: Duration| d.as_secs_f64() * 1e9 / PAIRS_PER_ROUND as f64;
    (0..VARIANTS.len())
        .map(|variant| {
            let reference = REFERENCE[variant];
            let ratios = rounds
                .iter()
                .map(|r| r[variant].as_secs_f64() / r[reference].as_secs_f64())
                .collect();
            (
                median(rounds.iter().map(|r| ns(r[variant])).collect()),
                median(ratios),
            )
        })
        .collect()
}

/// Runs the measurement in `PROCESSES` fresh processes, one after the other, and returns each
/// one's figures by thread count.
fn measured_in_processes() -> Vec<[Vec<(f64, f64)>; 2]> {
    in_processes(CHILD, PROCESSES)
        .iter()
        .map(|text| {
            let figures = |threads: usize| -> Vec<(f64, f64)> {
                text.lines()
                    .filter_map(|l| l.strip_prefix(&format!("{threads} ")))
                    .map(|l| {
                        let (ns, ratio) = l.split_once(' ').expect("two figures");
                        (ns.parse().unwrap(), ratio.parse().unwrap())
                    })
                    .collect()
            };
            [figures(1), figures(2)]
        })
        .collect()
}

fn report(threads: usize, processes: &[Vec<(f64, f64)>]) {
    println!(
        "malloc+free 64 B, {threads} thread(s): {} processes, each the median of {ROUNDS} rounds \
         of {PAIRS_PER_ROUND} pairs",
        processes.len()
    );
    for (variant, name) in VARIANTS.iter().enumerate() {
        let median_ns = median(processes.iter().map(|p| p[variant].0).collect());
        if REFERENCE[variant] == variant {
            println!("  {name:<52} {median_ns:6.3} ns (reference)");
            continue;
        }
        let ratios: Vec<f64> = processes.iter().map(|p| p[variant].1).collect();
        let (low, high) = range(&ratios);
        println!(
            "  {name:<52} {median_ns:6.3} ns  {:.4}x (processes: {low:.4}x to {high:.4}x)",
            median(ratios.clone()),
        );
    }
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    if !measuring {
        for threads in [1, 2] {
            run(threads, 3);
            println!(
                "malloc+free 64 B, {threads} thread(s): three rounds run (pass --bench to measure)"
            );
        }
        return;
    }
    if std::env::var_os(CHILD).is_some() {
        for threads in [1, 2] {
            for (ns, ratio) in measure(threads) {
                println!("{threads} {ns} {ratio}");
            }
        }
        return;
    }
    let processes = measured_in_processes();
    for (i, threads) in [1, 2].into_iter().enumerate() {
        let figures: Vec<_> = processes.iter().map(|p| p[i].clone()).collect();
        report(threads, &figures);
    }
}
