//! `lablink-prof export --pprof`: `go tool pprof` reads the file and shows the figures of
//! `lablink-prof view` and `lablink-prof stats`.
//!
//! These tests need Go's `go tool pprof` (Debian's `golang-go`; `.ci/run` installs it):
//! without it they fail, saying so.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{golden, golden_json, ok, server};

/// Exports `profile` to pprof in `dir`.
fn export(profile: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("profile.pb.gz");
    let r = ok(&[
        "export",
        "--pprof",
        profile.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(r.stderr.contains("profile.pb.gz"), "{}", r.stderr);
    out
}

/// Writes the functions' source lines (from the profile) as files under `dir`, at their
/// paths and line numbers, for `-list` to show.
fn write_sources(profile: &serde_json::Value, dir: &Path) {
    let mut files: HashMap<String, Vec<String>> = HashMap::new();
    for f in profile["functions"].as_array().unwrap() {
        let lines = files
            .entry(f["file"].as_str().unwrap().to_owned())
            .or_default();
        let first = f["line"].as_u64().unwrap() as usize;
        for (i, text) in f["source"].as_array().unwrap().iter().enumerate() {
            if lines.len() < first + i {
                lines.resize(first + i, String::new());
            }
            lines[first + i - 1] = text.as_str().unwrap().to_owned();
        }
    }
    for (file, lines) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }
}

/// Runs `go tool pprof` with `args`, showing every node, on `file`; returns its stdout.
fn pprof(file: &Path, args: &[&str]) -> String {
    let out = Command::new("go")
        .args(["tool", "pprof", "-nodefraction=0", "-edgefraction=0"])
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "`go tool pprof` is needed to check the pprof export ({e}): install Go \
                 (apt-get install -y golang-go), as .ci/run does"
            )
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "go tool pprof {args:?} failed: {stderr}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A figure as pprof prints it with `-unit=ns` / `-unit=B` or as a count: `.` is 0.
fn figure(text: &str) -> u64 {
    let digits = text.trim_end_matches("ns").trim_end_matches('B');
    if digits == "." {
        0
    } else {
        digits
            .parse()
            .unwrap_or_else(|_| panic!("not a figure: {text}"))
    }
}

/// `-top` rows: name -> (flat, cum).
fn top(text: &str) -> HashMap<String, (u64, u64)> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("flat "))
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let name = cols[5..].join(" ");
            (name, (figure(cols[0]), figure(cols[3])))
        })
        .collect()
}

/// `-list` rows: (function, line) -> (flat, cum), and each function's (flat, cum) total.
type Listing = (
    HashMap<(String, u32), (u64, u64)>,
    HashMap<String, (u64, u64)>,
);

fn list(text: &str) -> Listing {
    let mut rows = HashMap::new();
    let mut totals = HashMap::new();
    let mut function = String::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("ROUTINE ======================== ") {
            function = rest.rsplit_once(" in ").unwrap().0.to_owned();
            continue;
        }
        let cols: Vec<&str> = l.split_whitespace().collect();
        if l.contains("(flat, cum)") {
            totals.insert(function.clone(), (figure(cols[0]), figure(cols[1])));
        } else if cols.len() >= 3 {
            // `12:pub fn f() {`: the line number, a colon, the source.
            if let Some(Ok(line)) = cols[2].split_once(':').map(|(n, _)| n.parse::<u32>()) {
                rows.insert((function.clone(), line), (figure(cols[0]), figure(cols[1])));
            }
        }
    }
    (rows, totals)
}

/// `lablink-prof view --layout kernprof --unit ns` rows: (function, line) -> (hits, time).
fn view(profile: &Path) -> HashMap<(String, u32), (u64, u64)> {
    let text = ok(&[
        "view",
        profile.to_str().unwrap(),
        "--layout",
        "kernprof",
        "--unit",
        "ns",
    ])
    .stdout;
    let mut rows = HashMap::new();
    let mut function = String::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("Function: ") {
            function = rest.rsplit_once(" at line ").unwrap().0.to_owned();
            continue;
        }
        let cols: Vec<&str> = l.split_whitespace().collect();
        if cols.len() >= 3
            && let (Ok(line), Ok(hits), Ok(time)) = (
                cols[0].parse::<u32>(),
                cols[1].parse::<u64>(),
                cols[2].parse::<f64>(),
            )
        {
            rows.insert((function.clone(), line), (hits, time as u64));
        }
    }
    rows
}

#[test]
fn list_shows_the_figures_of_view() {
    let dir = tempfile::tempdir().unwrap();
    let file = export(&server(), dir.path());
    let sources = dir.path().join("src-root");
    write_sources(&golden_json("lablink_server.json"), &sources);
    let source_path = format!("-source_path={}", sources.display());
    let (time, time_totals) = list(&pprof(
        &file,
        &["-list=.", "-unit=ns", "-sample_index=time", &source_path],
    ));
    let (hits, _) = list(&pprof(
        &file,
        &["-list=.", "-sample_index=hits", &source_path],
    ));
    let ours = view(&server());
    assert_eq!(ours.len(), 36, "{ours:?}");
    let crc = "lablink_core::backup::checksum::crc_tree".to_owned();
    for (key, &(view_hits, view_time)) in &ours {
        // Hits: the line's own, exactly.
        let hits = hits
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} not in -list"));
        assert_eq!(hits.0, view_hits, "hits of {key:?}");
        // cum: the line's time with its callees, as view prints it; except the line of a
        // recursive call, whose nested calls are counted once, at the outermost level (the
        // function's lines hold them already): crc_tree:11 is 122 us in view, of which
        // 120 us are the nested calls.
        if *key == (crc.clone(), 11) {
            assert_eq!(time[key], (2_000, 2_000));
        } else {
            assert_eq!(time[key].1, view_time, "time of {key:?}");
        }
    }
    // Lines making profiled calls: flat is the line's own part. run:26 is 3.1431 ms, 3.1407
    // of it in log_command; execute_command:14 is 123 us, 120 us in parse_command.
    assert_eq!(
        time[&("lablink_core::server::run".to_owned(), 26)],
        (2_400, 3_143_100)
    );
    assert_eq!(
        time[&("lablink_core::execution::execute_command".to_owned(), 14)],
        (3_000, 123_000)
    );
    // Each function's totals: flat is its own time (tottime), cum its cumulative time.
    for f in golden_json("lablink_server.json")["functions"]
        .as_array()
        .unwrap()
    {
        let name = f["name"].as_str().unwrap();
        assert_eq!(
            time_totals[name],
            (
                f["own_ns"].as_u64().unwrap(),
                f["cumulative_ns"].as_u64().unwrap()
            ),
            "{name}"
        );
    }
}

#[test]
fn top_shows_the_figures_of_stats() {
    let dir = tempfile::tempdir().unwrap();
    let file = export(&server(), dir.path());
    let text = pprof(&file, &["-top", "-unit=ns"]);
    // The whole: the two top-level calls (run, worker_loop on another thread).
    assert!(
        text.contains("of 7570370ns total"),
        "the total is the top-level calls' time: {text}"
    );
    let rows = top(&text);
    let functions = golden_json("lablink_server.json");
    let functions = functions["functions"].as_array().unwrap();
    assert_eq!(rows.len(), functions.len(), "{text}");
    for f in functions {
        let name = f["name"].as_str().unwrap();
        assert_eq!(
            rows[name],
            (
                f["own_ns"].as_u64().unwrap(),
                f["cumulative_ns"].as_u64().unwrap()
            ),
            "{name}: flat is tottime, cum is cumtime"
        );
    }
    // A name with `<T as Trait>` is kept whole (pprof does not take it for a C++ template).
    assert!(rows.contains_key(
        "<lablink_core::database::manager::DatabaseManager as lablink_core::database::CommandLog>::log_command"
    ));
}

#[test]
fn lines_split_a_shared_callee_by_its_callers() {
    let dir = tempfile::tempdir().unwrap();
    let file = export(&server(), dir.path());
    // execute_command is called 60 times from run:24 (1.39182 ms) and 40 from
    // worker_loop:35 (0.92788 ms): its stacks under each caller add up to that edge's time,
    // so each calling line's cum is its time in view.
    let text = pprof(&file, &["-lines", "-top", "-unit=ns"]);
    let rows = top(&text);
    assert_eq!(
        rows["lablink_core::server::run src/server.rs:24"],
        (1_200, 1_393_020)
    );
    assert_eq!(
        rows["lablink_core::server::worker_loop src/server.rs:35"],
        (800, 928_680)
    );
    assert_eq!(
        rows["lablink_core::execution::execute_command src/execution/mod.rs:15"],
        (2_100_000, 2_100_000)
    );
    // The same line under each caller, in proportion to the edges' times (60/40): one
    // stack per caller (-traces prints one per sample, leaf first).
    let traces = pprof(
        &file,
        &["-traces", "-lines", "-unit=ns", "-sample_index=time"],
    );
    let stacks: Vec<(u64, Vec<String>)> = traces
        .split("-----------+")
        .skip(1)
        .filter_map(|block| {
            let mut lines = block.lines().skip(1).filter(|l| !l.trim().is_empty());
            let first = lines.next()?;
            let (value, leaf) = first.trim().split_once(' ')?;
            let mut frames = vec![leaf.trim().to_owned()];
            frames.extend(lines.map(|l| l.trim().to_owned()));
            Some((figure(value), frames))
        })
        .collect();
    let dispatch = "lablink_core::execution::execute_command src/execution/mod.rs:15";
    let under = |caller: &str| -> Vec<u64> {
        stacks
            .iter()
            .filter(|(_, frames)| frames[0] == dispatch && frames[1] == caller)
            .map(|(v, _)| *v)
            .collect()
    };
    assert_eq!(
        under("lablink_core::server::run src/server.rs:24"),
        [1_260_000]
    );
    assert_eq!(
        under("lablink_core::server::worker_loop src/server.rs:35"),
        [840_000]
    );
}

#[test]
fn memory_has_its_own_sample_types() {
    let dir = tempfile::tempdir().unwrap();
    let file = export(&server(), dir.path());
    let raw = pprof(&file, &["-raw"]);
    assert!(
        raw.contains("hits/count time/nanoseconds[dflt] alloc_space/bytes alloc_objects/count"),
        "{raw}"
    );
    let sources = dir.path().join("src-root");
    write_sources(&golden_json("lablink_server.json"), &sources);
    let source_path = format!("-source_path={}", sources.display());
    let (bytes, _) = list(&pprof(
        &file,
        &[
            "-list=.",
            "-unit=B",
            "-sample_index=alloc_space",
            &source_path,
        ],
    ));
    let (allocs, _) = list(&pprof(
        &file,
        &["-list=.", "-sample_index=alloc_objects", &source_path],
    ));
    // Lines that call no profiled function: their bytes and allocations, as view's Alloc.
    let profile = golden_json("lablink_server.json");
    for f in profile["functions"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        for l in f["lines"].as_array().unwrap() {
            let key = (name.to_owned(), l["line"].as_u64().unwrap() as u32);
            let calls_from_here = profile["functions"].as_array().unwrap().iter().any(|g| {
                g["callers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["caller"] == name && c["line"] == l["line"])
            });
            if calls_from_here {
                continue;
            }
            let expect_bytes = l["alloc_bytes"].as_u64().unwrap();
            let expect_allocs = l["allocs"].as_u64().unwrap();
            assert_eq!(
                bytes.get(&key).map_or(0, |v| v.0),
                expect_bytes,
                "bytes {key:?}"
            );
            assert_eq!(
                allocs.get(&key).map_or(0, |v| v.0),
                expect_allocs,
                "allocs {key:?}"
            );
        }
    }
    assert_eq!(
        bytes[&("lablink_core::server::run".to_owned(), 21)],
        (1_048_576, 1_048_576)
    );
}

#[test]
fn functions_have_their_file_and_line_and_no_heap_figures_without_the_allocator() {
    let dir = tempfile::tempdir().unwrap();
    // minimal_v1: no heap counted, no caller lines (an old file).
    let file = export(&golden("minimal_v1.json"), dir.path());
    let raw = pprof(&file, &["-raw"]);
    assert!(
        raw.contains("Samples:\nhits/count time/nanoseconds[dflt]\n"),
        "{raw}"
    );
    assert!(!raw.contains("alloc_space"), "{raw}");
    // Locations: one per source line, with the function, its file and its first line.
    assert!(
        raw.contains("quickstart::work examples/quickstart.rs:9 s=7"),
        "{raw}"
    );
    assert!(
        raw.contains("quickstart::main examples/quickstart.rs:19 s=17"),
        "{raw}"
    );
    let rows = top(&pprof(&file, &["-lines", "-top", "-unit=ns"]));
    assert_eq!(
        rows["quickstart::main examples/quickstart.rs:19"],
        (0, 67_012_345)
    );
    assert_eq!(
        rows["quickstart::work examples/quickstart.rs:9"],
        (16_512_345, 16_512_345)
    );
    let hits = top(&pprof(&file, &["-lines", "-top", "-sample_index=hits"]));
    assert_eq!(
        hits["quickstart::work examples/quickstart.rs:9"],
        (2_000_001, 2_000_001)
    );
}

#[test]
fn calls_from_outside_the_file_start_under_their_callers_name() {
    // execute_command's calls from worker_loop recorded as from `<other>` (a caller among
    // more than 16 on its thread).
    let mut profile = golden_json("lablink_server.json");
    for f in profile["functions"].as_array_mut().unwrap() {
        for c in f["callers"].as_array_mut().unwrap() {
            if c["caller"] == "lablink_core::server::worker_loop" {
                c["caller"] = "<other>".into();
                c.as_object_mut().unwrap().remove("line");
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_json(dir.path(), "other.json", &profile);
    let file = export(&path, dir.path());
    let rows = top(&pprof(&file, &["-top", "-unit=ns"]));
    // A frame named `<other>` holds the 40 calls' share (927,880 ns); execute_command keeps
    // its own and cumulative time.
    assert_eq!(rows["<other>"], (0, 927_880));
    assert_eq!(
        rows["lablink_core::execution::execute_command"],
        (2_119_700, 2_319_700)
    );
    // worker_loop's line 35 made those calls: its time stays its own, as recorded.
    let lines = top(&pprof(&file, &["-lines", "-top", "-unit=ns"]));
    assert_eq!(
        lines["lablink_core::server::worker_loop src/server.rs:35"],
        (928_680, 928_680)
    );
}

/// A sampled profile exports the sampler's stacks: pprof's totals are the stacks' sums, for
/// each sample type: samples, time and on-CPU time.
#[test]
fn a_sampled_profile_exports_its_stacks() {
    let dir = tempfile::tempdir().unwrap();
    let file = export(&common::sampled(), dir.path());
    let profile = golden_json("sampled_ingest.json");
    let stacks = profile["stacks"].as_array().unwrap();
    let sum = |key: &str| -> u64 { stacks.iter().map(|s| s[key].as_u64().unwrap()).sum() };
    let (samples, time, cpu) = (sum("samples"), sum("time_ns"), sum("cpu_ns"));
    assert_eq!((samples, time, cpu), (415, 415_680_400, 250_293_000));

    let time_top = pprof(&file, &["-top", "-unit=ns", "-sample_index=time"]);
    assert!(
        time_top.contains(&format!("accounting for {time}ns, 100% of {time}ns total")),
        "{time_top}"
    );
    let rows = top(&time_top);
    // flat: the stacks ending in the function; cum: the stacks it is in (once each).
    assert_eq!(rows["ingest::run"], (1_000_700 + 120_412_300, time));
    assert_eq!(
        rows["ingest::parse_tree"],
        (6_008_100 + 9_011_900 + 5_004_200, 294_267_400)
    );
    assert_eq!(rows["ingest::checksum"], (274_243_200, 274_243_200));

    let samples_top = pprof(&file, &["-top", "-sample_index=samples"]);
    assert!(
        samples_top.contains(&format!(
            "accounting for {samples}, 100% of {samples} total"
        )),
        "{samples_top}"
    );
    let rows = top(&samples_top);
    assert_eq!(rows["ingest::run"], (121, 415));
    assert_eq!(rows["ingest::parse_tree"], (20, 294));
    assert_eq!(rows["ingest::checksum"], (274, 274));

    let cpu_top = pprof(&file, &["-top", "-unit=ns", "-sample_index=cpu"]);
    assert!(
        cpu_top.contains(&format!("accounting for {cpu}ns, 100% of {cpu}ns total")),
        "{cpu_top}"
    );
    let rows = top(&cpu_top);
    assert_eq!(rows["ingest::run"], (1_000_700 + 17_950_000, cpu));
    assert_eq!(
        rows["ingest::checksum"],
        (209_640_000 + 1_930_000, 211_570_000)
    );

    // Lines: parse_tree:23 is in 288 samples' stacks (9 + 210 + 64 + 5), pprof counting a
    // stack once however many of its frames are on the line.
    let lines = top(&pprof(&file, &["-lines", "-top", "-sample_index=samples"]));
    let line = |name: &str| {
        lines
            .iter()
            .find(|(k, _)| k.starts_with(name))
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no {name} in {lines:?}"))
    };
    assert_eq!(line("ingest::parse_tree examples/ingest.rs:23"), (0, 288));
    assert_eq!(line("ingest::checksum examples/ingest.rs:33"), (64, 64));
}

/// Without the on-CPU time on every stack, there is no cpu sample type (a partial sum would
/// be false).
#[test]
fn a_sampled_profile_without_cpu_times_has_no_cpu_sample_type() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = golden_json("sampled_ingest.json");
    p["stacks"][0].as_object_mut().unwrap().remove("cpu_ns");
    let path = common::write_json(dir.path(), "no_cpu.json", &p);
    let file = export(&path, dir.path());
    let raw = pprof(&file, &["-raw"]);
    assert!(raw.contains("samples/count time/nanoseconds"), "{raw}");
    assert!(!raw.contains("cpu/nanoseconds"), "{raw}");
}
