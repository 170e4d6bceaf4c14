//! Distributions and blocking lines in saved profiles: `view A B` adds histograms up bucket by
//! bucket, `view --columns` shows them, `diff --metric p99` gates on a percentile, and `diff`
//! fails when a line starts blocking the executor.

mod common;

use common::{run, write_json};
use lablink_prof_runtime::Profile;
use lablink_prof_runtime::profile::Histogram;
use serde_json::json;

/// A profile of one function `demo::work` (lines 1 to 3) whose line 2 has `hits` single hits
/// of the given times in ns (the function is called once per hit), and `blocking` slices over
/// the threshold on line 3.
fn profile(times: &[u64], blocking: u64) -> serde_json::Value {
    let mut hist = Histogram::new();
    for &t in times {
        hist.record(t, 1);
    }
    let total: u64 = times.iter().sum();
    let mut line3 = json!({ "line": 3, "hits": times.len(), "time_ns": 0 });
    if blocking > 0 {
        line3["blocking"] = json!(blocking);
        line3["blocking_max_ns"] = json!(48_000_000);
        line3["blocking_ns"] = json!(blocking * 30_000_000);
    }
    json!({
        "format": "lablink-prof", "version": 1,
        "threads": [{ "index": 0, "name": "main" }],
        "blocking_threshold_ns": 100000,
        "functions": [{
            "name": "demo::work", "file": "src/demo.rs", "line": 1, "is_async": true,
            "calls": times.len(), "total_ns": total,
            "source": ["async fn work() {", "    step();", "    std::thread::sleep(d);", "}"],
            "min_ns": times.iter().min(), "max_ns": times.iter().max(), "hist": hist,
            "lines": [
                { "line": 2, "hits": times.len(), "time_ns": total,
                  "min_ns": times.iter().min(), "max_ns": times.iter().max(), "hist": hist },
                line3,
            ],
        }],
    })
}

/// 99 hits of 1 µs and one of 1 ms.
fn one_slow() -> Vec<u64> {
    let mut t = vec![1_000; 99];
    t.push(1_000_000);
    t
}

#[test]
fn view_a_b_adds_distributions_as_one_profile_of_both_runs() {
    let dir = tempfile::tempdir().unwrap();
    let first: Vec<u64> = (1..=100).map(|i| i * 1_000).collect();
    let second = one_slow();
    let a = write_json(dir.path(), "a.json", &profile(&first, 0));
    let b = write_json(dir.path(), "b.json", &profile(&second, 0));
    let both: Vec<u64> = first.iter().chain(&second).copied().collect();
    let r = run(&[
        "view",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--layout",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let merged: Profile = serde_json::from_str(&r.stdout).unwrap();
    let expected: Profile = serde_json::from_value(profile(&both, 0)).unwrap();
    let (m, e) = (&merged.functions[0], &expected.functions[0]);
    assert_eq!(m.line(2).unwrap().hist, e.line(2).unwrap().hist);
    assert_eq!(m.line(2).unwrap().hist.count(), 200);
    assert_eq!(
        (m.line(2).unwrap().min_ns, m.line(2).unwrap().max_ns),
        (Some(1_000), Some(1_000_000))
    );
    assert_eq!(
        (m.hist.clone(), m.min_ns, m.max_ns),
        (e.hist.clone(), e.min_ns, e.max_ns)
    );
    for q in [0.5, 0.9, 0.99] {
        assert_eq!(
            m.line(2).unwrap().quantile_ns(q),
            e.line(2).unwrap().quantile_ns(q)
        );
    }
}

#[test]
fn view_columns_show_min_max_and_percentiles() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_json(dir.path(), "a.json", &profile(&one_slow(), 0));
    let r = run(&["view", a.to_str().unwrap(), "--columns", "min,max,p50,p99"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let header = r.stdout.lines().find(|l| l.contains("Line #")).unwrap();
    for h in ["Min", "Max", "p50", "p99"] {
        assert!(header.contains(h), "{header}");
    }
    assert!(!header.contains("p90"), "{header}");
    // Line 2: min 1 µs, max 1 ms, p50 and p99 the 1 µs hits' bucket (992..1023 ns, read as its
    // middle), 1.01 µs.
    let row = r.stdout.lines().find(|l| l.contains("step();")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[7..11], ["1.00", "µs", "1.00", "ms"], "{row}");
    assert_eq!(&cells[11..15], ["1.01", "µs", "1.01", "µs"], "{row}");
    assert!(
        r.stdout
            .contains("Per call: Min 1.00 µs, Max 1.00 ms, p50 1.01 µs, p99 1.01 µs")
    );
    // Without --columns the table is as before; kernprof has no such columns.
    let plain = run(&["view", a.to_str().unwrap()]);
    assert!(!plain.stdout.contains("p99"));
    let kernprof = run(&["view", a.to_str().unwrap(), "--layout", "kernprof"]);
    assert!(!kernprof.stdout.contains("p99"));
    let bad = run(&["view", a.to_str().unwrap(), "--columns", "p42"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn diff_gates_on_p99() {
    let dir = tempfile::tempdir().unwrap();
    // The mean hardly moves (+1%); p99 doubles.
    let base_times: Vec<u64> = vec![10_000; 100];
    let mut new_times: Vec<u64> = vec![9_900; 98];
    new_times.extend([20_000, 20_000]);
    let base = write_json(dir.path(), "base.json", &profile(&base_times, 0));
    let new = write_json(dir.path(), "new.json", &profile(&new_times, 0));
    let (b, n) = (base.to_str().unwrap(), new.to_str().unwrap());
    let mean = run(&["diff", b, n, "--min-time-ms", "0"]);
    assert_eq!(mean.code, 0, "{}", mean.stdout);
    let p99 = run(&["diff", b, n, "--min-time-ms", "0", "--metric", "p99"]);
    assert_eq!(p99.code, 1, "{}", p99.stdout);
    assert!(p99.stdout.contains("SLOWER"), "{}", p99.stdout);
    assert!(p99.stdout.contains("p99 call/hit base"), "{}", p99.stdout);
    // A profile without distributions cannot be gated on a percentile.
    let mut plain = profile(&base_times, 0);
    plain["functions"][0]["hist"] = json!([]);
    plain["functions"][0]["lines"][0]["hist"] = json!([]);
    let plain = write_json(dir.path(), "plain.json", &plain);
    let r = run(&["diff", plain.to_str().unwrap(), n, "--metric", "p99"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("has no distributions"), "{}", r.stderr);
}

#[test]
fn diff_fails_when_a_line_starts_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let times = vec![10_000; 10];
    let base = write_json(dir.path(), "base.json", &profile(&times, 0));
    let new = write_json(dir.path(), "new.json", &profile(&times, 7));
    let (b, n) = (base.to_str().unwrap(), new.to_str().unwrap());
    let r = run(&["diff", b, n]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("blocks the executor: src/demo.rs:3 (demo::work), 7 times, longest 48.0 ms"),
        "{}",
        r.stdout
    );
    // Blocking in both: not new.
    assert_eq!(run(&["diff", n, n]).code, 0);
    assert_eq!(run(&["diff", b, n, "--allow-new-blocking"]).code, 0);
    // view lists it too.
    let v = run(&["view", n]);
    assert!(
        v.stdout.contains(
            "blocks the executor: src/demo.rs:3, 7 times, longest 48.0 ms, 210.0 ms in all \
             (threshold 100.0 µs)"
        ),
        "{}",
        v.stdout
    );
    assert!(
        v.stdout.contains("Blocking") && v.stdout.contains("7× ≤48.0 ms"),
        "{}",
        v.stdout
    );
    // html lists it, and the calls' figures.
    let page = dir.path().join("p.html");
    let h = run(&["html", n, "-o", page.to_str().unwrap()]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("<li>blocks the executor: src/demo.rs:3, 7 times, longest 48.0 ms"),
        "{html}"
    );
    assert!(html.contains("single calls: min 10.0 µs"), "{html}");
}

#[test]
fn a_sampled_profile_says_single_hits_are_not_timed() {
    let dir = tempfile::tempdir().unwrap();
    let sampled = common::sampled();
    let s = sampled.to_str().unwrap();
    let v = run(&["view", s, "--columns", "all"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(
        v.stdout.starts_with(
            "Min, Max, p50, p90, p99: none in a sampled profile, where single hits are not timed"
        ),
        "{}",
        v.stdout
    );
    assert!(
        !v.stdout
            .lines()
            .any(|l| l.contains("Line #") && l.contains("p99"))
    );
    let page = dir.path().join("s.html");
    assert_eq!(run(&["html", s, "-o", page.to_str().unwrap()]).code, 0);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Single hits are not timed"), "{html}");
    let r = run(&["diff", s, s, "--metric", "p99"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.contains("is sampled, where they are not"),
        "{}",
        r.stderr
    );
}
