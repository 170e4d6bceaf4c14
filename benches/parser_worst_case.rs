//! The worst case for a line profiler: small profiled functions in a hot loop. A record parser
//! (a digit test, a number parser, a record splitter, and a top function parsing 20,000
//! records) runs unprofiled, in exact mode and in sampled mode, each in a process of its own
//! (the time mode is per process).
//!
//! Each round runs the three processes one after the other, in an order that rotates from round
//! to round. A process parses the same input in passes, after two passes of warm-up and
//! `lablink_prof::reset()`, until a second has passed (at least 3 passes), and gives the wall
//! time per pass and, profiled, the top function's `total_ns` per pass as its profile reports
//! it (after compensation). A round's figures are ratios to its unprofiled process's wall time:
//! how much each mode slows the parser, and how far its report of the top function is from the
//! unprofiled time. The figures given are the medians over the rounds, with their range. Every
//! process checks that the parser's answer is the same, and that the top function was called
//! once per pass.
//!
//! `cargo bench --bench parser_worst_case` (about 20 s: 5 rounds). Run without `--bench` (as
//! `cargo test --benches` does), one round of short processes, as a check.

mod paired;

use std::time::{Duration, Instant};

use lablink_prof::{TimeMode, line_profile};
use paired::{median, range, run_self};

/// Fields per record.
const FIELDS: usize = 4;

/// Records in the input.
const RECORDS: usize = 20_000;

/// Rounds of three processes.
const ROUNDS: usize = 5;

/// Set in a measuring process's environment: `unprofiled`, `exact` or `sampled`.
const CHILD: &str = "LP_PARSER_MODE";

/// Set in a measuring process's environment: how long it parses, in seconds.
const SECONDS: &str = "LP_PARSER_SECONDS";

const MODES: [&str; 3] = ["unprofiled", "exact", "sampled"];

#[line_profile]
fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

#[line_profile]
fn parse_number(field: &[u8]) -> u64 {
    let mut n = 0u64;
    for &b in field {
        if !is_digit(b) {
            break;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    n
}

#[line_profile]
fn split_record<'a>(record: &'a [u8], fields: &mut [&'a [u8]; FIELDS]) -> usize {
    let mut count = 0;
    let mut start = 0;
    for (i, &b) in record.iter().enumerate() {
        if b == b',' && count < FIELDS - 1 {
            fields[count] = &record[start..i];
            count += 1;
            start = i + 1;
        }
    }
    fields[count] = &record[start..];
    count + 1
}

#[line_profile]
fn parse_records(input: &[u8]) -> u64 {
    let mut sum = 0u64;
    let mut fields: [&[u8]; FIELDS] = [&[]; FIELDS];
    for record in input.split(|&b| b == b'\n') {
        let count = split_record(record, &mut fields);
        for field in &fields[..count] {
            sum = sum.wrapping_add(parse_number(field));
        }
    }
    sum
}

/// `RECORDS` lines of `FIELDS` numbers of 1 to 8 digits, separated by commas, from a
/// fixed-seed generator.
fn input() -> Vec<u8> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut text = Vec::new();
    for _ in 0..RECORDS {
        for f in 0..FIELDS {
            if f > 0 {
                text.push(b',');
            }
            let digits = 1 + next() % 8;
            for _ in 0..digits {
                text.push(b'0' + (next() % 10) as u8);
            }
        }
        text.push(b'\n');
    }
    text
}

/// What a measuring process finds.
#[derive(Debug, Clone, Copy)]
struct Figures {
    /// Wall time per pass.
    wall_ns: f64,
    /// The parsing thread's CPU time per pass (the sampler's, on its own thread, is not in it).
    cpu_ns: f64,
    /// The top function's reported total per pass (0 unprofiled).
    reported_ns: f64,
    passes: u64,
    /// Samples on the top function (sampled mode).
    samples: u64,
    /// In sampled mode, the on-CPU part of the top function's reported total, per pass.
    reported_cpu_ns: f64,
    checksum: u64,
    /// The recorder's calibrated cost per line boundary that compensation subtracts.
    overhead_ns_per_hit: f64,
    /// The calibrated cost per profiled call that compensation subtracts.
    overhead_ns_per_call: f64,
    /// Line hits (all profiled functions, signature lines included) and profiled calls, per
    /// pass.
    hits: f64,
    calls: f64,
}

fn main() {
    if let Ok(mode) = std::env::var(CHILD) {
        let seconds: f64 = std::env::var(SECONDS).map_or(1.0, |s| s.parse().expect("seconds"));
        let f = measure(&mode, Duration::from_secs_f64(seconds));
        println!(
            "{} {} {} {} {} {} {} {} {} {} {}",
            f.wall_ns,
            f.reported_ns,
            f.passes,
            f.samples,
            f.checksum,
            f.cpu_ns,
            f.reported_cpu_ns,
            f.overhead_ns_per_hit,
            f.hits,
            f.calls,
            f.overhead_ns_per_call,
        );
        return;
    }
    let measuring = std::env::args().any(|a| a == "--bench");
    let (rounds, seconds) = if measuring {
        (ROUNDS, "1")
    } else {
        (1, "0.05")
    };
    let mut by_round: Vec<[Figures; 3]> = Vec::new();
    for round in 0..rounds {
        let mut figures = [None; 3];
        for k in 0..MODES.len() {
            let m = (round + k) % MODES.len();
            let out = run_self(&[(CHILD, MODES[m]), (SECONDS, seconds)], &[]);
            let v: Vec<f64> = out
                .lines()
                .last()
                .expect("a measuring process's figures")
                .split(' ')
                .map(|x| x.parse().expect("a figure"))
                .collect();
            figures[m] = Some(Figures {
                wall_ns: v[0],
                reported_ns: v[1],
                passes: v[2] as u64,
                samples: v[3] as u64,
                checksum: v[4] as u64,
                cpu_ns: v[5],
                reported_cpu_ns: v[6],
                overhead_ns_per_hit: v[7],
                hits: v[8],
                calls: v[9],
                overhead_ns_per_call: v[10],
            });
        }
        let figures = figures.map(|f| f.expect("each mode measured"));
        assert!(
            figures.iter().all(|f| f.checksum == figures[0].checksum),
            "the parser's answer is the same in every mode: {figures:?}"
        );
        by_round.push(figures);
    }
    report(&by_round, measuring);
}

/// Parses the input in passes for `time` (at least 3 passes) in `mode`, after a warm-up.
fn measure(mode: &str, time: Duration) -> Figures {
    match mode {
        "unprofiled" => lablink_prof::disable(),
        "exact" | "sampled" => {
            let wanted = if mode == "exact" {
                TimeMode::Exact
            } else {
                TimeMode::Sampled
            };
            lablink_prof::set_time_mode(wanted).expect("before recording starts");
            lablink_prof::enable();
        }
        other => panic!("no mode {other}"),
    }
    lablink_prof::skip_exit_report();
    let input = input();
    let checksum = parse_records(std::hint::black_box(&input));
    std::hint::black_box(parse_records(std::hint::black_box(&input)));
    lablink_prof::reset();
    let (start, cpu_start) = (Instant::now(), thread_cpu_ns());
    let mut passes = 0u64;
    while start.elapsed() < time || passes < 3 {
        let sum = parse_records(std::hint::black_box(&input));
        assert_eq!(sum, checksum);
        passes += 1;
    }
    let (wall, cpu) = (start.elapsed(), thread_cpu_ns() - cpu_start);
    let profile = lablink_prof::snapshot();
    let (reported_ns, samples, reported_cpu_ns) = match profile
        .functions
        .iter()
        .find(|f| f.name.ends_with("::parse_records"))
    {
        Some(top) => {
            assert_ne!(mode, "unprofiled", "nothing recorded unprofiled");
            assert_eq!(top.calls, passes, "one call per pass");
            // The top function's lines add up to its total; their on-CPU parts to its own.
            let on_cpu: u64 = top.lines.iter().filter_map(|l| l.cpu_ns).sum();
            (
                top.total_ns as f64 / passes as f64,
                top.samples,
                on_cpu as f64 / passes as f64,
            )
        }
        None => {
            assert_eq!(
                mode, "unprofiled",
                "the top function recorded when profiled"
            );
            (0.0, 0, 0.0)
        }
    };
    if mode == "sampled" {
        assert!(samples > 0, "the sampler found the parser");
    }
    Figures {
        wall_ns: wall.as_nanos() as f64 / passes as f64,
        cpu_ns: cpu as f64 / passes as f64,
        reported_cpu_ns,
        overhead_ns_per_hit: profile.overhead_ns_per_hit,
        overhead_ns_per_call: profile.overhead_ns_per_call,
        hits: profile
            .functions
            .iter()
            .flat_map(|f| &f.lines)
            .map(|l| l.hits)
            .sum::<u64>() as f64
            / passes as f64,
        calls: profile.functions.iter().map(|f| f.calls).sum::<u64>() as f64 / passes as f64,
        reported_ns,
        passes,
        samples,
        checksum,
    }
}

/// This thread's CPU time, in ns.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid place for the answer.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(status, 0, "the thread's CPU clock reads");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn report(rounds: &[[Figures; 3]], measuring: bool) {
    println!(
        "record parser, {RECORDS} records of {FIELDS} numbers, {} rounds of three processes{}",
        rounds.len(),
        if measuring {
            ""
        } else {
            " (a check; pass --bench to measure)"
        }
    );
    let unprofiled: Vec<f64> = rounds.iter().map(|r| r[0].wall_ns).collect();
    println!(
        "  unprofiled: {:.3} ms per pass (median; rounds {:.3} to {:.3} ms)",
        median(unprofiled.clone()) / 1e6,
        range(&unprofiled).0 / 1e6,
        range(&unprofiled).1 / 1e6
    );
    for (m, mode) in MODES.iter().enumerate().skip(1) {
        let slowdown: Vec<f64> = rounds.iter().map(|r| r[m].wall_ns / r[0].wall_ns).collect();
        let reported: Vec<f64> = rounds
            .iter()
            .map(|r| r[m].reported_ns / r[0].wall_ns)
            .collect();
        let passes: Vec<f64> = rounds.iter().map(|r| r[m].passes as f64).collect();
        let samples: Vec<f64> = rounds.iter().map(|r| r[m].samples as f64).collect();
        println!(
            "  {mode}: {:.3} ms per pass; slows the parser {:.2}x (rounds {:.2}x to {:.2}x); \
             reports parse_records at {:.3} ms per pass, {:.2}x its unprofiled time (rounds \
             {:.2}x to {:.2}x); {:.0} passes per process{}",
            median(rounds.iter().map(|r| r[m].wall_ns).collect()) / 1e6,
            median(slowdown.clone()),
            range(&slowdown).0,
            range(&slowdown).1,
            median(rounds.iter().map(|r| r[m].reported_ns).collect()) / 1e6,
            median(reported.clone()),
            range(&reported).0,
            range(&reported).1,
            median(passes),
            if *mode == "sampled" {
                format!(", {:.0} samples", median(samples))
            } else {
                String::new()
            }
        );
        // The same in the parsing thread's CPU time, which time spent waiting for a CPU (other
        // processes on the machine) does not inflate.
        let cpu_slowdown: Vec<f64> = rounds.iter().map(|r| r[m].cpu_ns / r[0].cpu_ns).collect();
        let on_cpu = if *mode == "sampled" {
            let on_cpu: Vec<f64> = rounds
                .iter()
                .map(|r| r[m].reported_cpu_ns / r[0].cpu_ns)
                .collect();
            format!(
                "; the on-CPU part of its report of parse_records is {:.2}x the unprofiled CPU \
                 time (rounds {:.2}x to {:.2}x)",
                median(on_cpu.clone()),
                range(&on_cpu).0,
                range(&on_cpu).1
            )
        } else {
            String::new()
        };
        println!(
            "    in CPU time: slows the parser {:.2}x (rounds {:.2}x to {:.2}x){on_cpu}",
            median(cpu_slowdown.clone()),
            range(&cpu_slowdown).0,
            range(&cpu_slowdown).1,
        );
        println!(
            "    each round (slowdown, reported, cost per call): {}",
            rounds
                .iter()
                .map(|r| format!(
                    "({:.2}x, {:.2}x, {:.2} ns)",
                    r[m].wall_ns / r[0].wall_ns,
                    r[m].reported_ns / r[0].wall_ns,
                    r[m].overhead_ns_per_call
                ))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let per_hit: Vec<f64> = rounds.iter().map(|r| r[m].overhead_ns_per_hit).collect();
        let per_call: Vec<f64> = rounds.iter().map(|r| r[m].overhead_ns_per_call).collect();
        println!(
            "    calibrated cost per line boundary {:.2} ns (rounds {:.2} to {:.2}), per call \
             {:.2} ns (rounds {:.2} to {:.2})",
            median(per_hit.clone()),
            range(&per_hit).0,
            range(&per_hit).1,
            median(per_call.clone()),
            range(&per_call).0,
            range(&per_call).1,
        );
        // What recording adds per pass, in CPU time, over the line hits and calls it records.
        let added: Vec<f64> = rounds.iter().map(|r| r[m].cpu_ns - r[0].cpu_ns).collect();
        let (hits, calls) = (rounds[0][m].hits, rounds[0][m].calls);
        println!(
            "    {hits:.0} line hits and {calls:.0} profiled calls a pass; recording adds {:.2} \
             ms of CPU a pass: {:.2} ns a line hit, calls included",
            median(added.clone()) / 1e6,
            median(added) / hits,
        );
    }
    let unprofiled_cpu: Vec<f64> = rounds.iter().map(|r| r[0].cpu_ns).collect();
    println!(
        "  unprofiled: {:.3} ms of CPU time per pass (median)",
        median(unprofiled_cpu) / 1e6,
    );
}
