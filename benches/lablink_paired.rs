//! The LabLink command flow, profiled against unprofiled, measured in pairs.
//!
//! Each round runs the flow (1,000 commands, each logged to SQLite) once unprofiled and once
//! profiled, one right after the other, in an order that alternates from round to round, each
//! on its own database. The figure is the median of the rounds' ratios, with a 95% bootstrap
//! interval. With the database on disk, each command waits for an fsync whose time drifts by
//! several percent over a minute: criterion's groups (`lablink_paths`) time the two runs a
//! minute apart and cannot resolve a difference of a few percent, while the two runs of one
//! round see the same disk.
//!
//! `cargo bench --bench lablink_paired` (about a minute). Run without `--bench` (as
//! `cargo test --benches` does), it runs one round of each as a check.

mod lablink_flow;
mod paired;

use std::time::{Duration, Instant};

use lablink_flow::{ON_DISK, command_flow, database_places, flow_database, with_recording};
use paired::{median, ratio_with_interval};

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

/// Rounds discarded first (caches, the databases' first pages).
const WARM_UP_ROUNDS: usize = 3;

/// How long each place's rounds run for, about: on disk, where a round takes about 0.3 s and
/// varies most, longer.
fn measure_for(place: &str) -> Duration {
    Duration::from_secs(if place == ON_DISK { 40 } else { 10 })
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    for (place, dir) in database_places() {
        let databases = [false, true].map(|on| flow_database(dir.path(), on));
        let time_round = |unprofiled_first: bool| {
            let mut times = [Duration::ZERO; 2];
            for on in [!unprofiled_first, unprofiled_first] {
                with_recording(on);
                let start = Instant::now();
                command_flow(&databases[usize::from(on)]);
                times[usize::from(on)] = start.elapsed();
            }
            with_recording(false);
            times
        };
        if !measuring {
            time_round(true);
            println!("command flow, database {place}: one round run (pass --bench to measure)");
            continue;
        }
        for round in 0..WARM_UP_ROUNDS {
            time_round(round % 2 == 0);
        }
        let start = Instant::now();
        let mut rounds = Vec::new();
        while start.elapsed() < measure_for(place) || rounds.len() < 10 {
            rounds.push(time_round(rounds.len() % 2 == 0));
        }
        report(place, &rounds);
    }
}

fn report(place: &str, rounds: &[[Duration; 2]]) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let median_ms = |which: usize| median(rounds.iter().map(|r| ms(r[which])).collect());
    let ratios: Vec<f64> = rounds
        .iter()
        .map(|r| r[1].as_secs_f64() / r[0].as_secs_f64())
        .collect();
    println!(
        "command flow, 1,000 commands, database {place}: {} rounds\n  \
         unprofiled  median {:.3} ms\n  \
         profiled    median {:.3} ms\n  \
         profiled / unprofiled, median of the rounds: {}",
        rounds.len(),
        median_ms(0),
        median_ms(1),
        ratio_with_interval(&ratios),
    );
}
