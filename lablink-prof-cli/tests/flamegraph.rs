//! `lablink-prof flamegraph`: folded stacks rebuilt from the call graph, and the SVG.

mod common;

use std::collections::HashMap;

use common::{golden, golden_json, ok, server, write_json};

fn folded(path: &std::path::Path) -> Vec<(String, u64)> {
    let r = ok(&["flamegraph", path.to_str().unwrap(), "--folded", "-o", "-"]);
    r.stdout
        .lines()
        .map(|l| {
            let (stack, n) = l.rsplit_once(' ').unwrap();
            (stack.to_owned(), n.parse().unwrap())
        })
        .collect()
}

#[test]
fn stacks_follow_the_caller_lines() {
    let stacks: HashMap<String, u64> = folded(&server()).into_iter().collect();
    // Roots: run (main thread) and worker_loop; the widths add up to their totals.
    let total: u64 = stacks.values().sum();
    assert!(total.abs_diff(5_491_160 + 2_079_210) <= 2, "{total}");
    // execute_command is called from run:24 (60 calls) and worker_loop:35 (40 calls); its
    // dispatch line (2.1 ms) is split 60/40 under those lines.
    assert_eq!(
        stacks["lablink_core::server::run:24;lablink_core::execution::execute_command:15"],
        1_260_000
    );
    assert_eq!(
        stacks["lablink_core::server::worker_loop:35;lablink_core::execution::execute_command:15"],
        840_000
    );
    // A line's own time leaves out its profiled callees: run:26 is 3.143 ms, 3.1407 of it
    // in log_command.
    assert_eq!(stacks["lablink_core::server::run:26"], 2_400);
    // One caller: exact.
    assert_eq!(
        stacks["lablink_core::server::run:26;<lablink_core::database::manager::DatabaseManager as lablink_core::database::CommandLog>::log_command:33"],
        2_900_000
    );
}

#[test]
fn direct_recursion_is_collapsed() {
    let stacks = folded(&server());
    let crc: Vec<&(String, u64)> = stacks
        .iter()
        .filter(|(s, _)| s.contains("crc_tree"))
        .collect();
    assert!(!crc.is_empty());
    for (stack, _) in &crc {
        assert_eq!(stack.matches("crc_tree").count(), 1, "{stack}");
    }
    // All of crc_tree's primitive time (80 µs) is drawn, split over its two callers' lines.
    let sum: u64 = crc.iter().map(|s| s.1).sum();
    assert_eq!(sum, 80_000);
}

#[test]
fn cycles_are_cut_and_widths_still_add_up() {
    // a:2 calls b, b:6 calls a again: an indirect cycle.
    let dir = tempfile::tempdir().unwrap();
    let profile = serde_json::json!({
        "format": "lablink-prof", "version": 1,
        "functions": [
            { "name": "a", "file": "src/a.rs", "line": 1, "calls": 3, "primitive_calls": 1,
              "total_ns": 1000, "source": ["fn a() {", "    b();", "}"],
              "lines": [{ "line": 1, "hits": 3, "time_ns": 100 }, { "line": 2, "hits": 3, "time_ns": 900 }],
              "callers": [{ "caller": "<root>", "calls": 1, "time_ns": 700 },
                          { "caller": "b", "line": 6, "calls": 2, "time_ns": 300 }] },
            { "name": "b", "file": "src/b.rs", "line": 5, "calls": 3, "total_ns": 900,
              "source": ["fn b() {", "    a();", "}"],
              "lines": [{ "line": 5, "hits": 3, "time_ns": 600 }, { "line": 6, "hits": 2, "time_ns": 300 }],
              "callers": [{ "caller": "a", "line": 2, "calls": 3, "time_ns": 900 }] }
        ]
    });
    let path = write_json(dir.path(), "cycle.json", &profile);
    for depth in ["2", "5", "64"] {
        let r = ok(&[
            "flamegraph",
            path.to_str().unwrap(),
            "--folded",
            "-o",
            "-",
            "--max-depth",
            depth,
        ]);
        let stacks: Vec<(String, u64)> = r
            .stdout
            .lines()
            .map(|l| {
                let (s, n) = l.rsplit_once(' ').unwrap();
                (s.to_owned(), n.parse().unwrap())
            })
            .collect();
        let total: u64 = stacks.iter().map(|s| s.1).sum();
        assert!(
            total.abs_diff(700) <= stacks.len() as u64,
            "depth {depth}: {total}"
        );
        let deepest = stacks.iter().map(|s| s.0.split(';').count()).max().unwrap();
        assert!(
            deepest <= depth.parse::<usize>().unwrap(),
            "depth {depth}: {deepest}"
        );
    }
}

#[test]
fn callers_without_lines_fall_back() {
    let stacks = folded(&golden("minimal_v1.json"));
    let total: u64 = stacks.iter().map(|s| s.1).sum();
    assert_eq!(total, 67_100_000);
    // main:19 made the call (it holds the time); work's lines go under it.
    let under_19: u64 = stacks
        .iter()
        .filter(|(s, _)| s.starts_with("quickstart::main:19;quickstart::work:"))
        .map(|s| s.1)
        .sum();
    assert_eq!(under_19, 67_012_345);
}

#[test]
fn svg_is_well_formed_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flame.svg");
    let r = ok(&[
        "flamegraph",
        server().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(r.stderr.contains("flame.svg"));
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &svg,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let titles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .collect();
    for frame in [
        "lablink_core::server::run:24",
        "lablink_core::execution::execute_command:15",
        "<lablink_core::database::manager::DatabaseManager as lablink_core::database::CommandLog>::log_command:33",
    ] {
        assert!(
            titles.iter().any(|t| t.starts_with(frame)),
            "no frame {frame}"
        );
    }
}

#[test]
fn nothing_to_draw_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = golden_json("minimal_v1.json");
    // Functions that ran, with no time on any line (an empty profile is refused earlier).
    for f in p["functions"].as_array_mut().unwrap() {
        f["total_ns"] = 0.into();
        for l in f["lines"].as_array_mut().unwrap() {
            l["time_ns"] = 0.into();
        }
        for c in f["callers"].as_array_mut().unwrap() {
            c["time_ns"] = 0.into();
        }
    }
    let path = write_json(dir.path(), "nothing.json", &p);
    let r = common::run(&["flamegraph", path.to_str().unwrap(), "-o", "-"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nothing.json") && r.stderr.contains("no timed lines"));
}

/// A sampled profile is drawn from its own stacks, one frame per function:line, as wide as
/// the stack's time: recursion stays as the sampler saw it (three parse_tree:23 frames).
#[test]
fn a_sampled_profile_draws_its_own_stacks() {
    let stacks = folded(&common::sampled());
    let run = "ingest::run";
    let parse = "ingest::parse_tree";
    let deep = format!("{run}:14;{parse}:23;{parse}:23;{parse}:23;{parse}:21");
    let expected: Vec<(String, u64)> = vec![
        (format!("{run}:12"), 1_000_700),
        (format!("{run}:13"), 120_412_300),
        (format!("{run}:14;{parse}:22"), 6_008_100),
        (format!("{run}:14;{parse}:23;{parse}:22"), 9_011_900),
        (
            format!("{run}:14;{parse}:23;{parse}:23;{parse}:22"),
            5_004_200,
        ),
        (format!("{deep};ingest::checksum:32"), 210_187_400),
        (format!("{deep};ingest::checksum:33"), 64_055_800),
    ];
    assert_eq!(stacks, expected);
    // The SVG: the root is run's whole time, 415,680,400 ns; the subtitle says where the
    // stacks come from.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flame.svg");
    ok(&[
        "flamegraph",
        common::sampled().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(out).unwrap();
    assert!(
        svg.contains("<title>all (415,680,400 ns, 100%)</title>"),
        "{svg}"
    );
    assert!(
        svg.contains("the sampled stacks (415 samples every 1.00 ms)"),
        "{svg}"
    );
}

/// The same stack on two threads is one stack with both times.
#[test]
fn sampled_stacks_of_two_threads_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = golden_json("sampled_ingest.json");
    let mut again = p["stacks"][1].clone();
    again["thread"] = 1.into();
    p["threads"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "index": 1, "name": "worker" }));
    p["stacks"].as_array_mut().unwrap().push(again);
    let path = write_json(dir.path(), "two.json", &p);
    let stacks: HashMap<String, u64> = folded(&path).into_iter().collect();
    assert_eq!(stacks["ingest::run:13"], 2 * 120_412_300);
    assert_eq!(stacks.len(), 7);
}
