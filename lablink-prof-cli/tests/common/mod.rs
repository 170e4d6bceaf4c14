//! Helpers shared by the tests: run the built `lablink-prof`, find the golden files, write
//! variants of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a run of the command gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `lablink-prof` with `args`.
pub fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    run_in(Path::new("."), args)
}

/// Runs `lablink-prof` with `args` in the directory `dir`.
pub fn run_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_lablink-prof"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the lablink-prof binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `lablink-prof` and expects exit status 0.
pub fn ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let r = run(args);
    assert_eq!(r.code, 0, "expected success; stderr:\n{}", r.stderr);
    r
}

/// A golden profile's path.
pub fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// The realistic profile: recursion, two threads, callers with lines, heap counted.
pub fn server() -> PathBuf {
    golden("lablink_server.json")
}

/// A golden profile as JSON.
pub fn golden_json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(golden(name)).expect("golden file");
    serde_json::from_str(&text).expect("golden file is JSON")
}

/// Writes `value` as `name` in `dir`.
pub fn write_json(dir: &Path, name: &str, value: &serde_json::Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path
}

/// The function named `name` (by suffix) in a profile's JSON.
pub fn function_mut<'a>(
    profile: &'a mut serde_json::Value,
    name: &str,
) -> &'a mut serde_json::Value {
    profile["functions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["name"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no function {name}"))
}

/// Multiplies every time of function `name` (lines, totals, threads) by `factor`.
pub fn slow_down(profile: &mut serde_json::Value, name: &str, factor: f64) {
    let f = function_mut(profile, name);
    let scale = |v: &mut serde_json::Value| {
        *v = serde_json::json!((v.as_u64().unwrap() as f64 * factor).round() as u64);
    };
    for key in ["total_ns", "cumulative_ns", "own_ns"] {
        scale(&mut f[key]);
    }
    for line in f["lines"].as_array_mut().unwrap() {
        scale(&mut line["time_ns"]);
    }
    for t in f["threads"].as_array_mut().unwrap() {
        scale(&mut t["total_ns"]);
        for line in t["lines"].as_array_mut().unwrap() {
            scale(&mut line["time_ns"]);
        }
    }
}

/// The sampled profile: three functions (one recursive, one a callee), on-CPU and off-CPU
/// time, the sampler's stacks, an interval of 1 ms.
pub fn sampled() -> PathBuf {
    golden("sampled_ingest.json")
}

/// A sampled profile of one function, `app::work`, 10 calls, one line (2) that `samples`
/// samples of 1 ms found, all of them on a CPU, in one stack.
pub fn one_line_sampled(samples: u64) -> serde_json::Value {
    let ns = samples * 1_000_000;
    serde_json::json!({
        "format": "lablink-prof", "version": 1, "mode": "sampled",
        "sample_interval_ns": 1_000_000,
        "threads": [{ "index": 0, "name": "main" }],
        "functions": [{
            "name": "app::work", "file": "src/app.rs", "line": 1, "calls": 10,
            "total_ns": ns, "samples": samples,
            "source": ["fn work() {", "    crunch();", "}"],
            "lines": [{ "line": 2, "hits": 10, "time_ns": ns, "samples": samples, "cpu_ns": ns }],
            "callers": [{ "caller": "<root>", "calls": 10, "time_ns": ns }]
        }],
        "stacks": [{
            "thread": 0, "frames": [{ "function": "app::work", "line": 2 }],
            "samples": samples, "time_ns": ns, "cpu_ns": ns
        }]
    })
}
