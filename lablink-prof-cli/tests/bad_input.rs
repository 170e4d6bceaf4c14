//! Every kind of bad file, with every subcommand: exit status 2, a message naming the file,
//! no panic, no output file.

mod common;

use std::path::{Path, PathBuf};

use common::{run, server};

/// Bad files of every kind, by what is wrong with them, and a word the message must contain.
fn bad_files(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let golden = std::fs::read_to_string(server()).unwrap();
    let mut newer: serde_json::Value = serde_json::from_str(&golden).unwrap();
    newer["version"] = 2.into();
    let mut wrong_field: serde_json::Value = serde_json::from_str(&golden).unwrap();
    wrong_field["functions"][0]["calls"] = "many".into();
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.json", Vec::new(), "empty"),
        (
            "truncated.json",
            golden.as_bytes()[..golden.len() / 2].to_vec(),
            "ends early",
        ),
        (
            "not-json.json",
            b"Timer unit: 1e-09 s\n".to_vec(),
            "not valid JSON",
        ),
        ("binary.json", vec![0xff, 0xfe, 0x00, 0x9c], "cannot read"),
        ("array.json", b"[1, 2, 3]".to_vec(), "format"),
        (
            "other-format.json",
            br#"{"format": "speedscope", "version": 1}"#.to_vec(),
            "speedscope",
        ),
        ("newer.json", newer.to_string().into_bytes(), "newer"),
        (
            "wrong-field.json",
            wrong_field.to_string().into_bytes(),
            "wrong",
        ),
        (
            "no-version.json",
            br#"{"format": "lablink-prof", "functions": []}"#.to_vec(),
            "version",
        ),
    ];
    let sampled = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut p = common::golden_json("sampled_ingest.json");
        change(&mut p);
        p.to_string().into_bytes()
    };
    let files: Vec<(&str, Vec<u8>, &str)> = files
        .into_iter()
        .chain([
            (
                "sampled-no-interval.json",
                sampled(&|p| {
                    p.as_object_mut().unwrap().remove("sample_interval_ns");
                }),
                "a sampled profile (\"mode\": \"sampled\") without a sample_interval_ns",
            ),
            (
                "stack-thread.json",
                sampled(&|p| p["stacks"][3]["thread"] = (1u64 << 31).into()),
                "stacks[3]: the thread index 2147483648 is out of range",
            ),
            (
                "stack-no-frame.json",
                sampled(&|p| p["stacks"][2]["frames"] = serde_json::json!([])),
                "stacks[2]: the stack has no frame",
            ),
            (
                "stack-samples.json",
                sampled(&|p| p["stacks"][1]["samples"] = ((1u64 << 53) + 1).into()),
                "stacks[1]: stacks.samples is 9007199254740993, out of range",
            ),
            (
                "stack-cpu-type.json",
                sampled(&|p| p["stacks"][0]["cpu_ns"] = "lots".into()),
                "at stacks[0].cpu_ns: a field is missing or wrong",
            ),
            (
                "mode.json",
                sampled(&|p| p["mode"] = "statistical".into()),
                "at mode: a field is missing or wrong: unknown variant `statistical`",
            ),
        ])
        .collect();
    let mut out: Vec<(PathBuf, &str)> = files
        .into_iter()
        .map(|(name, bytes, why)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            (path, why)
        })
        .collect();
    out.push((dir.join("missing.json"), "cannot read"));
    let sub = dir.join("a-directory.json");
    std::fs::create_dir(&sub).unwrap();
    out.push((sub, "directory"));
    out
}

fn expect_refused(args: &[&str], file: &Path, why: &str) {
    let r = run(args);
    assert_eq!(
        r.code, 2,
        "{args:?}: stdout {} stderr {}",
        r.stdout, r.stderr
    );
    let name = file.display().to_string();
    assert!(
        r.stderr.contains(&name),
        "{args:?}: message does not name the file: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains(why),
        "{args:?}: message does not say {why:?}: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
}

#[test]
fn every_subcommand_refuses_every_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.bin");
    let out_s = out.to_str().unwrap();
    let good = server();
    let good = good.to_str().unwrap();
    for (file, why) in bad_files(dir.path()) {
        let f = file.to_str().unwrap();
        expect_refused(&["view", f], &file, why);
        expect_refused(&["view", good, f], &file, why);
        expect_refused(&["stats", f], &file, why);
        expect_refused(&["diff", f, good], &file, why);
        expect_refused(&["diff", good, f], &file, why);
        expect_refused(&["flamegraph", f, "-o", out_s], &file, why);
        expect_refused(&["html", f, "-o", out_s], &file, why);
        expect_refused(&["export", "--pstats", f, "-o", out_s], &file, why);
        expect_refused(&["export", "--pprof", f, "-o", out_s], &file, why);
        assert!(!out.exists(), "an output file was written for {f}");
    }
}

#[test]
fn unwritable_output_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no/such/dir/out.svg");
    let (good, out) = (server(), out.to_str().unwrap().to_owned());
    let good = good.to_str().unwrap();
    for args in [
        ["flamegraph", good, "-o", &out].as_slice(),
        ["html", good, "-o", &out].as_slice(),
        ["export", "--pstats", good, "-o", &out].as_slice(),
    ] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("out.svg") && r.stderr.contains("cannot write"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"));
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec![],
        vec!["view"],
        vec!["frobnicate"],
        vec!["view", "x.json", "--layout", "xml"],
        vec!["stats", "x.json", "--sort", "random"],
        vec!["export", "x.json", "-o", "out.prof"],
        vec!["flamegraph", "x.json"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"));
    }
    let help = run(&["--help"]);
    assert_eq!(help.code, 0);
    for sub in ["view", "stats", "diff", "flamegraph", "html", "export"] {
        assert!(help.stdout.contains(sub), "{sub} missing from --help");
    }
}

#[test]
fn closed_stdout_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_lablink-prof"))
        .args(["view", server().to_str().unwrap(), "--per-thread"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    assert_eq!(out.status.code(), Some(0));
}
