//! The counting allocator against the system allocator, measured in pairs, on 1 and 2 threads.
//!
//! Each round times 200,000 pairs (a 64-byte allocation and its free) through each variant, one
//! right after the other, in an order that rotates from round to round; with 2 threads, both
//! time the same variant at once and the round takes the slower. The figures are the medians of
//! the rounds' ratios to the system allocator, with 95% bootstrap intervals. Criterion's groups
//! (`allocator`) time the variants seconds apart, and their run-to-run drift (several percent
//! on this machine) is as large as the differences between the counting allocator, the floors
//! and the target.
//!
//! `cargo bench --bench allocator_paired` (about 30 seconds). Run without `--bench` (as
//! `cargo test --benches` does), it runs three rounds as a check.

mod allocators;
mod paired;

use std::sync::Barrier;
use std::time::{Duration, Instant};

use allocators::{Counting, FourCountersFloor, Installed, OneCounterFloor, SystemAlone};
use paired::{median, ratio_with_interval};

const PAIRS_PER_ROUND: u64 = 200_000;
const ROUNDS: usize = 1_000;
const WARM_UP_ROUNDS: usize = 20;

/// The variants, timed in each round; the first is the reference.
const VARIANTS: [&str; 6] = [
    "System",
    "floor: System + one thread-local counter",
    "floor: System + four thread-local counters",
    "CountingAlloc<System>",
    "System via entry points",
    "CountingAlloc<System> via entry points",
];

/// What each variant's ratio is taken to.
const REFERENCE: [usize; 6] = [0, 0, 0, 0, 4, 4];

fn time<I: Installed, const VIA_ENTRY_POINTS: bool>(pairs: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..pairs {
        if VIA_ENTRY_POINTS {
            I::pair_via_entry_points();
        } else {
            I::pair();
        }
    }
    start.elapsed()
}

fn time_variant(variant: usize, pairs: u64) -> Duration {
    match variant {
        0 => time::<SystemAlone, false>(pairs),
        1 => time::<OneCounterFloor, false>(pairs),
        2 => time::<FourCountersFloor, false>(pairs),
        3 => time::<Counting, false>(pairs),
        4 => time::<SystemAlone, true>(pairs),
        _ => time::<Counting, true>(pairs),
    }
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

fn report(threads: usize, rounds: &[[Duration; VARIANTS.len()]]) {
    let ns = |d: Duration| d.as_secs_f64() * 1e9 / PAIRS_PER_ROUND as f64;
    println!(
        "malloc+free 64 B, {threads} thread(s), {} rounds of {PAIRS_PER_ROUND} pairs:",
        rounds.len()
    );
    for (variant, name) in VARIANTS.iter().enumerate() {
        let median_ns = median(rounds.iter().map(|r| ns(r[variant])).collect());
        let reference = REFERENCE[variant];
        if variant == reference {
            println!("  {name:<44} {median_ns:6.3} ns (reference)");
            continue;
        }
        let ratios: Vec<f64> = rounds
            .iter()
            .map(|r| r[variant].as_secs_f64() / r[reference].as_secs_f64())
            .collect();
        println!(
            "  {name:<44} {median_ns:6.3} ns  {}",
            ratio_with_interval(&ratios)
        );
    }
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    for threads in [1, 2] {
        if !measuring {
            run(threads, 3);
            println!(
                "malloc+free 64 B, {threads} thread(s): three rounds run (pass --bench to measure)"
            );
            continue;
        }
        report(threads, &run(threads, ROUNDS));
    }
}
