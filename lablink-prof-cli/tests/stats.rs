//! `lablink-prof stats`: pstats' function table, callers and callees.

mod common;

use common::{golden, ok, server};

fn rows(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| !l.contains("filename:lineno(function)"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

#[test]
fn table_in_pstats_layout() {
    let r = ok(&["stats", server().to_str().unwrap()]);
    assert!(
        r.stdout
            .starts_with("         662 function calls (362 primitive calls) in 0.008 seconds\n\n   Ordered by: cumulative time\n\n   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n"),
        "{}",
        r.stdout
    );
    let rows = rows(&r.stdout);
    assert_eq!(rows.len(), 6);
    assert_eq!(
        rows[0],
        "        1    0.001    0.001    0.005    0.005 src/server.rs:20(lablink_core::server::run)"
    );
    // Recursion: total/primitive calls, as pstats shows it.
    let crc = rows.iter().find(|r| r.contains("crc_tree")).unwrap();
    assert!(crc.starts_with("  400/100 "), "{crc}");
}

#[test]
fn sort_keys_and_limit() {
    let s = server();
    let s = s.to_str().unwrap();
    let first = |sort: &str| -> String {
        let r = ok(&["stats", s, "--sort", sort]);
        rows(&r.stdout)[0].to_owned()
    };
    assert!(first("cumulative").ends_with("(lablink_core::server::run)"));
    assert!(first("tottime").ends_with("::log_command)"));
    assert!(first("time").ends_with("::log_command)"));
    assert!(first("ncalls").contains("crc_tree"));
    assert!(first("name").contains("<lablink_core::database"));

    let r = ok(&["stats", s, "--limit", "2"]);
    assert_eq!(rows(&r.stdout).len(), 2);
    assert!(
        r.stdout
            .contains("   List reduced from 6 to 2 due to restriction <2>\n")
    );
}

#[test]
fn callers_and_callees() {
    let s = server();
    let r = ok(&["stats", s.to_str().unwrap(), "--callers"]);
    assert!(r.stdout.contains("was called by..."));
    assert!(!r.stdout.contains("filename:lineno(function)"));
    let lines: Vec<&str> = r.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| {
            l.starts_with("src/execution/mod.rs:12(lablink_core::execution::execute_command)")
        })
        .unwrap();
    assert!(
        lines[at]
            .ends_with("<-      60    0.001    0.001  src/server.rs:20(lablink_core::server::run)"),
        "{}",
        lines[at]
    );
    assert!(
        lines[at + 1].trim_start().starts_with(
            "40    0.001    0.001  src/server.rs:32(lablink_core::server::worker_loop)"
        ),
        "{}",
        lines[at + 1]
    );
    let crc = lines
        .iter()
        .find(|l| l.starts_with("src/backup/checksum.rs:8("))
        .unwrap();
    assert!(crc.contains("<- 300/100 "), "{crc}");

    let r = ok(&["stats", s.to_str().unwrap(), "--callees"]);
    assert!(r.stdout.contains("called..."));
    let lines: Vec<&str> = r.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| {
            l.starts_with("src/execution/mod.rs:12(lablink_core::execution::execute_command)")
        })
        .unwrap();
    assert!(
        lines[at].contains("->     100 ") && lines[at].ends_with("crc_tree)"),
        "{}",
        lines[at]
    );
    assert!(
        lines[at + 1].trim_start().starts_with("100 ") && lines[at + 1].ends_with("parse_command)")
    );
    let leaf = lines
        .iter()
        .find(|l| l.starts_with("src/execution/mod.rs:40("))
        .unwrap();
    assert!(leaf.trim_end().ends_with("->"), "{leaf}");
}

#[test]
fn old_files_get_derived_figures() {
    let r = ok(&[
        "stats",
        golden("minimal_v1.json").to_str().unwrap(),
        "--sort",
        "tottime",
    ]);
    let rows = rows(&r.stdout);
    // own time of main = 67.1 ms less the 67.0 ms of work it called.
    assert_eq!(
        rows[0],
        "        1    0.067    0.067    0.067    0.067 examples/quickstart.rs:7(quickstart::work)"
    );
    assert_eq!(
        rows[1],
        "        1    0.000    0.000    0.067    0.067 examples/quickstart.rs:17(quickstart::main)"
    );
}

/// A sampled profile: the table of its figures as they are (the functions' own and cumulative
/// times), and a line saying the times are sampled and how uncertain they are.
#[test]
fn a_sampled_profile_gives_its_table_and_says_it_is_sampled() {
    let r = ok(&["stats", common::sampled().to_str().unwrap()]);
    // 1 + 60 + 32 calls, 1 + 4 + 32 primitive; own times 121.4 + 20.0 + 274.2 ms.
    let expected = "         93 function calls (37 primitive calls) in 0.416 seconds

   Times sampled: 415 samples every 1.00 ms; a time of n samples is within 1.96 × √n × 1.00 ms of the truth (95%)

   Ordered by: cumulative time

   ncalls  tottime  percall  cumtime  percall filename:lineno(function)
        1    0.121    0.121    0.416    0.416 examples/ingest.rs:10(ingest::run)
     60/4    0.020    0.000    0.294    0.074 examples/ingest.rs:20(ingest::parse_tree)
       32    0.274    0.009    0.274    0.009 examples/ingest.rs:30(ingest::checksum)


";
    assert_eq!(r.stdout, expected);
}
