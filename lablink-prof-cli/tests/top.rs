//! `lablink-prof top`: `--once` against a program recording a known workload, the same
//! figures from a file it rewrites, refusals, and the interactive view driven in tmux.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use common::run;

// ---------------------------------------------------------------------------------------------
// The workload: examples/top_workload.rs, built once per test run.

/// The built `top_workload` example.
fn workload_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "lablink-prof-cli",
                "--example",
                "top_workload",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the top_workload example failed");
        // The test binary is target/<profile>/deps/top-HASH; examples are beside deps.
        let exe = std::env::current_exe().unwrap();
        let path = exe
            .parent()
            .and_then(Path::parent)
            .unwrap()
            .join("examples")
            .join(format!("top_workload{}", std::env::consts::EXE_SUFFIX));
        assert!(path.exists(), "no example binary at {}", path.display());
        path
    })
}

/// A running `top_workload`, ended (stdin closed, then killed if need be) when dropped.
struct Workload {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Workload {
    /// Starts `top_workload ARGS` in `dir`, with `LABLINK_PROFILING` set to `profiling` (or
    /// unset), and waits for it to print `ready` unless `profiling` is `None`.
    fn start(dir: &Path, args: &[&str], profiling: Option<&str>) -> Workload {
        Workload::start_with(dir, args, profiling, &[])
    }

    /// [`Workload::start`] with more environment variables.
    fn start_with(
        dir: &Path,
        args: &[&str],
        profiling: Option<&str>,
        env: &[(&str, &str)],
    ) -> Workload {
        let mut command = Command::new(workload_binary());
        command
            .args(args)
            .current_dir(dir)
            .env_remove("LABLINK_PROFILING")
            .env_remove("LABLINK_PROFILE_OUT")
            .env_remove("LABLINK_PROFILE_INTERVAL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(value) = profiling {
            command.env("LABLINK_PROFILING", value);
        }
        command.envs(env.iter().copied());
        let mut child = command.spawn().expect("the workload starts");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut w = Workload {
            child,
            stdin,
            stdout,
        };
        if profiling.is_some() {
            w.expect_line("ready");
        }
        w
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn expect_line(&mut self, word: &str) {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), word, "the workload's output");
    }

    /// Closes its stdin (it then ends) and waits for it.
    fn finish(&mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "the workload failed: {status}");
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Reading `--once` output.

/// The numeric cells of the row of `--once`'s table that starts a line with `first` (for
/// functions: whose last cell is `name`).
struct Once {
    text: String,
}

impl Once {
    /// The interval printed on the second line, in seconds.
    fn interval(&self) -> f64 {
        let line = self
            .text
            .lines()
            .find(|l| l.starts_with("Interval: "))
            .unwrap_or_else(|| panic!("no Interval line in\n{}", self.text));
        line["Interval: ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The function table's cells for `name`, by header.
    fn function(&self, name: &str) -> HashMap<String, String> {
        let mut lines = self.text.lines();
        let header = lines
            .find(|l| l.trim_start().starts_with("Calls "))
            .unwrap_or_else(|| panic!("no function table in\n{}", self.text));
        let header: Vec<&str> = header.split_whitespace().collect();
        let header = merge_total(&header);
        for l in lines {
            let cells: Vec<&str> = l.split_whitespace().collect();
            if cells.last() == Some(&name) {
                assert_eq!(cells.len(), header.len(), "row {l:?}");
                return header
                    .iter()
                    .cloned()
                    .zip(cells.iter().map(|c| (*c).to_owned()))
                    .collect();
            }
            if cells.is_empty() {
                break;
            }
        }
        panic!("no row for {name} in\n{}", self.text)
    }

    /// The line table of `name`: each line number's cells by header, the source left out.
    fn lines(&self, name: &str) -> HashMap<u32, HashMap<String, String>> {
        let title = format!("Lines of {name} (");
        let mut lines = self.text.lines().skip_while(|l| !l.starts_with(&title));
        lines
            .next()
            .unwrap_or_else(|| panic!("no line table for {name} in\n{}", self.text));
        let header: Vec<String> = lines
            .next()
            .unwrap()
            .split_whitespace()
            .take_while(|h| *h != "Source")
            .map(str::to_owned)
            .collect();
        let header = merge_percent(&header);
        let mut rows = HashMap::new();
        for l in lines {
            let cells: Vec<&str> = l.split_whitespace().collect();
            if cells.is_empty() {
                break;
            }
            let row: HashMap<String, String> = header
                .iter()
                .cloned()
                .zip(cells.iter().map(|c| (*c).to_owned()))
                .collect();
            rows.insert(cells[0].parse().unwrap(), row);
        }
        rows
    }
}

/// `Total calls` and `Total time` are one header each.
fn merge_total(header: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut words = header.iter();
    while let Some(w) = words.next() {
        if *w == "Total" {
            out.push(format!("Total {}", words.next().unwrap()));
        } else {
            out.push((*w).to_owned());
        }
    }
    out
}

/// `% Fn` is one header.
fn merge_percent(header: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut words = header.iter();
    while let Some(w) = words.next() {
        if w == "%" {
            out.push(format!("% {}", words.next().unwrap()));
        } else {
            out.push(w.clone());
        }
    }
    out
}

fn num(cells: &HashMap<String, String>, key: &str) -> f64 {
    cells
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in {cells:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {cells:?}"))
}

fn int(cells: &HashMap<String, String>, key: &str) -> i64 {
    cells[key]
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not an integer in {cells:?}"))
}

fn function<'a>(profile: &'a Value, suffix: &str) -> &'a Value {
    profile["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no function {suffix}"))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// An integer field (`net_bytes` can be negative), 0 when absent.
fn u(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or(0)
}

/// A line's field in a function's JSON, 0 when the line did not record.
fn line_field(f: &Value, line: u32, key: &str) -> i64 {
    f["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == line)
        .map_or(0, |l| u(l, key))
}

/// Checks that `rate` is `value / seconds` as printed with one decimal (times in ms with three).
fn assert_rate(rate: f64, value: f64, seconds: f64, decimals: i32, what: &str) {
    let expected = value / seconds;
    let resolution = 0.5 * 10f64.powi(-decimals);
    // The value itself is printed rounded too; the interval to the µs.
    let slack = resolution + resolution / seconds + expected * 1e-6 / seconds;
    assert!(
        (rate - expected).abs() <= slack,
        "{what}: {rate} per s printed, {value} in {seconds} s is {expected}"
    );
}

// ---------------------------------------------------------------------------------------------
// --once

/// Exactly 1000 calls of `step` happen between top's two snapshots (the workload waits for
/// the first, then calls, then writes its own profile); the interval top prints is the
/// workload's own profile after the calls less its profile before them.
#[test]
fn once_against_a_process_gives_its_own_figures_for_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (
        dir.path().join("before.json"),
        dir.path().join("after.json"),
    );
    let mut w = Workload::start(
        dir.path(),
        &[
            "gated",
            "1000",
            before.to_str().unwrap(),
            after.to_str().unwrap(),
        ],
        Some("1"),
    );
    let r = run(&["top", "--once", "--pid", &w.pid(), "--refresh", "1"]);
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    w.expect_line("done");
    assert!(w.is_running(), "SIGUSR1 did not end the recording program");
    w.finish();
    // The snapshots went where the runtime puts them without LABLINK_PROFILE_OUT.
    assert!(
        dir.path()
            .join(format!("lablink-profile-{}.json", w.child.id()))
            .exists()
    );

    let once = Once { text: r.stdout };
    let (a, b) = (read_json(&before), read_json(&after));
    let (fa, fb) = (function(&a, "::step"), function(&b, "::step"));
    let seconds = once.interval();
    assert!(
        (1.0..1.5).contains(&seconds),
        "the two snapshots were asked for 1 s apart, printed {seconds}"
    );

    let row = once.function("top_workload::step");
    assert_eq!(int(&row, "Calls"), 1000);
    assert_eq!(int(&row, "Calls"), u(fb, "calls") - u(fa, "calls"));
    assert_eq!(int(&row, "Total calls"), u(fb, "calls"));
    let time_ns = (u(fb, "total_ns") - u(fa, "total_ns")) as f64;
    assert!(
        (num(&row, "Time") - time_ns / 1e6).abs() <= 0.001,
        "Time {} ms, the workload's own {time_ns} ns",
        num(&row, "Time")
    );
    assert_rate(num(&row, "Calls/s"), 1000.0, seconds, 1, "calls");
    assert_rate(num(&row, "Time/s"), num(&row, "Time"), seconds, 3, "time");
    let sum_lines = |f: &Value, key: &str| -> i64 {
        f["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| u(l, key))
            .sum()
    };
    let alloc = sum_lines(fb, "alloc_bytes") - sum_lines(fa, "alloc_bytes");
    assert_eq!(int(&row, "Alloc"), alloc);
    assert!(alloc >= 1000 * 8000, "1000 Vec<u64> of 1000: {alloc} bytes");
    assert_eq!(
        int(&row, "Allocs"),
        sum_lines(fb, "allocs") - sum_lines(fa, "allocs")
    );
    assert_eq!(
        int(&row, "Net"),
        sum_lines(fb, "net_bytes") - sum_lines(fa, "net_bytes")
    );
    assert_rate(num(&row, "Alloc/s"), alloc as f64, seconds, 1, "bytes");

    // Line by line: hits, bytes exact; times to the µs, adding up to the function's.
    let lines = once.lines("top_workload::step");
    assert!(lines.len() >= 3, "step's lines: {lines:?}");
    let mut time_sum = 0.0;
    for (n, cells) in &lines {
        let delta = |key: &str| line_field(fb, *n, key) - line_field(fa, *n, key);
        assert_eq!(int(cells, "Hits"), delta("hits"), "hits of line {n}");
        assert_eq!(
            int(cells, "Hits"),
            1000,
            "every line of step runs once a call"
        );
        assert_eq!(int(cells, "Alloc"), delta("alloc_bytes"), "line {n}");
        assert_eq!(int(cells, "Net"), delta("net_bytes"), "line {n}");
        assert_eq!(int(cells, "Allocs"), delta("allocs"), "line {n}");
        assert!(
            (num(cells, "Time") - delta("time_ns") as f64 / 1e6).abs() <= 0.001,
            "time of line {n}"
        );
        assert_rate(num(cells, "Hits/s"), 1000.0, seconds, 1, "hits");
        time_sum += num(cells, "Time");
    }
    assert!(
        (time_sum - num(&row, "Time")).abs() <= 0.0005 * (lines.len() as f64 + 1.0),
        "line times {time_sum} ms add up to the function's {} ms",
        num(&row, "Time")
    );
    // The warm-up call happened before the first snapshot: not in the interval.
    assert_eq!(u(fa, "calls"), 1);
}

/// Writes `profile` to `path` the way the runtime does (beside it, then renamed), stamped
/// `modified`.
fn write_snapshot(path: &Path, text: &str, modified: SystemTime) {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.set_modified(modified).unwrap();
    drop(f);
    std::fs::rename(&tmp, path).unwrap();
}

/// `lablink-prof top --once FILE`, started, its output piped.
fn spawn_once(path: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_lablink-prof"))
        .args(["top", "--once", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A profile with one function, `app::handle`, of `calls` calls: line 11 one hit, 1 µs and
/// 64 bytes a call; line 12 three hits and 2 µs a call.
fn handle_profile(calls: u64) -> String {
    serde_json::json!({
        "format": "lablink-prof", "version": 1, "heap_counted": true,
        "functions": [{
            "name": "app::handle", "file": "src/app.rs", "line": 10,
            "calls": calls, "total_ns": calls * 3000,
            "source": ["fn handle() {", "    let buf = vec![0u8; 64];", "    parse(&buf);", "}"],
            "lines": [
                {"line": 11, "hits": calls, "time_ns": calls * 1000, "alloc_bytes": calls * 64,
                 "freed_bytes": 0, "net_bytes": calls * 64, "allocs": calls},
                {"line": 12, "hits": calls * 3, "time_ns": calls * 2000}
            ]
        }]
    })
    .to_string()
}

/// The file as it is, a corrupt version (skipped, with a note), then a version 2 s later
/// with 500 more calls: 250 calls a second exactly.
#[test]
fn once_follows_a_rewritten_file_and_skips_a_corrupt_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.json");
    let t0 = SystemTime::now() - Duration::from_secs(60);
    write_snapshot(&path, &handle_profile(100), t0);
    let child = spawn_once(&path);
    std::thread::sleep(Duration::from_millis(500));
    write_snapshot(
        &path,
        r#"{"format": "lablink-prof", "version": 1, "funct"#,
        t0 + Duration::from_secs(1),
    );
    std::thread::sleep(Duration::from_millis(500));
    write_snapshot(&path, &handle_profile(600), t0 + Duration::from_secs(2));
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr:\n{stderr}");
    assert!(
        stderr.contains("skipped a snapshot") && stderr.contains("ends early (truncated?)"),
        "stderr:\n{stderr}"
    );
    let once = Once {
        text: String::from_utf8_lossy(&out.stdout).into_owned(),
    };
    assert_eq!(once.interval(), 2.0);
    let row = once.function("app::handle");
    assert_eq!(row["Calls"], "500");
    assert_eq!(row["Calls/s"], "250.0");
    assert_eq!(row["Time"], "1.500");
    assert_eq!(row["Time/s"], "0.750");
    assert_eq!(row["Alloc"], "32000");
    assert_eq!(row["Alloc/s"], "16000.0");
    assert_eq!(row["Allocs"], "500");
    assert_eq!(row["Total calls"], "600");
    assert_eq!(row["Total time"], "1.800");
    let lines = once.lines("app::handle");
    assert_eq!(lines[&11]["Hits"], "500");
    assert_eq!(lines[&11]["Time"], "0.500");
    assert_eq!(lines[&11]["% Fn"], "33.3");
    assert_eq!(lines[&12]["Hits"], "1500");
    assert_eq!(lines[&12]["Hits/s"], "750.0");
    assert_eq!(lines[&12]["Time"], "1.000");
    assert_eq!(lines[&12]["% Fn"], "66.7");
    assert!(once.text.contains("Total time") && !once.text.contains("Note:"));
    // Not a sampled profile: no on-CPU/off-CPU columns, no note on sampling.
    assert!(!once.text.contains("On-CPU"), "{}", once.text);
    assert!(!once.text.contains("Times sampled"), "{}", once.text);
}

/// With the sampled mode's `cpu_ns` on lines, their on-CPU time and off-CPU time (the rest of
/// their time, the model's `off_cpu_ns()`) in the interval are shown.
#[test]
fn once_shows_on_and_off_cpu_time_of_a_sampled_profile() {
    let sampled = |calls: u64| {
        let mut p: Value = serde_json::from_str(&handle_profile(calls)).unwrap();
        let lines = p["functions"][0]["lines"].as_array_mut().unwrap();
        // Line 11 takes 1000 ns a call, 700 of them on a CPU; line 12 2000 ns, all on a CPU.
        lines[0]["cpu_ns"] = serde_json::json!(calls * 700);
        lines[1]["cpu_ns"] = serde_json::json!(calls * 2000);
        p["mode"] = serde_json::json!("sampled");
        p["sample_interval_ns"] = serde_json::json!(1_000_000);
        p.to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sampled.json");
    let t0 = SystemTime::now() - Duration::from_secs(60);
    write_snapshot(&path, &sampled(1000), t0);
    let child = spawn_once(&path);
    std::thread::sleep(Duration::from_millis(500));
    write_snapshot(&path, &sampled(3000), t0 + Duration::from_secs(4));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let once = Once {
        text: String::from_utf8_lossy(&out.stdout).into_owned(),
    };
    assert_eq!(once.interval(), 4.0);
    let row = once.function("app::handle");
    // 2000 calls: (700 + 2000) ns and 300 ns each.
    assert_eq!(row["On-CPU"], "5.400");
    assert_eq!(row["Off-CPU"], "0.600");
    let lines = once.lines("app::handle");
    assert_eq!(lines[&11]["On-CPU"], "1.400");
    assert_eq!(lines[&11]["Off-CPU"], "0.600");
    assert_eq!(lines[&12]["On-CPU"], "4.000");
    assert_eq!(lines[&12]["Off-CPU"], "0.000");
    assert!(
        once.text.contains(
            "\nTimes sampled every 1.00 ms: calls and hits are exact; a time of n samples is \
             within 1.96 × √n × 1.00 ms of the truth (95%).\n"
        ),
        "{}",
        once.text
    );
}

#[test]
fn once_on_a_file_never_rewritten_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("still.json");
    write_snapshot(&path, &handle_profile(1), SystemTime::now());
    let r = run(&["top", "--once", path.to_str().unwrap(), "--timeout", "0.5"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("still.json was not rewritten in 0.5 s"),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals

/// SIGUSR1 ends a program that does not record: top checks its environment and sends nothing.
#[test]
fn a_program_that_is_not_recording_is_left_alone_with_the_setting_named() {
    let dir = tempfile::tempdir().unwrap();
    for (profiling, says) in [
        (None, "LABLINK_PROFILING is not in its environment"),
        (Some("0"), "its environment has LABLINK_PROFILING=0"),
    ] {
        let mut w = Workload::start(dir.path(), &["steady"], profiling);
        wait_for_exec(w.child.id(), "top_workload");
        let r = run(&["top", "--once", "--pid", &w.pid()]);
        assert_eq!(r.code, 2, "stdout:\n{}", r.stdout);
        assert!(
            r.stderr.contains(&format!(
                "process {}: top_workload is not recording",
                w.pid()
            )) && r.stderr.contains(says)
                && r.stderr.contains("start it with LABLINK_PROFILING=1"),
            "{}",
            r.stderr
        );
        assert!(w.is_running(), "the program was ended");
    }
}

/// Waits until process `pid` runs `name` (a child just spawned may not have exec'd yet: until
/// then it is a copy of the test, with the test's environment).
fn wait_for_exec(pid: u32, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        != name
    {
        assert!(Instant::now() < deadline, "process {pid} never ran {name}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Recording on, but no profiled call yet: SIGUSR1 is not caught, so it is not sent.
#[test]
fn a_program_that_has_not_started_recording_is_not_signalled() {
    let mut child = Command::new("sleep")
        .arg("30")
        .env("LABLINK_PROFILING", "1")
        .spawn()
        .expect("sleep runs");
    wait_for_exec(child.id(), "sleep");
    let r = run(&[
        "top",
        "--once",
        "--pid",
        &child.id().to_string(),
        "--timeout",
        "0.3",
    ]);
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("has not started recording in 0.3 s")
            && r.stderr.contains("nothing was sent to it"),
        "{}",
        r.stderr
    );
    assert!(alive, "sleep was ended");
}

#[test]
fn the_view_without_a_terminal_points_to_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.json");
    write_snapshot(&path, &handle_profile(1), SystemTime::now());
    let r = run(&["top", path.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "lablink-prof: error: the live view needs a terminal; for text, use top --once"
    );
    assert_eq!(r.stdout, "", "nothing drawn");
}

#[test]
fn a_pid_with_no_process_is_an_error() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id().to_string();
    child.wait().unwrap();
    let r = run(&["top", "--once", "--pid", &pid]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        format!("lablink-prof: error: process {pid}: there is no such process")
    );
}

// ---------------------------------------------------------------------------------------------
// The view, in tmux

/// A tmux server of its own (`-L`), killed, and its socket removed, when dropped.
struct Tmux {
    socket: String,
    socket_path: Option<PathBuf>,
}

impl Tmux {
    /// Runs `command` in a detached session of `width` x `height`; afterwards the pane shows
    /// `EXIT=status`, the terminal's `icanon`/`echo` modes and `END`, and stays open.
    fn start(name: &str, width: u16, height: u16, command: &str) -> Tmux {
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "tmux is needed for the view's tests and was not found: install it with \
             `apt-get install -y tmux` (Debian; .ci/run installs it)"
        );
        let mut tmux = Tmux {
            socket: format!("lablink-top-{name}-{}", std::process::id()),
            socket_path: None,
        };
        let script = format!(
            "{command}; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)'; \
             echo END; sleep 600"
        );
        tmux.run(&[
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &script,
        ]);
        let path = tmux.run(&["display", "-p", "#{socket_path}"]);
        tmux.socket_path = Some(PathBuf::from(path.trim()));
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    /// The screen once `ready` holds for it; panics with the last screen after 30 s.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited 30 s for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn top_command(args: &str) -> String {
    format!("'{}' top {args}", env!("CARGO_BIN_EXE_lablink-prof"))
}

/// The function rows of the screen (between the table's header and the next blank line), as
/// (selected, cells).
fn function_rows(screen: &str) -> Vec<(bool, Vec<String>)> {
    screen
        .lines()
        .skip_while(|l| !l.trim_end().ends_with(" Function"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let selected = l.starts_with('>');
            let cells = l
                .trim_start_matches('>')
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            (selected, cells)
        })
        .collect()
}

fn names(rows: &[(bool, Vec<String>)]) -> Vec<&str> {
    rows.iter()
        .map(|(_, c)| c.last().map_or("", String::as_str))
        .collect()
}

/// Opens on a recording program, sorts, selects a function and its lines, switches to the
/// memory columns, survives a resize to 80 columns, and quits with the terminal restored.
#[test]
fn the_view_opens_sorts_selects_and_quits_restoring_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let w = Workload::start(dir.path(), &["steady"], Some("1"));
    let tmux = Tmux::start(
        "view",
        100,
        30,
        &top_command(&format!("--pid {} --refresh 0.5", w.pid())),
    );
    // By time in the last interval: the request (which includes its checksum) first, then the
    // checksum; warm_up, done before, has no time in it.
    let screen = tmux.wait_for("two snapshots", |s| s.contains("interval 0."));
    assert!(
        screen.contains("sorted by time in the last interval"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("top_workload (pid {})", w.pid())),
        "{screen}"
    );
    assert!(
        screen.contains("q quit") && screen.contains("s sort"),
        "{screen}"
    );
    let rows = function_rows(&screen);
    assert_eq!(
        names(&rows),
        [
            "top_workload::serve_request",
            "top_workload::checksum",
            "top_workload::warm_up"
        ],
        "{screen}"
    );
    // Each request calls the checksum once: the same calls per second.
    assert_eq!(rows[0].1[0], rows[1].1[0], "calls/s:\n{screen}");
    assert!(rows[0].1[0].parse::<f64>().unwrap() > 10.0, "{screen}");
    assert_eq!(rows[2].1[0], "0.0", "{screen}");
    assert!(rows[0].0, "the first function is selected:\n{screen}");
    assert!(
        screen.contains("Lines of top_workload::serve_request (")
            && screen.contains("let words = body.split(' ').count();"),
        "{screen}"
    );

    // `s`: by total time, warm_up's long start first; the selection, not moved yet, follows
    // the first row.
    tmux.keys(&["s"]);
    let screen = tmux.wait_for("the total sort", |s| s.contains("sorted by total time"));
    let rows = function_rows(&screen);
    assert_eq!(names(&rows)[0], "top_workload::warm_up", "{screen}");
    assert!(rows[0].0, "{screen}");
    assert!(
        screen.contains("Lines of top_workload::warm_up ("),
        "{screen}"
    );

    // Down twice: the checksum, and its lines with their source. Chosen, it stays selected
    // whatever the order.
    tmux.keys(&["Down", "Down"]);
    let screen = tmux.wait_for("the checksum's lines", |s| {
        s.contains("Lines of top_workload::checksum (")
    });
    assert!(
        screen.contains("sum = sum.wrapping_mul(131).wrapping_add(u64::from(*b));"),
        "{screen}"
    );
    tmux.keys(&["s"]);
    let screen = tmux.wait_for("the interval sort", |s| {
        s.contains("sorted by time in the last interval")
    });
    let rows = function_rows(&screen);
    assert_eq!(names(&rows)[1], "top_workload::checksum", "{screen}");
    assert!(rows[1].0, "the checksum is still selected:\n{screen}");

    // Enter: the arrows move through the lines.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the line focus", |s| s.contains("Esc back"));
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with(">") && l.contains("fn checksum")),
        "{screen}"
    );
    tmux.keys(&["Down"]);
    tmux.wait_for("the next line", |s| {
        s.lines()
            .any(|l| l.starts_with(">") && l.contains("let mut sum = 0u64;"))
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the function focus", |s| s.contains("Enter lines"));

    // `m`: memory columns; the request allocates its body every call.
    tmux.keys(&["m"]);
    let screen = tmux.wait_for("the memory columns", |s| s.contains("Alloc/s"));
    assert!(
        screen.contains("sorted by bytes in the last interval"),
        "{screen}"
    );
    let rows = function_rows(&screen);
    assert_eq!(names(&rows)[0], "top_workload::serve_request", "{screen}");

    // 80 columns: the footer and the keys still fit.
    tmux.run(&["resize-window", "-x", "80", "-y", "24"]);
    assert_eq!(
        tmux.run(&["display", "-p", "#{window_width}x#{window_height}"])
            .trim(),
        "80x24"
    );
    tmux.wait_for("the view redrawn in 80 columns", |s| {
        s.lines().count() == 24
            && s.lines().all(|l| l.chars().count() <= 80)
            && s.lines().any(|l| {
                l.contains(&format!("top_workload (pid {})", w.pid()))
                    && l.contains(" · up ")
                    && l.contains(" s old · interval 0.")
            })
            && s.contains("q quit")
            && s.contains("top_workload::serve_request")
    });

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the shell", |s| s.lines().any(|l| l.trim() == "END"));
    assert!(screen.contains("EXIT=0"), "{screen}");
    let modes: Vec<&str> = screen
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with("icanon") || l.ends_with("echo"))
        .collect();
    assert_eq!(modes, ["icanon", "echo"], "the terminal's modes:\n{screen}");
    assert_eq!(
        tmux.run(&["display", "-p", "#{alternate_on} #{cursor_flag}"])
            .trim(),
        "0 1",
        "back from the alternate screen, cursor shown"
    );
}

/// The program ends under the view: it says so and keeps its last figures, those of the profile
/// it wrote on the way out (to LABLINK_PROFILE_OUT, relative to its working directory).
#[test]
fn the_view_says_when_the_program_ends_and_keeps_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Workload::start_with(
        dir.path(),
        &["steady"],
        Some("1"),
        &[("LABLINK_PROFILE_OUT", "final-{pid}.json")],
    );
    let tmux = Tmux::start(
        "ended",
        100,
        30,
        &top_command(&format!("--pid {} --refresh 0.3", w.pid())),
    );
    let before = tmux.wait_for("two snapshots", |s| s.contains("interval 0."));
    let rows_before = function_rows(&before);
    w.finish();
    let screen = tmux.wait_for("the end", |s| s.contains("ENDED"));
    assert!(
        screen.contains(&format!(
            "ENDED: top_workload (pid {}) has ended; these are its last figures",
            w.pid()
        )),
        "{screen}"
    );
    let rows = function_rows(&screen);
    assert_eq!(names(&rows), names(&rows_before), "{screen}");
    // The totals are the exit report's.
    let last = read_json(&dir.path().join(format!("final-{}.json", w.pid())));
    for (_, cells) in &rows {
        let name = cells.last().unwrap();
        let total_ns = u(function(&last, name), "total_ns");
        let total = lablink_prof::report::units::duration(total_ns as f64);
        assert_eq!(
            cells[cells.len() - 3..cells.len() - 1].join(" "),
            total,
            "{name}:\n{screen}"
        );
    }
    // Nothing changes any more.
    std::thread::sleep(Duration::from_millis(800));
    let later = tmux.screen();
    assert_eq!(function_rows(&later), rows, "{later}");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the shell", |s| s.lines().any(|l| l.trim() == "END"));
    assert!(screen.contains("EXIT=0"), "{screen}");
}

/// A file: a corrupt version is skipped with a note; the next whole one gives the interval.
#[test]
fn the_view_skips_a_corrupt_snapshot_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.json");
    let t0 = SystemTime::now() - Duration::from_secs(60);
    write_snapshot(&path, &handle_profile(100), t0);
    let tmux = Tmux::start(
        "corrupt",
        100,
        30,
        &top_command(&format!("'{}' --refresh 0.2", path.display())),
    );
    let screen = tmux.wait_for("the first snapshot", |s| s.contains("app::handle"));
    assert!(screen.contains("uptime unknown"), "{screen}");
    assert!(screen.contains("rates after the next snapshot"), "{screen}");
    write_snapshot(
        &path,
        "{\"format\": \"lablink-prof\", [",
        t0 + Duration::from_secs(1),
    );
    let screen = tmux.wait_for("the note", |s| s.contains("note: skipped a snapshot"));
    assert!(
        screen.contains("live.json: not valid JSON: key must be a string (byte 27"),
        "{screen}"
    );
    assert!(
        screen.contains("app::handle"),
        "the last figures stay:\n{screen}"
    );
    write_snapshot(&path, &handle_profile(600), t0 + Duration::from_secs(2));
    let screen = tmux.wait_for("the interval", |s| s.contains("interval 2.00 s"));
    let rows = function_rows(&screen);
    // 500 calls in 2 s; 1.5 ms in 2 s; 1.80 ms in total.
    assert_eq!(
        rows[0].1,
        ["250.0", "750.0", "µs", "1.80", "ms", "app::handle"],
        "{screen}"
    );
    assert!(
        screen
            .lines()
            .any(|l| l.contains("let buf = vec![0u8; 64];")
                && l.split_whitespace().take(4).collect::<Vec<_>>()
                    == ["11", "250.0", "250.0", "µs"]),
        "{screen}"
    );
    tmux.keys(&["q"]);
    assert!(
        tmux.wait_for("the shell", |s| s.lines().any(|l| l.trim() == "END"))
            .contains("EXIT=0")
    );
}

/// A sampled profile: the view's title says its times are sampled, and how uncertain they are.
#[test]
fn the_view_of_a_sampled_profile_says_its_times_are_sampled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sampled.json");
    let mut p: Value = serde_json::from_str(&handle_profile(100)).unwrap();
    p["mode"] = serde_json::json!("sampled");
    p["sample_interval_ns"] = serde_json::json!(250_000);
    write_snapshot(&path, &p.to_string(), SystemTime::now());
    let tmux = Tmux::start(
        "sampled",
        170,
        30,
        &top_command(&format!("'{}' --refresh 0.2", path.display())),
    );
    let screen = tmux.wait_for("the first snapshot", |s| s.contains("app::handle"));
    assert!(
        screen.lines().next().is_some_and(|l| l.ends_with(
            "(time columns)  times sampled every 250.0 µs: ± 1.96 × √n × 250.0 µs for n samples (95%)"
        )),
        "{screen}"
    );
    tmux.keys(&["q"]);
    assert!(
        tmux.wait_for("the shell", |s| s.lines().any(|l| l.trim() == "END"))
            .contains("EXIT=0")
    );
}
