//! A program for `lablink-prof top` to watch, with a workload whose figures are known.
//! Run it with `LABLINK_PROFILING=1`.
//!
//! - `top_workload gated CALLS BEFORE.json AFTER.json`: calls `step` once (recording starts,
//!   and with it the `SIGUSR1` handler), prints `ready`, then waits for its first snapshot file
//!   to appear (`LABLINK_PROFILE_OUT`, else `lablink-profile-PID.json` in its working
//!   directory). Then it writes its own profile to BEFORE.json, calls `step` CALLS times, writes
//!   its profile to AFTER.json, prints `done`, and idles until its stdin closes. No profiled
//!   code runs between the first snapshot and BEFORE.json, nor after AFTER.json, so a snapshot
//!   taken before the calls and one taken after them differ by exactly AFTER - BEFORE.
//! - `top_workload steady`: spends a while in `warm_up` (the most time in total), prints
//!   `ready`, then calls `serve_request` about every 10 ms (the most time per interval) until
//!   its stdin closes.
//!
//! `tests/top.rs` runs it; try it by hand with
//! `LABLINK_PROFILING=1 cargo run -p lablink-prof-cli --example top_workload steady` and
//! `lablink-prof top --pid PID` in another terminal.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lablink_prof::line_profile;

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

/// One unit of the gated workload: allocates `n` u64s and sums them.
#[line_profile]
fn step(n: u64) -> u64 {
    let values: Vec<u64> = (0..n).collect();
    let total = values.iter().sum::<u64>();
    total.rotate_left(1)
}

/// A long start-up computation.
#[line_profile]
fn warm_up(rounds: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..rounds {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
    }
    x
}

/// A short request, many times a second.
#[line_profile]
fn serve_request(id: u64) -> usize {
    let body = format!("request {id}: {}", "x".repeat(256));
    let words = body.split(' ').count();
    words + checksum(body.as_bytes()) as usize % 2
}

/// Part of a request.
#[line_profile]
fn checksum(bytes: &[u8]) -> u64 {
    let mut sum = 0u64;
    for b in bytes {
        sum = sum.wrapping_mul(131).wrapping_add(u64::from(*b));
    }
    sum
}

/// Where the runtime writes a snapshot on `SIGUSR1`.
fn snapshot_path() -> PathBuf {
    std::env::var_os("LABLINK_PROFILE_OUT")
        .filter(|v| !v.is_empty())
        .map(|v| {
            PathBuf::from(
                v.to_string_lossy()
                    .replace("{pid}", &std::process::id().to_string()),
            )
        })
        .unwrap_or_else(|| PathBuf::from(format!("lablink-profile-{}.json", std::process::id())))
}

/// Sets the returned flag when stdin closes.
fn stdin_closed() -> Arc<AtomicBool> {
    let closed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&closed);
    std::thread::spawn(move || {
        for _ in std::io::stdin().lock().lines() {}
        flag.store(true, Ordering::SeqCst);
    });
    closed
}

fn say(word: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{word}");
    let _ = out.flush();
}

fn write_profile(path: &str) {
    let profile = lablink_prof::snapshot();
    lablink_prof::report::write_json(&profile, std::path::Path::new(path))
        .expect("the profile can be written");
}

fn gated(calls: u64, before: &str, after: &str) {
    let closed = stdin_closed();
    std::hint::black_box(step(1000));
    say("ready");
    let path = snapshot_path();
    while !path.exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    write_profile(before);
    for _ in 0..calls {
        std::hint::black_box(step(1000));
    }
    write_profile(after);
    say("done");
    while !closed.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn steady() {
    let closed = stdin_closed();
    std::hint::black_box(warm_up(4_000_000));
    say("ready");
    let mut id = 0;
    while !closed.load(Ordering::SeqCst) {
        std::hint::black_box(serve_request(id));
        id += 1;
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["gated", calls, before, after] => {
            gated(calls.parse().expect("CALLS is a number"), before, after)
        }
        ["steady"] => steady(),
        _ => {
            eprintln!("usage: top_workload gated CALLS BEFORE.json AFTER.json | steady");
            std::process::exit(2);
        }
    }
}
