//! `lablink-prof export --pstats`: Python's own pstats reads the file.

mod common;

use std::process::Command;

use common::{golden, ok, server};

fn python() -> Option<&'static str> {
    ["python3", "python"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import pstats, marshal"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Runs `script` with the exported file as `sys.argv[1]`; None (with a note) without Python.
fn with_pstats(profile: &std::path::Path, script: &str) -> Option<String> {
    let Some(python) = python() else {
        eprintln!("note: python3 not found: the pstats export is not checked against Python");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.prof");
    let r = ok(&[
        "export",
        "--pstats",
        profile.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(r.stderr.contains("out.prof"));
    let run = Command::new(python)
        .args(["-c", script, out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "python failed: {stderr}");
    Some(String::from_utf8_lossy(&run.stdout).into_owned())
}

#[test]
fn pstats_reads_calls_and_times() {
    let script = r#"
import io, sys, pstats
s = pstats.Stats(sys.argv[1])
out = {}
for (file, line, name), (cc, nc, tt, ct, callers) in s.stats.items():
    out[name] = (cc, nc, round(tt * 1e9), round(ct * 1e9), sorted((k[2], v[0], v[1], round(v[3] * 1e9)) for k, v in callers.items()))
for name in sorted(out):
    print(name, out[name])
print("total_calls", s.total_calls, s.prim_calls)
buf = io.StringIO()
pstats.Stats(sys.argv[1], stream=buf).sort_stats("cumulative").print_stats()
print(buf.getvalue())
"#;
    let Some(out) = with_pstats(&server(), script) else {
        return;
    };
    let line = |name: &str| -> &str {
        out.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} not in {out}"))
    };
    assert_eq!(
        line("lablink_core::server::run "),
        "lablink_core::server::run (1, 1, 958640, 5491160, [])"
    );
    assert_eq!(
        line("lablink_core::backup::checksum::crc_tree "),
        "lablink_core::backup::checksum::crc_tree (100, 400, 80000, 80000, \
         [('lablink_core::backup::checksum::crc_tree', 300, 100, 120000), \
         ('lablink_core::execution::execute_command', 100, 100, 80000)])"
    );
    assert_eq!(
        line("lablink_core::execution::execute_command "),
        "lablink_core::execution::execute_command (100, 100, 2119700, 2319700, \
         [('lablink_core::server::run', 60, 60, 1391820), \
         ('lablink_core::server::worker_loop', 40, 40, 927880)])"
    );
    assert!(out.contains("total_calls 662 362"));
    // pstats' own table: ncalls total/primitive and cumtime.
    assert!(out.contains("662 function calls (362 primitive calls)"));
    assert!(out.contains("  400/100    0.000    0.000    0.000    0.000 src/backup/checksum.rs:8(lablink_core::backup::checksum::crc_tree)"), "{out}");
    assert!(out.contains("        1    0.001    0.001    0.005    0.005 src/server.rs:20(lablink_core::server::run)"), "{out}");
}

#[test]
fn pstats_prints_callers_like_our_stats() {
    let script = r#"
import io, sys, pstats
buf = io.StringIO()
pstats.Stats(sys.argv[1], stream=buf).sort_stats("cumulative").print_callers()
print(buf.getvalue())
"#;
    let Some(out) = with_pstats(&server(), script) else {
        return;
    };
    let ours = ok(&["stats", server().to_str().unwrap(), "--callers"]).stdout;
    // The same listing, from "Function" on (pstats prints its header first).
    let from = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.starts_with("Function "))
            .map(|l| l.trim_end().to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    };
    assert_eq!(from(&ours), from(&out));
}

#[test]
fn old_files_export_too() {
    let script = r#"
import sys, pstats
s = pstats.Stats(sys.argv[1])
for (file, line, name), (cc, nc, tt, ct, callers) in sorted(s.stats.items()):
    print(name, cc, nc, round(ct * 1e9), [k[2] for k in callers])
"#;
    let Some(out) = with_pstats(&golden("minimal_v1.json"), script) else {
        return;
    };
    assert!(
        out.contains("quickstart::work 1 1 67012345 ['quickstart::main']"),
        "{out}"
    );
    assert!(out.contains("quickstart::main 1 1 67100000 []"), "{out}");
}
