//! `lablink-prof view`: the line tables of saved profiles, alone and added up.

mod common;

use common::{golden, golden_json, ok, run, sampled, server, write_json};
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
        ..Default::default()
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

// ---------------------------------------------------------------------------------------------
// Sampled profiles

fn sampled_profile() -> Profile {
    read_json(&sampled()).unwrap()
}

/// The golden sampled profile is consistent: each line's samples, time and on-CPU time are the
/// sums over the stacks of the frames on that line (a stack with two frames on a line counts
/// twice, as exact mode times every recursion level), a function's samples and cumulative
/// time those of the stacks it is in, its total the sum of its lines.
#[test]
fn the_sampled_golden_profile_is_its_stacks() {
    use std::collections::HashMap;
    let p = sampled_profile();
    assert_eq!(p.mode, lablink_prof_runtime::profile::TimeMode::Sampled);
    assert_eq!(p.sample_interval_ns, 1_000_000);
    let mut lines: HashMap<(&str, u32), (u64, u64, u64)> = HashMap::new();
    let mut functions: HashMap<&str, (u64, u64)> = HashMap::new();
    for s in &p.stacks {
        for fr in &s.frames {
            let e = lines.entry((fr.function.as_str(), fr.line)).or_default();
            e.0 += s.samples;
            e.1 += s.time_ns;
            e.2 += s.cpu_ns.unwrap();
        }
        let mut names: Vec<&str> = s.frames.iter().map(|f| f.function.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let e = functions.entry(name).or_default();
            e.0 += s.samples;
            e.1 += s.time_ns;
        }
    }
    let mut checked = 0;
    for f in &p.functions {
        for l in &f.lines {
            let (samples, time_ns, cpu_ns) = lines
                .get(&(f.name.as_str(), l.line))
                .copied()
                .unwrap_or_default();
            assert_eq!(
                (l.samples, l.time_ns),
                (samples, time_ns),
                "{}:{}",
                f.name,
                l.line
            );
            assert_eq!(
                l.cpu_ns,
                (samples > 0).then_some(cpu_ns),
                "{}:{}",
                f.name,
                l.line
            );
            checked += usize::from(samples > 0);
        }
        assert_eq!(
            (f.samples, f.cumulative_ns),
            functions[f.name.as_str()],
            "{}",
            f.name
        );
        assert_eq!(f.total_ns, f.lines.iter().map(|l| l.time_ns).sum::<u64>());
    }
    // Every line of every stack is in the lines.
    assert_eq!(checked, lines.len());
}

/// The table of a sampled function: its mode, samples and interval, every time with its 95%
/// error, the samples and the on-CPU/off-CPU split per line. checksum: 274 samples, all in
/// stacks where it is once: total ± 1.96 × √274 × 1 ms = 32.4 ms; line 32: 210 samples,
/// ± 28.4 ms, 209.64 ms of 210.1874 ms on a CPU, 547.4 µs off; line 33 (a lock): 1.93 ms on a
/// CPU, 62.1 ms off; lines no sample found: at most 3 intervals (95%).
#[test]
fn a_sampled_table_has_the_mode_the_errors_and_on_and_off_cpu_time() {
    let r = ok(&["view", sampled().to_str().unwrap(), "-f", "checksum"]);
    let expected = "\
Function: ingest::checksum at line 30
File: examples/ingest.rs
Calls: 32   Total time: 274.2 ms ± 32.4 ms   Own time: 274.2 ms ± 32.4 ms
Mode: sampled, 274 samples every 1.00 ms; ± is the 95% bound of the sampling error
 Line #   Hits Samples     Time     ± 95% Per Hit % Time   On-CPU  Off-CPU Alloc Freed Increment Allocs Peak Mem usage Line Contents
────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
     30     32       0     0 ns ≤ 3.00 ms    0 ns    0.0                     0 B   0 B       0 B      0  0 B       0 B fn checksum(byt…
     31     32       0     0 ns ≤ 3.00 ms    0 ns    0.0                     0 B   0 B       0 B      0  0 B       0 B     let mut h =…
     32 131104     210 210.2 ms   28.4 ms 1.60 µs   76.6 209.6 ms 547.4 µs   0 B   0 B       0 B      0  0 B       0 B     for b in by…
     33     32      64  64.1 ms   15.7 ms 2.00 ms   23.4  1.93 ms  62.1 ms   0 B   0 B       0 B      0  0 B       0 B     let _seen =…
     34     32       0     0 ns ≤ 3.00 ms    0 ns    0.0                     0 B   0 B       0 B      0  0 B       0 B     h
     35                                                                                                                }

";
    assert_eq!(r.stdout, expected);
}

/// Recursion: parse_tree's line 23 has 3 frames in the 274 samples under checksum and 2 in 5,
/// so its error counts Σ m² n = 9 + 9 × 274 + 4 × 5 = 2495 samples: 1.96 × √2495 ms = 97.9 ms,
/// not 1.96 × √841 ms = 56.8 ms. Its total: Σ m² n = 4471, ± 131.1 ms; its own time (stacks
/// ending in it, 20 samples): ± 8.77 ms.
#[test]
fn a_recursive_line_counts_its_error_over_every_level() {
    let r = ok(&["view", sampled().to_str().unwrap(), "-f", "parse_tree"]);
    assert!(
        r.stdout
            .contains("Calls: 60   Total time: 1.14 s ± 131.1 ms   Own time: 20.0 ms ± 8.77 ms\n"),
        "{}",
        r.stdout
    );
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("     23 "))
        .unwrap();
    assert!(
        row.starts_with(
            "     23   28     841 841.7 ms   97.9 ms  30.1 ms   74.1 653.5 ms 188.3 ms"
        ),
        "{row}"
    );
}

/// kernprof's and memory_profiler's layouts keep their columns: the text is the runtime's for
/// the same function, with one line more after its header.
#[test]
fn sampled_kernprof_and_memory_profiler_layouts_add_one_header_line() {
    let mut p = sampled_profile();
    p.functions.retain(|f| f.name == "ingest::checksum");
    p.stacks.clear();
    // The runtime's columns as it prints an exact profile; the view adds its mode line.
    p.mode = lablink_prof_runtime::profile::TimeMode::Exact;
    let kernprof = ok(&[
        "view",
        sampled().to_str().unwrap(),
        "-f",
        "checksum",
        "--layout",
        "kernprof",
    ]);
    let mode = "Mode: sampled, 274 samples every 1.00 ms; Total time ± 0.0324438 s (the 95% \
                bound of the sampling error)\n";
    let runtime = report::render(&p, ReportFormat::Kernprof);
    let at = runtime.find("\n\nLine #").unwrap() + 1;
    assert_eq!(
        kernprof.stdout,
        format!("{}{mode}{}", &runtime[..at], &runtime[at..])
    );
    let memory = ok(&[
        "view",
        sampled().to_str().unwrap(),
        "-f",
        "checksum",
        "--layout",
        "memory_profiler",
    ]);
    let mode = "Mode: sampled, 274 samples every 1.00 ms (ingest::checksum); hits and memory are \
                exact, times are sampled (not shown here)\n";
    let runtime = report::render(&p, ReportFormat::MemoryProfiler);
    let at = runtime.find('\n').unwrap() + 1;
    assert_eq!(
        memory.stdout,
        format!("{}{mode}{}", &runtime[..at], &runtime[at..])
    );
}

/// measured_ns is shown beside the total only when it differs much: run's 421.0 ms is within
/// the 39.9 ms error of 415.7 ms; at three times the total it is shown, in every layout.
#[test]
fn measured_time_is_shown_when_it_differs_much_from_the_total() {
    let r = ok(&["view", sampled().to_str().unwrap(), "-f", "ingest::run"]);
    assert!(
        r.stdout
            .contains("Calls: 1   Total time: 415.7 ms ± 39.9 ms   Own time: 121.4 ms ± 21.6 ms\n"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("measured"), "{}", r.stdout);

    let dir = tempfile::tempdir().unwrap();
    let mut p = golden_json("sampled_ingest.json");
    common::function_mut(&mut p, "ingest::run")["measured_ns"] = 1_247_041_200u64.into();
    let path = write_json(dir.path(), "measured.json", &p);
    let r = ok(&["view", path.to_str().unwrap(), "-f", "ingest::run"]);
    assert!(
        r.stdout.contains(
            "Total time: 415.7 ms ± 39.9 ms (1.25 s measured under the profiler)   Own time"
        ),
        "{}",
        r.stdout
    );
    let r = ok(&[
        "view",
        path.to_str().unwrap(),
        "-f",
        "ingest::run",
        "-u",
        "ms",
    ]);
    assert!(
        r.stdout
            .contains("Total time: 0.41568 s\nMeasured under the profiler: 1.24704 s\nFile:"),
        "{}",
        r.stdout
    );

    // An exact profile: shown past 1.5 times, as the runtime's header with the measured time.
    let mut p = golden_json("lablink_server.json");
    let f = common::function_mut(&mut p, "::log_command");
    let total = f["total_ns"].as_u64().unwrap();
    f["measured_ns"] = (total * 3 / 2).into();
    let path = write_json(dir.path(), "exact.json", &p);
    let r = ok(&["view", path.to_str().unwrap(), "-f", "log_command"]);
    assert!(!r.stdout.contains("measured"), "{}", r.stdout);
    let f = common::function_mut(&mut p, "::log_command");
    f["measured_ns"] = (total * 3 / 2 + 1).into();
    let path = write_json(dir.path(), "exact.json", &p);
    let r = ok(&["view", path.to_str().unwrap(), "-f", "log_command"]);
    assert!(
        r.stdout
            .contains("Total time: 3.14 ms (4.71 ms measured under the profiler)"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Mode:"), "{}", r.stdout);
}

/// Two sampled profiles add up: samples, times, on-CPU times and stacks, the interval kept,
/// the second file's stacks on its own (renumbered) thread.
#[test]
fn sampled_profiles_add_up_with_their_stacks() {
    let one = sampled_profile();
    let s = sampled();
    let r = ok(&[
        "view",
        s.to_str().unwrap(),
        s.to_str().unwrap(),
        "--layout",
        "json",
    ]);
    let two: Profile = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(two.mode, lablink_prof_runtime::profile::TimeMode::Sampled);
    assert_eq!(two.sample_interval_ns, 1_000_000);
    assert_eq!(two.stacks.len(), 2 * one.stacks.len());
    for (a, b) in one.stacks.iter().zip(&two.stacks[one.stacks.len()..]) {
        assert_eq!(b.thread, 1);
        assert_eq!(
            (&b.frames, b.samples, b.time_ns, b.cpu_ns),
            (&a.frames, a.samples, a.time_ns, a.cpu_ns)
        );
    }
    let c = two.function("ingest::checksum").unwrap();
    assert_eq!((c.samples, c.total_ns), (548, 548_486_400));
    let l = c.line(33).unwrap();
    assert_eq!(
        (l.samples, l.time_ns, l.cpu_ns),
        (128, 128_111_600, Some(3_860_000))
    );
    // The table's errors are the sum's: 548 samples, 1.96 × √548 ms = 45.9 ms.
    let r = ok(&[
        "view",
        s.to_str().unwrap(),
        s.to_str().unwrap(),
        "-f",
        "checksum",
    ]);
    assert!(
        r.stdout.contains("Total time: 548.5 ms ± 45.9 ms")
            && r.stdout
                .contains("Mode: sampled, 548 samples every 1.00 ms"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_sampled_and_an_exact_profile_are_not_added() {
    let r = run(&[
        "view",
        sampled().to_str().unwrap(),
        server().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!(
            "lablink-prof: error: {}: its times are exact, those of {} are sampled: sampled and \
             exact times cannot be added up (one is a count of samples with an error bound, the \
             other a clock's reading); view them one at a time\n",
            server().display(),
            sampled().display()
        )
    );
}

#[test]
fn sampled_profiles_of_different_intervals_are_not_added() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = golden_json("sampled_ingest.json");
    p["sample_interval_ns"] = 250_000u64.into();
    let path = write_json(dir.path(), "fast.json", &p);
    let r = run(&["view", sampled().to_str().unwrap(), path.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(
        r.stderr,
        format!(
            "lablink-prof: error: {}: it was sampled every 250.0 µs, {} every 1.00 ms: profiles \
             sampled at different intervals cannot be added up (their error bounds differ)\n",
            path.display(),
            sampled().display()
        )
    );
}

/// Per thread, a sampled function's samples and errors are those of the thread's stacks, and
/// its measured time its share: two copies of the profile give two threads, each with the
/// figures of one copy (274 samples, ± 32.4 ms, measured 274.4 ms not shown).
#[test]
fn sampled_per_thread_sections_have_each_threads_samples() {
    let s = sampled();
    let r = ok(&[
        "view",
        s.to_str().unwrap(),
        s.to_str().unwrap(),
        "--per-thread",
        "-f",
        "checksum",
    ]);
    let header = "Calls: 32   Total time: 274.2 ms ± 32.4 ms   Own time: 274.2 ms ± 32.4 ms\n\
                  Mode: sampled, 274 samples every 1.00 ms; ± is the 95% bound of the sampling \
                  error\n";
    assert_eq!(r.stdout.matches(header).count(), 2, "{}", r.stdout);
    assert!(!r.stdout.contains("measured"), "{}", r.stdout);
}

/// `--layout json` keeps a sampled profile whole: mode, interval, stacks, samples, on-CPU times.
#[test]
fn a_sampled_profile_round_trips_through_the_json_layout() {
    let r = ok(&["view", sampled().to_str().unwrap(), "--layout", "json"]);
    let again: Profile = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(again, sampled_profile());
}

/// A measured time of 0 means nothing was taken out: adding it to a file that has one counts
/// its total. run: 421,003,917 measured in one file, none (415,680,400) in the other.
#[test]
fn adding_counts_a_missing_measured_time_as_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = golden_json("sampled_ingest.json");
    common::function_mut(&mut p, "ingest::run")
        .as_object_mut()
        .unwrap()
        .remove("measured_ns");
    let path = write_json(dir.path(), "unmeasured.json", &p);
    let r = ok(&[
        "view",
        sampled().to_str().unwrap(),
        path.to_str().unwrap(),
        "--layout",
        "json",
    ]);
    let sum: Profile = serde_json::from_str(&r.stdout).unwrap();
    let run = sum.function("ingest::run").unwrap();
    assert_eq!((run.total_ns, run.measured_ns), (831_360_800, 836_684_317));
    // parse_tree has none in either: still none.
    assert_eq!(sum.function("ingest::parse_tree").unwrap().measured_ns, 0);
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
