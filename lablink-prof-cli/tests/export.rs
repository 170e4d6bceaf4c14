//! `lablink-prof export --pstats`: Python's own pstats and SnakeViz's loader read the file.
//!
//! These tests need `python3` and the `snakeviz` package (`pip install snakeviz`; `.ci/run`
//! installs it): without them they fail, saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{golden, golden_json, ok, server, write_json};

/// Python 3 with pstats, or a failure saying how to install it.
fn python() -> &'static str {
    ["python3", "python"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import pstats, marshal"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect(
            "python3 is needed to check the pstats export: install it \
             (apt-get install -y python3), as .ci/run does",
        )
}

/// Exports `profile` to pstats in `dir`.
fn export(profile: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("out.prof");
    let r = ok(&[
        "export",
        "--pstats",
        profile.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(r.stderr.contains("out.prof"));
    out
}

/// Runs `script` with the file exported from `profile` as `sys.argv[1]`, returns its stdout.
fn with_pstats(profile: &Path, script: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = export(profile, dir.path());
    let run = Command::new(python())
        .args(["-c", script, out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "python failed: {stderr}");
    String::from_utf8_lossy(&run.stdout).into_owned()
}

/// The export as pstats reads it, as JSON: `{name: [cc, nc, tt_ns, ct_ns, {caller: [nc, cc,
/// tt_ns, ct_ns]}]}`, times rounded to nanoseconds.
const PSTATS_AS_JSON: &str = r#"
import json, sys, pstats
s = pstats.Stats(sys.argv[1])
ns = lambda t: round(t * 1e9)
out = {}
for (file, line, name), (cc, nc, tt, ct, callers) in s.stats.items():
    out[name] = [cc, nc, ns(tt), ns(ct),
                 {k[2]: [v[0], v[1], ns(v[2]), ns(v[3])] for k, v in callers.items()}]
print(json.dumps({"stats": out, "total_calls": s.total_calls, "prim_calls": s.prim_calls}))
"#;

fn pstats_json(profile: &Path) -> serde_json::Value {
    serde_json::from_str(&with_pstats(profile, PSTATS_AS_JSON)).unwrap()
}

#[test]
fn pstats_finds_every_function_with_its_figures() {
    let stats = pstats_json(&server());
    let profile = golden_json("lablink_server.json");
    let functions = profile["functions"].as_array().unwrap();
    // Every function, with cProfile's figures: primitive calls, calls, own and cumulative
    // time; and the root.
    assert_eq!(
        stats["stats"].as_object().unwrap().len(),
        functions.len() + 1
    );
    for f in functions {
        let name = f["name"].as_str().unwrap();
        let e = &stats["stats"][name];
        assert_eq!(e[0], f["primitive_calls"], "{name}");
        assert_eq!(e[1], f["calls"], "{name}");
        assert_eq!(e[2], f["own_ns"], "{name}");
        assert_eq!(e[3], f["cumulative_ns"], "{name}");
    }
    assert_eq!(stats["total_calls"], 662);
    assert_eq!(stats["prim_calls"], 362);
}

#[test]
fn top_level_functions_have_the_root_as_caller() {
    let stats = pstats_json(&server());
    let s = &stats["stats"];
    // run and worker_loop (two threads) start from no profiled function: their caller is
    // `<root>`, with their calls and times, as cProfile's top-level code has `exec`.
    assert_eq!(
        s["lablink_core::server::run"][4],
        serde_json::json!({"<root>": [1, 1, 958_640, 5_491_160]})
    );
    assert_eq!(
        s["lablink_core::server::worker_loop"][4],
        serde_json::json!({"<root>": [1, 1, 1_151_330, 2_079_210]})
    );
    // The root: no call of its own (the totals stay the profile's), no own time, the sum of
    // the top-level calls' time, no caller.
    assert_eq!(
        s["<root>"],
        serde_json::json!([0, 0, 0, 5_491_160 + 2_079_210, {}])
    );
}

#[test]
fn recursion_follows_cprofile() {
    let stats = pstats_json(&server());
    let crc = &stats["stats"]["lablink_core::backup::checksum::crc_tree"];
    // 400 calls of which 100 primitive; own time 80 us, cumulative (outermost calls) 80 us.
    assert_eq!(crc[0], 100);
    assert_eq!(crc[1], 400);
    assert_eq!(crc[3], 80_000);
    // The recursive edge: 300 calls, primitive once per outermost call (100); its cumulative
    // time counts the outermost level only: the recursive calls' share of the total time
    // (120 of 200 us) of the cumulative 80 us, 48 us, not the 120 us of all levels, which
    // would be above the function's own cumulative time. Own time is shared by the same
    // proportion: 80 us * 120 / 200.
    let edges = &crc[4];
    assert_eq!(
        edges["lablink_core::backup::checksum::crc_tree"],
        serde_json::json!([300, 100, 48_000, 48_000])
    );
    assert_eq!(
        edges["lablink_core::execution::execute_command"],
        serde_json::json!([100, 100, 32_000, 80_000])
    );
    // Every edge of every function: primitive calls at most calls, cumulative time at most
    // the function's, own times adding up to the function's.
    for (name, e) in stats["stats"].as_object().unwrap() {
        let mut own = 0;
        let mut calls = 0;
        for (caller, edge) in e[4].as_object().unwrap() {
            assert!(edge[1].as_u64() <= edge[0].as_u64(), "{caller} -> {name}");
            assert!(
                edge[3].as_u64() <= e[3].as_u64(),
                "{caller} -> {name}: {edge}"
            );
            own += edge[2].as_u64().unwrap();
            calls += edge[0].as_u64().unwrap();
        }
        if name != "<root>" {
            assert!(own.abs_diff(e[2].as_u64().unwrap()) <= 1, "{name}");
            assert_eq!(calls, e[1].as_u64().unwrap(), "{name}");
        }
    }
}

#[test]
fn pstats_prints_the_table() {
    let script = r#"
import io, sys, pstats
buf = io.StringIO()
pstats.Stats(sys.argv[1], stream=buf).sort_stats("cumulative").print_stats()
print(buf.getvalue())
"#;
    let out = with_pstats(&server(), script);
    assert!(
        out.contains("662 function calls (362 primitive calls) in 0.008 seconds"),
        "{out}"
    );
    assert!(out.contains("  400/100    0.000    0.000    0.000    0.000 src/backup/checksum.rs:8(lablink_core::backup::checksum::crc_tree)"), "{out}");
    assert!(out.contains("        1    0.001    0.001    0.005    0.005 src/server.rs:20(lablink_core::server::run)"), "{out}");
    assert!(
        out.contains("        0    0.000             0.008          {root}"),
        "{out}"
    );
}

#[test]
fn pstats_prints_callers_like_our_stats() {
    let script = r#"
import io, sys, pstats
buf = io.StringIO()
pstats.Stats(sys.argv[1], stream=buf).sort_stats("cumulative").print_callers()
print(buf.getvalue())
"#;
    let out = with_pstats(&server(), script);
    let ours = ok(&["stats", server().to_str().unwrap(), "--callers"]).stdout;
    // The same listing, from "Function" on (pstats prints its header first), except that
    // pstats also lists the root and names it as the top-level functions' caller, where
    // `stats --callers` leaves the caller out.
    let from = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.starts_with("Function "))
            .filter(|l| !l.starts_with("{root}"))
            .map(|l| match l.split_once("<-") {
                Some((function, _)) if l.ends_with("{root}") => format!("{function}<-"),
                _ => l.trim_end().to_owned(),
            })
            .filter(|l| !l.is_empty())
            .collect()
    };
    let theirs = from(&out);
    assert_eq!(from(&ours), theirs);
    assert_eq!(
        out.lines().filter(|l| l.ends_with("{root}")).count(),
        2,
        "{out}"
    );
    // The recursive edge's cumtime is 48 us, below crc_tree's 80 us.
    assert!(out.contains("<- 300/100    0.000    0.000  src/backup/checksum.rs:8(lablink_core::backup::checksum::crc_tree)"), "{out}");
}

#[test]
fn old_files_export_too() {
    let script = r#"
import sys, pstats
s = pstats.Stats(sys.argv[1])
for (file, line, name), (cc, nc, tt, ct, callers) in sorted(s.stats.items()):
    print(name, cc, nc, round(ct * 1e9), [k[2] for k in callers])
"#;
    let out = with_pstats(&golden("minimal_v1.json"), script);
    assert!(
        out.contains("quickstart::work 1 1 67012345 ['quickstart::main']"),
        "{out}"
    );
    assert!(
        out.contains("quickstart::main 1 1 67100000 ['<root>']"),
        "{out}"
    );
    assert!(out.contains("<root> 0 0 67100000 []"), "{out}");
}

/// SnakeViz's own loader (`snakeviz.stats.json_stats`, what its server sends the page) on the
/// export of `profile`, and the root its page starts from (its `sv_find_root`: the functions
/// nobody calls, the one with the most cumulative time).
const SNAKEVIZ: &str = r#"
import json, sys, pstats
try:
    from snakeviz.stats import json_stats
except ImportError:
    sys.exit("snakeviz is needed to check the pstats export: pip install snakeviz (.ci/run does)")
stats = json_stats(pstats.Stats(sys.argv[1]))
called = set(c for v in stats.values() for c in v["children"])
roots = [k for k in stats if k not in called] or list(stats)
root = max(roots, key=lambda k: stats[k]["stats"][3])
ns = lambda t: round(t * 1e9)
print(json.dumps({
    "root": root,
    "functions": {k: {"stats": v["stats"][:2] + [ns(v["stats"][2]), ns(v["stats"][3])],
                      "children": {c: e[:2] + [ns(e[2]), ns(e[3])] for c, e in v["children"].items()}}
                  for k, v in stats.items()},
}))
"#;

fn snakeviz(profile: &Path) -> serde_json::Value {
    serde_json::from_str(&with_pstats(profile, SNAKEVIZ)).unwrap()
}

#[test]
fn snakeviz_shows_every_function_from_the_root() {
    let sv = snakeviz(&server());
    let profile = golden_json("lablink_server.json");
    let functions = profile["functions"].as_array().unwrap();
    assert_eq!(sv["root"], "~:0(<root>)");
    assert_eq!(
        sv["functions"].as_object().unwrap().len(),
        functions.len() + 1
    );
    for f in functions {
        let key = format!(
            "{}:{}({})",
            f["file"].as_str().unwrap(),
            f["line"],
            f["name"].as_str().unwrap()
        );
        let stats = &sv["functions"][&key]["stats"];
        assert_eq!(
            *stats,
            serde_json::json!([
                f["primitive_calls"],
                f["calls"],
                f["own_ns"],
                f["cumulative_ns"]
            ]),
            "{key}"
        );
    }
    // The sunburst's first ring: the two top-level functions, with their time.
    assert_eq!(
        sv["functions"]["~:0(<root>)"]["children"],
        serde_json::json!({
            "src/server.rs:20(lablink_core::server::run)": [1, 1, 958_640, 5_491_160],
            "src/server.rs:32(lablink_core::server::worker_loop)": [1, 1, 1_151_330, 2_079_210],
        })
    );
}

#[test]
fn snakeviz_keeps_a_top_level_function_that_calls_nothing() {
    // The profile of one function called from outside, calling no profiled function: the
    // kind SnakeViz dropped when it had no caller (it held all of the time).
    let mut profile = golden_json("minimal_v1.json");
    let functions = profile["functions"].as_array_mut().unwrap();
    functions.retain(|f| f["name"] == "quickstart::work");
    functions[0]["callers"] =
        serde_json::json!([{ "caller": "<root>", "calls": 1, "time_ns": 67_012_345 }]);
    let dir = tempfile::tempdir().unwrap();
    let path = write_json(dir.path(), "work_only.json", &profile);
    let sv = snakeviz(&path);
    assert_eq!(sv["root"], "~:0(<root>)");
    assert_eq!(
        sv["functions"]["examples/quickstart.rs:7(quickstart::work)"]["stats"],
        serde_json::json!([1, 1, 67_012_345, 67_012_345])
    );
    assert_eq!(
        sv["functions"]["~:0(<root>)"]["children"],
        serde_json::json!({"examples/quickstart.rs:7(quickstart::work)": [1, 1, 67_012_345, 67_012_345]})
    );
}

#[test]
fn callers_outside_the_file_have_entries_snakeviz_can_load() {
    // execute_command's calls from worker_loop recorded as from `<other>` (a caller among more
    // than 16), and parse_command's from a function the file does not hold.
    let mut profile = golden_json("lablink_server.json");
    let functions = profile["functions"].as_array_mut().unwrap();
    for f in functions.iter_mut() {
        let is_parse = f["name"] == "lablink_core::execution::parse_command";
        for c in f["callers"].as_array_mut().unwrap() {
            if c["caller"] == "lablink_core::server::worker_loop" {
                c["caller"] = "<other>".into();
                c.as_object_mut().unwrap().remove("line");
            } else if c["caller"] == "lablink_core::execution::execute_command" && is_parse {
                c["caller"] = "gone::dispatcher".into();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_json(dir.path(), "outside.json", &profile);
    let stats = pstats_json(&path);
    let s = &stats["stats"];
    assert_eq!(s["<other>"], serde_json::json!([0, 0, 0, 927_880, {}]));
    assert_eq!(
        s["gone::dispatcher"],
        serde_json::json!([0, 0, 0, 120_000, {}])
    );
    assert_eq!(
        s["lablink_core::execution::execute_command"][4]["<other>"],
        serde_json::json!([40, 40, 847_880, 927_880])
    );
    // SnakeViz's loader needs an entry for every caller it is given (a KeyError otherwise).
    let sv = snakeviz(&path);
    assert_eq!(sv["root"], "~:0(<root>)");
    assert_eq!(
        sv["functions"]["~:0(<other>)"]["children"],
        serde_json::json!({
            "src/execution/mod.rs:12(lablink_core::execution::execute_command)": [40, 40, 847_880, 927_880]
        })
    );
    assert_eq!(
        sv["functions"]["src/execution/mod.rs:40(lablink_core::execution::parse_command)"]["stats"],
        serde_json::json!([100, 100, 120_000, 120_000])
    );
}

/// A sampled profile exports as it is: pstats finds each function with its calls, own and
/// cumulative times.
#[test]
fn a_sampled_profile_exports_its_figures() {
    let stats = pstats_json(&common::sampled());
    let s = &stats["stats"];
    // [primitive calls, calls, own ns, cumulative ns]
    assert_eq!(
        s["ingest::run"].as_array().unwrap()[..4],
        [1, 1, 121_413_000, 415_680_400]
    );
    assert_eq!(
        s["ingest::parse_tree"].as_array().unwrap()[..4],
        [4, 60, 20_024_200, 294_267_400]
    );
    assert_eq!(
        s["ingest::checksum"].as_array().unwrap()[..4],
        [32, 32, 274_243_200, 274_243_200]
    );
    assert_eq!(stats["total_calls"], 93);
    assert_eq!(stats["prim_calls"], 37);
}
