//! A profile of 10,000 functions: the CLI reads it in memory a few times its size, and the
//! HTML page opens in Chromium in seconds, with every function listed and the source tables of
//! the hottest.

#[path = "common/browser.rs"]
mod browser;
mod common;

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

const FUNCTIONS: usize = 10_000;

/// A profile of [`FUNCTIONS`] functions, 10 source lines and 8 recorded lines each, heap
/// counted; every tenth is called from `<root>`, the others from it. Function `i`'s line
/// `100 + j` takes `j * 1000 + i` ns, so function 9,999 has the most time.
fn large_profile() -> String {
    let mut out = String::from(
        r#"{"format":"lablink-prof","version":1,"heap_counted":true,"overhead_ns_per_hit":0,"threads":[{"index":0,"name":"main"}],"functions":["#,
    );
    for i in 0..FUNCTIONS {
        if i > 0 {
            out.push(',');
        }
        let mut lines = String::new();
        let mut total = 0;
        for j in 1..=8u64 {
            let time = j * 1000 + i as u64;
            total += time;
            let _ = write!(
                lines,
                r#"{}{{"line":{},"hits":{},"time_ns":{time},"alloc_bytes":{},"freed_bytes":0,"net_bytes":{},"allocs":{j},"peak_bytes":{},"mem_usage_bytes":4096}}"#,
                if j > 1 { "," } else { "" },
                100 + j,
                i + 1,
                64 * j,
                64 * j,
                64 * j
            );
        }
        let source: Vec<String> = std::iter::once(format!("\"fn f{i}(x: u64) -> u64 {{\""))
            .chain((1..=8).map(|j| format!("\"    let a{j} = step_{j}(x); // work\"")))
            .chain(std::iter::once("\"}\"".to_owned()))
            .collect();
        let caller = if i % 10 == 0 {
            format!(
                r#"{{"caller":"<root>","calls":{},"time_ns":{total}}}"#,
                i + 1
            )
        } else {
            format!(
                r#"{{"caller":"m{}::f","line":101,"calls":{},"time_ns":{total}}}"#,
                i / 10 * 10,
                i + 1
            )
        };
        let _ = write!(
            out,
            r#"{{"name":"m{i}::f","file":"src/m{i}.rs","line":100,"is_async":false,"calls":{c},"primitive_calls":{c},"total_ns":{total},"cumulative_ns":{total},"own_ns":{total},"source":[{}],"lines":[{lines}],"callers":[{caller}],"threads":[{{"thread":0,"calls":{c},"total_ns":{total},"lines":[{lines}]}}]}}"#,
            source.join(","),
            c = i + 1,
        );
    }
    out.push_str("]}\n");
    out
}

/// GNU time's `%M` (maximum resident set size, KiB) of a run of `lablink-prof`; the run must
/// succeed. A missing GNU time fails the test with how to install it.
fn max_rss_kib(args: &[&str]) -> u64 {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.is_file(),
        "GNU time (/usr/bin/time) is not installed, and this test measures memory with it: \
         `apt-get install -y time` (Debian; .ci/run does this)"
    );
    let out = Command::new(time)
        .args(["-f", "max-rss-kib %M", env!("CARGO_BIN_EXE_lablink-prof")])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("max-rss-kib "))
        .unwrap_or_else(|| panic!("no figure from GNU time: {stderr}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn ten_thousand_functions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("large.json");
    let text = large_profile();
    std::fs::write(&file, &text).unwrap();
    let size = text.len() as u64;
    drop(text);
    let page = dir.path().join("large.html");
    let (f, p) = (file.to_str().unwrap(), page.to_str().unwrap());

    // Memory: at most 3 times the file's size, for every subcommand that reads it whole
    // (the file, the profile read from it, and what the subcommand builds).
    for args in [vec!["html", f, "-o", p], vec!["view", f], vec!["stats", f]] {
        let rss = max_rss_kib(&args) * 1024;
        eprintln!(
            "{}: {} MB file, {} MB at most in memory",
            args[0],
            size / 1_000_000,
            rss / 1_000_000
        );
        assert!(
            rss <= 3 * size,
            "{}: {rss} bytes in memory for a file of {size} bytes",
            args[0]
        );
    }

    // The page: all functions listed, 200 source tables, a few MB.
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() < 8_000_000, "page of {} bytes", html.len());
    assert!(html.contains("10000 profiled functions · 1 thread ·"));
    assert_eq!(
        html.matches("<tr><td class=\"name\"").count(),
        FUNCTIONS,
        "every function in the table"
    );
    assert_eq!(html.matches("<table class=\"source\">").count(), 200);
    drop(html);

    // In Chromium: it opens in seconds, the hottest function comes first with its bars, and
    // sorting 10,000 rows works.
    let probe = browser::load(
        &page,
        r#"
        var t0 = performance.now();
        document.body.offsetHeight; // layout
        var rows = document.querySelectorAll("table.functions tbody tr");
        var first = document.querySelector("table.source");
        var fills = Array.prototype.map.call(first.querySelectorAll("td.bar .t"),
          function (d) { return d.getBoundingClientRect().width; });
        var s0 = performance.now();
        document.querySelectorAll("table.functions th.sortable")[2].click();
        document.querySelectorAll("table.functions th.sortable")[2].click();
        var sort_ms = performance.now() - s0;
        return { rows: rows.length, loaded_ms: t0, layout_ms: performance.now() - t0,
                 sort_ms: sort_ms, first: first.previousElementSibling.previousElementSibling.textContent,
                 fills: fills,
                 fewest_calls: document.querySelector("table.functions tbody tr").cells[2].textContent };
        "#,
        (1400, 1000),
    );
    assert!(probe.errors.is_empty(), "{:?}", probe.errors);
    assert!(probe.console_log.is_empty(), "{:?}", probe.console_log);
    let r = &probe.result;
    eprintln!(
        "chromium: {:.1} s in all; in the page: {:.0} ms to the end of the body, {:.0} ms of layout, \
         {:.0} ms for two sorts",
        probe.elapsed.as_secs_f64(),
        r["loaded_ms"].as_f64().unwrap(),
        r["layout_ms"].as_f64().unwrap(),
        r["sort_ms"].as_f64().unwrap()
    );
    assert_eq!(r["rows"], FUNCTIONS);
    assert_eq!(r["first"], "m9999::f");
    // m9999::f: line 100 + j takes j * 1000 + 9999 ns of 115,992 ns in all: j = 8 is 15.5 %.
    let fills: Vec<f64> = serde_json::from_value(r["fills"].clone()).unwrap();
    assert_eq!(fills.len(), 8);
    for (j, width) in (1..=8u64).zip(&fills) {
        let share = (j * 1000 + 9999) as f64 / 115_992.0;
        assert!(
            (width - 110.0 * share).abs() < 0.05,
            "line {}: {width}",
            100 + j
        );
    }
    assert_eq!(r["fewest_calls"], "1", "ascending by calls: m0::f first");
    // In seconds, with room for a loaded machine; the page alone typically takes well under one.
    let in_page = r["loaded_ms"].as_f64().unwrap() + r["layout_ms"].as_f64().unwrap();
    assert!(in_page < 10_000.0, "{in_page} ms to load and lay out");
    assert!(r["sort_ms"].as_f64().unwrap() < 5_000.0);
    assert!(probe.elapsed.as_secs() < 60);
}
