//! The LabLink command flow, profiled against unprofiled, measured in pairs: what
//! `lablink_paired` (the counting allocator installed: time and memory columns) and
//! `lablink_paired_time_only` (no counting allocator: time only) share.
//!
//! Each round runs the flow (1,000 commands, each logged to SQLite) once unprofiled and once
//! profiled, one right after the other, in an order that alternates from round to round, each
//! on its own database. Before each timed run, 1,000 commands run untimed on the same database
//! with the same setting. The figure is the median of the rounds' ratios, with a 95% bootstrap
//! interval. With the database on disk, each command waits for an fsync whose time drifts by
//! several percent over a minute: criterion's groups (`lablink_paths`) time the two runs a
//! minute apart and cannot resolve a difference of a few percent, while the two runs of one
//! round see the same disk. With the database in memory, the figure moves by a few percent
//! from one process to the next, so five processes measure in turn and the figure given is the
//! median over them, with their range. Each figure is also given in the running thread's CPU
//! time (user and system), which the waits for a CPU on a loaded machine do not inflate. In
//! memory, the flow is measured in exact mode and in sampled mode
//! (`LABLINK_PROFILE_MODE=sampled`, the default rate), five processes each: the time mode is
//! per process. In sampled mode the sampler thread, once started, also runs during the
//! unprofiled runs of its process (it then finds no stack to read).
//!
//! `cargo bench --bench lablink_paired` (about three minutes; `-- sampled` measures only the
//! sampled mode). Run without `--bench` (as `cargo test --benches` does), it runs one round of
//! each as a check.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::lablink_flow::{
    IN_MEMORY, ON_DISK, command_flow, database_places, flow_database, run_commands, with_recording,
};
use crate::paired::{bootstrap_interval, in_processes_with, median, range, ratio_with_interval};

/// Commands run untimed before each timed run, on its own database and with its own setting.
/// With 100 or 300, the second run of a round was still about 5% slower than the first in
/// memory, and the rounds' ratios split into two groups, near 0.97x and near 1.10x, by order;
/// with 1,000 the order makes no difference.
const WARM_UP_COMMANDS: usize = 1000;

/// Rounds discarded first (caches, the databases' first pages).
const WARM_UP_ROUNDS: usize = 3;

/// How many processes measure the flow in memory, one after the other.
const PROCESSES: usize = 5;

/// Set in the environment of a process that measures the flow in memory.
const CHILD: &str = "LABLINK_FLOW_PAIRED_CHILD";

/// How long each place's rounds run for, about: on disk, where a round takes about 0.6 s and
/// varies most, longer.
fn measure_for(place: &str) -> Duration {
    Duration::from_secs(if place == ON_DISK { 40 } else { 8 })
}

/// Runs the benchmark (see the module docs).
pub fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let child = std::env::var_os(CHILD).is_some();
    // `cargo bench --bench lablink_paired -- NAME` measures only the settings whose name
    // contains NAME: "on disk", "in memory, exact mode", "in memory, sampled mode".
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_default();
    let wanted = |name: &str| name.contains(filter.as_str());
    for (place, dir) in database_places() {
        if !measuring {
            rounds(place, dir.path(), 1);
            println!("command flow, database {place}: one round run (pass --bench to measure)");
        } else if place == ON_DISK && !child {
            if wanted(ON_DISK) {
                report_on_disk(&rounds(place, dir.path(), 0));
            }
        } else if place == IN_MEMORY && child {
            let rounds = rounds(place, dir.path(), 0);
            check_mode();
            print_for_parent(&rounds);
        } else if place == IN_MEMORY {
            for mode in ["exact", "sampled"] {
                let name = format!("{IN_MEMORY}, {mode} mode");
                if wanted(&name) {
                    let env = [("LABLINK_PROFILE_MODE", mode)];
                    report_in_memory(&name, &in_processes_with(CHILD, PROCESSES, &env));
                }
            }
        }
    }
}

/// Checks that the profiled runs recorded in the mode the environment asked for, and in sampled
/// mode that the sampler read their stacks.
fn check_mode() {
    let profile = lablink_prof::snapshot();
    let sampled = std::env::var("LABLINK_PROFILE_MODE").is_ok_and(|m| m == "sampled");
    let expected = if sampled {
        lablink_prof::TimeMode::Sampled
    } else {
        lablink_prof::TimeMode::Exact
    };
    assert_eq!(profile.mode, expected);
    let samples: u64 = profile.stacks.iter().map(|s| s.samples).sum();
    assert_eq!(sampled, samples > 0, "samples taken only in sampled mode");
}

/// One round's times: the unprofiled and the profiled run's wall time, then their CPU time
/// (the running thread's, which waits for a CPU on a loaded machine do not inflate).
type Round = [Duration; 4];

/// The running thread's CPU time, user and system (SQLite's writes to tmpfs are system time).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid place for the answer.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(status, 0, "the thread's CPU clock reads");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Times rounds on databases in `dir`, at `place`: `count` of them, or as many as the place's
/// time allows (at least 10) after the warm-up rounds if `count` is 0.
fn rounds(place: &str, dir: &Path, count: usize) -> Vec<Round> {
    let databases = [false, true].map(|on| flow_database(dir, on));
    let time_round = |unprofiled_first: bool| {
        let mut times = [Duration::ZERO; 4];
        for on in [!unprofiled_first, unprofiled_first] {
            let database = &databases[usize::from(on)];
            with_recording(on);
            run_commands(database, WARM_UP_COMMANDS);
            let (start, cpu) = (Instant::now(), thread_cpu());
            command_flow(database);
            times[usize::from(on)] = start.elapsed();
            times[2 + usize::from(on)] = thread_cpu() - cpu;
        }
        with_recording(false);
        times
    };
    if count > 0 {
        return (0..count).map(|round| time_round(round % 2 == 0)).collect();
    }
    for round in 0..WARM_UP_ROUNDS {
        time_round(round % 2 == 0);
    }
    let start = Instant::now();
    let mut rounds = Vec::new();
    while start.elapsed() < measure_for(place) || rounds.len() < 10 {
        rounds.push(time_round(rounds.len() % 2 == 0));
    }
    rounds
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The rounds' ratios of profiled to unprofiled wall time.
fn ratios(rounds: &[Round]) -> Vec<f64> {
    rounds
        .iter()
        .map(|r| r[1].as_secs_f64() / r[0].as_secs_f64())
        .collect()
}

/// The rounds' ratios of profiled to unprofiled CPU time.
fn cpu_ratios(rounds: &[Round]) -> Vec<f64> {
    rounds
        .iter()
        .map(|r| r[3].as_secs_f64() / r[2].as_secs_f64())
        .collect()
}

/// The median time in milliseconds of the unprofiled (0) or profiled (1) runs: wall time, or
/// CPU time (2, 3).
fn median_ms(rounds: &[Round], which: usize) -> f64 {
    median(rounds.iter().map(|r| ms(r[which])).collect())
}

fn report_on_disk(rounds: &[Round]) {
    println!(
        "command flow, 1,000 commands, database {ON_DISK}: {} rounds\n  \
         unprofiled  median {:.3} ms\n  \
         profiled    median {:.3} ms\n  \
         profiled / unprofiled, median of the rounds: {}\n  \
         in CPU time: {}",
        rounds.len(),
        median_ms(rounds, 0),
        median_ms(rounds, 1),
        ratio_with_interval(&ratios(rounds)),
        ratio_with_interval(&cpu_ratios(rounds)),
    );
}

/// One line for the parent: rounds, the two median times, the median ratio and its interval;
/// then the same three in CPU time.
fn print_for_parent(rounds: &[Round]) {
    let ratios = ratios(rounds);
    let (low, high) = bootstrap_interval(&ratios);
    let cpu = cpu_ratios(rounds);
    let (cpu_low, cpu_high) = bootstrap_interval(&cpu);
    println!(
        "{} {} {} {} {low} {high} {} {cpu_low} {cpu_high}",
        rounds.len(),
        median_ms(rounds, 0),
        median_ms(rounds, 1),
        median(ratios.clone()),
        median(cpu),
    );
}

/// The figures of the processes that measured the flow in memory, in the time mode `name`
/// says.
fn report_in_memory(name: &str, outputs: &[String]) {
    let processes: Vec<Vec<f64>> = outputs
        .iter()
        .map(|text| {
            let line = text.lines().last().expect("a measuring process's figures");
            line.split(' ')
                .map(|f| f.parse().expect("a figure"))
                .collect()
        })
        .collect();
    let column = |i: usize| processes.iter().map(|p| p[i]).collect::<Vec<f64>>();
    let ratios = column(3);
    let (low, high) = range(&ratios);
    println!(
        "command flow, 1,000 commands, database {name}: {} processes\n  \
         unprofiled  median {:.3} ms\n  \
         profiled    median {:.3} ms\n  \
         profiled / unprofiled, median over the processes: {:.4}x (processes: {low:.4}x to \
         {high:.4}x)",
        processes.len(),
        median(column(1)),
        median(column(2)),
        median(ratios),
    );
    for p in &processes {
        println!(
            "    {:.0} rounds: {:.4}x (95% interval {:.4}x to {:.4}x)",
            p[0], p[3], p[4], p[5]
        );
    }
    let cpu = column(6);
    let (low, high) = range(&cpu);
    println!(
        "  in CPU time, median over the processes: {:.4}x (processes: {low:.4}x to {high:.4}x)",
        median(cpu)
    );
    for p in &processes {
        println!(
            "    {:.0} rounds: {:.4}x (95% interval {:.4}x to {:.4}x)",
            p[0], p[6], p[7], p[8]
        );
    }
}
