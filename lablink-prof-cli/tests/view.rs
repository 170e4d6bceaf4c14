//! `lablink-prof view`: the line tables of saved profiles, alone and added up.

mod common;

use common::{golden, golden_json, ok, run, server, write_json};
use lablink_prof_runtime::profile::Profile;
use lablink_prof_runtime::report::{self, ReportFormat, read_json};

fn server_profile() -> Profile {
    read_json(&server()).unwrap()
}

#[test]
fn default_table_is_the_exit_report() {
    let r = ok(&["view".as_ref(), server().as_os_str()]);
    assert_eq!(
        r.stdout,
        report::render(&server_profile(), ReportFormat::Table)
    );
    assert!(
        r.stdout
            .contains("Function: lablink_core::server::run at line 20")
    );
    assert!(r.stdout.contains("Mem usage"));
}

#[test]
fn layouts_are_the_runtime_ones() {
    let p = server_profile();
    for (layout, format) in [
        ("kernprof", ReportFormat::Kernprof),
        ("memory_profiler", ReportFormat::MemoryProfiler),
        ("memory-profiler", ReportFormat::MemoryProfiler),
        ("table", ReportFormat::Table),
    ] {
        let r = ok(&["view", server().to_str().unwrap(), "--layout", layout]);
        assert_eq!(r.stdout, report::render(&p, format), "{layout}");
    }
}

#[test]
fn json_layout_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let r = ok(&["view", server().to_str().unwrap(), "--layout", "json"]);
    let path = dir.path().join("again.json");
    std::fs::write(&path, &r.stdout).unwrap();
    assert_eq!(read_json(&path).unwrap(), server_profile());
}

#[test]
fn unit_scales_kernprof_times() {
    let r = ok(&["view", server().to_str().unwrap(), "--unit", "us"]);
    assert!(
        r.stdout.starts_with("Timer unit: 1e-06 s\n"),
        "{}",
        r.stdout
    );
    // Line 33 of log_command: 2,900,000 ns in 60 hits.
    let row = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("33 "))
        .unwrap();
    assert!(row.contains("2900.0") && row.contains("48.3"), "{row}");
    assert!(r.stdout.contains("Total time: 0.0031407 s"));

    let ms = ok(&[
        "view",
        server().to_str().unwrap(),
        "--unit",
        "ms",
        "--layout",
        "kernprof",
    ]);
    assert!(ms.stdout.starts_with("Timer unit: 0.001 s\n"));
    let s = ok(&["view", server().to_str().unwrap(), "-u", "s"]);
    assert!(s.stdout.starts_with("Timer unit: 1 s\n"));
    let ns = ok(&["view", server().to_str().unwrap(), "--unit", "ns"]);
    assert_eq!(
        ns.stdout,
        report::render(&server_profile(), ReportFormat::Kernprof)
    );
}

#[test]
fn several_files_add_up() {
    let one = server_profile();
    let r = ok(&[
        "view",
        server().to_str().unwrap(),
        server().to_str().unwrap(),
        "--layout",
        "json",
    ]);
    let two: Profile = serde_json::from_str(&r.stdout).unwrap();
    for f in &one.functions {
        let g = two.function(&f.name).unwrap();
        assert_eq!(g.calls, 2 * f.calls, "{}", f.name);
        assert_eq!(g.total_ns, 2 * f.total_ns);
        assert_eq!(g.own_ns, 2 * f.own_ns);
        for l in &f.lines {
            let m = g.line(l.line).unwrap();
            assert_eq!(
                (m.hits, m.time_ns, m.alloc_bytes, m.allocs),
                (2 * l.hits, 2 * l.time_ns, 2 * l.alloc_bytes, 2 * l.allocs)
            );
            assert_eq!(
                (m.peak_bytes, m.mem_usage_bytes),
                (l.peak_bytes, l.mem_usage_bytes)
            );
        }
        for c in &f.callers {
            let d = g
                .callers
                .iter()
                .find(|d| d.caller == c.caller && d.line == c.line)
                .unwrap();
            assert_eq!((d.calls, d.time_ns), (2 * c.calls, 2 * c.time_ns));
        }
    }
    assert_eq!(two.threads.len(), 4);
    assert!(
        two.threads[2].name.starts_with("main ("),
        "{:?}",
        two.threads
    );
}

#[test]
fn different_files_merge_by_function() {
    let dir = tempfile::tempdir().unwrap();
    let mut other = golden_json("minimal_v1.json");
    other["functions"][1]["name"] = "lablink_core::execution::parse_command".into();
    other["functions"][1]["file"] = "src/execution/mod.rs".into();
    let path = write_json(dir.path(), "other.json", &other);
    let r = ok(&[
        "view",
        server().to_str().unwrap(),
        path.to_str().unwrap(),
        "--layout",
        "json",
    ]);
    let merged: Profile = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(merged.functions.len(), 7);
    let parse = merged
        .function("lablink_core::execution::parse_command")
        .unwrap();
    assert_eq!(parse.calls, 101);
    assert_eq!(parse.total_ns, 120_000 + 67_012_345);
    // The function with the most time comes first.
    assert_eq!(merged.functions[0].name, parse.name);
}

#[test]
fn filters_and_orders() {
    let s = server();
    let s = s.to_str().unwrap();
    let r = ok(&[
        "view",
        s,
        "--function",
        "execution::",
        "--layout",
        "kernprof",
    ]);
    let functions: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("Function: "))
        .collect();
    assert_eq!(functions.len(), 2, "{functions:?}");
    assert!(functions.iter().all(|f| f.contains("execution::")));

    let r = ok(&[
        "view",
        s,
        "-f",
        "crc_tree",
        "-f",
        "worker_loop",
        "--sort",
        "name",
        "--layout",
        "kernprof",
    ]);
    let functions: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("Function: "))
        .collect();
    assert_eq!(
        functions,
        [
            "Function: lablink_core::backup::checksum::crc_tree at line 8",
            "Function: lablink_core::server::worker_loop at line 32"
        ]
    );

    let order = |sort: &str| -> Vec<String> {
        let r = ok(&["view", s, "--sort", sort, "--layout", "json"]);
        let p: Profile = serde_json::from_str(&r.stdout).unwrap();
        p.functions.into_iter().map(|f| f.name).collect()
    };
    assert_eq!(order("time")[0], "lablink_core::server::run");
    assert_eq!(
        order("calls")[0],
        "lablink_core::backup::checksum::crc_tree"
    );
    assert_eq!(
        order("name")[0],
        "<lablink_core::database::manager::DatabaseManager as lablink_core::database::CommandLog>::log_command"
    );
    assert_eq!(order("file")[0], "lablink_core::backup::checksum::crc_tree");
}

#[test]
fn skip_zero_hides_functions_without_hits() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = golden_json("lablink_server.json");
    let f = common::function_mut(&mut p, "parse_command");
    for l in f["lines"].as_array_mut().unwrap() {
        l["hits"] = 0.into();
    }
    let path = write_json(dir.path(), "zero.json", &p);
    let shown = ok(&["view", path.to_str().unwrap(), "--layout", "kernprof"]);
    let header = "Function: lablink_core::execution::parse_command at line 40";
    assert!(shown.stdout.contains(header));
    let hidden = ok(&[
        "view",
        path.to_str().unwrap(),
        "--layout",
        "kernprof",
        "--skip-zero",
    ]);
    assert!(!hidden.stdout.contains(header));
    assert!(
        hidden
            .stdout
            .contains("Function: lablink_core::execution::execute_command")
    );
}

#[test]
fn per_thread_sections() {
    let r = ok(&[
        "view",
        server().to_str().unwrap(),
        "--per-thread",
        "--layout",
        "kernprof",
    ]);
    let main_at = r.stdout.find("Thread 0: main").unwrap();
    let worker_at = r.stdout.find("Thread 1: lablink-worker-1").unwrap();
    assert!(main_at < worker_at);
    let (main, worker) = r.stdout.split_at(worker_at);
    // log_command ran only on main, worker_loop only on the worker.
    assert!(main.contains("log_command") && !main.contains("worker_loop"));
    assert!(worker.contains("worker_loop") && !worker.contains("log_command"));
    // execute_command: 60 calls on main, 40 on the worker; line 15 has 100 hits in all.
    let hits = |text: &str| -> String {
        let at = text.find("execute_command at line 12").unwrap();
        let row = text[at..]
            .lines()
            .find(|l| l.trim_start().starts_with("15 "))
            .unwrap();
        row.split_whitespace().nth(1).unwrap().to_owned()
    };
    assert_eq!(hits(main), "60");
    assert_eq!(hits(worker), "40");
}

#[test]
fn minimal_old_file_loads() {
    let r = ok(&["view", golden("minimal_v1.json").to_str().unwrap()]);
    assert!(r.stdout.contains("quickstart::work"));
    // No heap counted: the tables say how to get memory columns.
    assert!(r.stdout.contains("CountingAlloc"));
}

#[test]
fn unit_with_another_layout_is_noted() {
    let r = run(&[
        "view",
        server().to_str().unwrap(),
        "--unit",
        "us",
        "--layout",
        "table",
    ]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("--unit applies to the kernprof layout"));
}

#[test]
fn per_thread_json_is_refused() {
    let r = run(&[
        "view",
        server().to_str().unwrap(),
        "--per-thread",
        "--layout",
        "json",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("--per-thread cannot be used with --layout json")
    );
}

#[test]
fn files_the_runtime_writes_read_back() {
    use lablink_prof_runtime::profile::{CallerProfile, FunctionProfile, LineProfile};
    let line = |line, hits, time_ns| LineProfile {
        line,
        hits,
        time_ns,
        ..LineProfile::default()
    };
    let mut profile = Profile::empty();
    profile.functions.push(FunctionProfile {
        name: "demo::work".to_owned(),
        file: "examples/demo.rs".to_owned(),
        line: 4,
        is_async: false,
        calls: 2,
        primitive_calls: 2,
        total_ns: 1_500,
        cumulative_ns: 1_500,
        own_ns: 1_500,
        source: vec![
            "fn work() {".to_owned(),
            "    spin();".to_owned(),
            "}".to_owned(),
        ],
        lines: vec![line(4, 2, 100), line(5, 2, 1_400)],
        callers: vec![CallerProfile {
            caller: "<root>".to_owned(),
            line: None,
            calls: 2,
            time_ns: 1_500,
        }],
        threads: Vec::new(),
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("written.json");
    report::write_json(&profile, &path).unwrap();
    let p = path.to_str().unwrap();
    let table = ok(&["view", p]);
    assert_eq!(table.stdout, report::render(&profile, ReportFormat::Table));
    let json = ok(&["view", p, "--layout", "json"]);
    assert_eq!(
        serde_json::from_str::<Profile>(&json.stdout).unwrap(),
        profile
    );
    let stats = ok(&["stats", p]);
    assert!(
        stats.stdout.contains(
            "        2    0.000    0.000    0.000    0.000 examples/demo.rs:4(demo::work)"
        )
    );
    let folded = ok(&["flamegraph", p, "--folded", "-o", "-"]);
    assert_eq!(folded.stdout, "demo::work:4 100\ndemo::work:5 1400\n");
}

#[test]
fn heap_tracking_is_shown_after_the_tables_with_exact_figures() {
    let path = golden("heap_tracking.json");
    let profile = read_json(&path).unwrap();
    let tracking = profile
        .heap_tracking
        .as_ref()
        .expect("the file has tracking");
    let r = ok(&["view".as_ref(), path.as_os_str()]);
    assert_eq!(
        r.stdout,
        format!(
            "{}\n{}",
            report::render(&profile, ReportFormat::Table),
            report::heap_tracking::render(tracking, None)
        )
    );
    for row in [
        "Heap by line, whole process (LABLINK_PROFILE_HEAP=track): live at exit 8192 bytes in 52 \
         blocks; peak 4197693 bytes",
        "        3000 bytes in       3 blocks  tests/heap_tracking.rs:23  heap_tracking::leak_three",
        "        5192 bytes in      49 blocks  outside profiled code",
        "     4194304 bytes  tests/heap_tracking.rs:29  heap_tracking::spike",
        "        3000 bytes  tests/heap_tracking.rs:23  heap_tracking::leak_three",
        "         389 bytes  outside profiled code",
    ] {
        assert!(r.stdout.contains(row), "{row:?} in\n{}", r.stdout);
    }
    // The JSON layout keeps it, field for field.
    let r = ok(&["view", path.to_str().unwrap(), "--layout", "json"]);
    let again: Profile = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(again.heap_tracking, profile.heap_tracking);
}

#[test]
fn files_without_heap_tracking_load_without_it() {
    for name in ["minimal_v1.json", "lablink_server.json"] {
        let profile = read_json(&golden(name)).unwrap();
        assert!(profile.heap_tracking.is_none(), "{name}");
        let r = ok(&["view".as_ref(), golden(name).as_os_str()]);
        assert!(!r.stdout.contains("Heap by line"), "{name}");
    }
}
