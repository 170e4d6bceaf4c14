//! The reader on the inputs the issue found: each case names the file, the place and the
//! problem (exit 2), or works and says what is odd on stderr (exit 0). Never a panic.

mod common;

use std::path::{Path, PathBuf};

use common::{function_mut, golden_json, ok, run, server, write_json};
use serde_json::{Value, json};

fn server_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(server()).unwrap()).unwrap()
}

/// Renames function `old` (by suffix) to `new`, and the callers' edges that name it.
fn rename(p: &mut Value, old: &str, new: &str) {
    let f = function_mut(p, old);
    let old_name = f["name"].clone();
    f["name"] = new.into();
    for f in p["functions"].as_array_mut().unwrap() {
        for c in f["callers"].as_array_mut().unwrap() {
            if c["caller"] == old_name {
                c["caller"] = new.into();
            }
        }
    }
}

fn refused(args: &[&str], file: &Path) -> String {
    let r = run(args);
    assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(r.stderr.contains(file.to_str().unwrap()), "{}", r.stderr);
    r.stderr
}

#[test]
fn wrong_type_names_path_function_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = server_json();
    function_mut(&mut p, "parse_command")["lines"][2]["hits"] = "many".into();
    let path = write_json(dir.path(), "wrong.json", &p);
    let index = p["functions"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f["name"].as_str().unwrap().ends_with("parse_command"))
        .unwrap();
    let e = refused(&["view", path.to_str().unwrap()], &path);
    assert!(
        e.contains(&format!(
            "at functions[{index}].lines[2].hits (function \"lablink_core::execution::parse_command\"): \
             a field is missing or wrong: invalid type: string \"many\", expected u64"
        )),
        "{e}"
    );
    // The byte offset points into the file at the bad value's last byte.
    let bytes = std::fs::read(&path).unwrap();
    let at: usize = e
        .split("(byte ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(&bytes[at - 5..=at], b"\"many\"");
}

#[test]
fn missing_field_and_truncation_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = server_json();
    function_mut(&mut p, "crc_tree")
        .as_object_mut()
        .unwrap()
        .remove("total_ns");
    let path = write_json(dir.path(), "missing.json", &p);
    let e = refused(&["stats", path.to_str().unwrap()], &path);
    assert!(
        e.contains("(function \"lablink_core::backup::checksum::crc_tree\")")
            && e.contains("missing field `total_ns`"),
        "{e}"
    );

    let text = std::fs::read(server()).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &text[..1000]).unwrap();
    let e = refused(&["html", cut.to_str().unwrap(), "-o", "-"], &cut);
    assert!(e.contains("ends early") && e.contains("(byte 1000,"), "{e}");
}

#[test]
fn out_of_range_figures_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (field, value, says) in [
        (
            "hits",
            json!(u64::MAX),
            "hits is 18446744073709551615, out of range",
        ),
        (
            "hits",
            json!(-1),
            "invalid value: integer `-1`, expected u64",
        ),
        ("line", json!(5_000_000_000u64), "expected u32"),
        ("time_ns", json!(1u64 << 53), ""),
    ] {
        let mut p = server_json();
        function_mut(&mut p, "execute_command")["lines"][0][field] = value.clone();
        if field == "time_ns" {
            // 2^53 is allowed on a line, but 33 such lines add up to more than 2^58.
            for f in p["functions"].as_array_mut().unwrap() {
                for l in f["lines"].as_array_mut().unwrap() {
                    l["time_ns"] = value.clone();
                }
            }
        }
        let path = write_json(dir.path(), "range.json", &p);
        let e = refused(&["view", path.to_str().unwrap()], &path);
        assert!(e.contains(says), "{field}={value}: {e}");
        if field != "time_ns" {
            assert!(e.contains("execute_command"), "{e}");
        } else {
            // The 33rd line of the file, in its last function.
            assert!(
                e.contains("(\"lablink_core::execution::parse_command\"), line "),
                "{e}"
            );
            assert!(
                e.contains("time_ns figures of the file add up to more than 2^58"),
                "{e}"
            );
        }
    }
}

#[test]
fn huge_names_work_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = server_json();
    let huge = "a::".repeat(21_840); // 65,520 characters: `{:<width$}` panicked past 65,535.
    rename(&mut p, "parse_command", &huge);
    let path = write_json(dir.path(), "huge.json", &p);
    let f = path.to_str().unwrap();
    let r = ok(&["stats", "--callers", "--callees", f]);
    // Every caller row is padded to the widest name, the huge one: 65,520 + the file:line.
    let width = format!("src/execution/mod.rs:40({huge})").len() + 2;
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("src/backup/checksum.rs:8(") && l.contains("<-"))
        .unwrap();
    assert_eq!(
        row.find("<-"),
        Some(width),
        "caller rows aligned at the width"
    );
    for args in [
        vec!["view", f],
        vec!["flamegraph", f, "-o", "-"],
        vec!["html", f, "-o", "-"],
        vec!["diff", server().to_str().unwrap(), f],
    ] {
        let r = run(&args);
        assert!(matches!(r.code, 0 | 1), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn control_characters_keep_folded_stacks_one_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = server_json();
    rename(&mut p, "parse_command", "x::parse\nnew;line\t 12");
    let path = write_json(dir.path(), "newline.json", &p);
    let plain = ok(&[
        "flamegraph",
        "--folded",
        server().to_str().unwrap(),
        "-o",
        "-",
    ])
    .stdout;
    let odd = ok(&["flamegraph", "--folded", path.to_str().unwrap(), "-o", "-"]).stdout;
    // The same stacks, with the same counts, the name escaped in place.
    assert_eq!(plain.lines().count(), odd.lines().count());
    let renamed = plain.replace(
        "lablink_core::execution::parse_command:",
        "x::parse\\nnew,line\\t 12:",
    );
    let mut a: Vec<&str> = renamed.lines().collect();
    let mut b: Vec<&str> = odd.lines().collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
    assert!(odd.contains("x::parse\\nnew,line\\t 12:41 "), "{odd}");
}

#[test]
fn lines_outside_the_source_are_shown_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = golden_json("minimal_v1.json");
    let work = function_mut(&mut p, "quickstart::work");
    // Source is lines 7 to 15; line 18 holds most of the time now.
    work["lines"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "line": 18, "hits": 3, "time_ns": 200_000_000 }));
    work["total_ns"] = json!(67_012_345u64 + 200_000_000);
    let path = write_json(dir.path(), "outside.json", &p);
    let r = ok(&[
        "view",
        path.to_str().unwrap(),
        "-f",
        "work",
        "--layout",
        "kernprof",
    ]);
    assert!(
        r.stderr.contains(
            "functions[1] (\"quickstart::work\"): line 18 is outside its source (lines 7 to 15)"
        ),
        "{}",
        r.stderr
    );
    // kernprof's row: hits 3, 200,000,000 ns, per hit 66,666,666.7 (`%8.1f` too wide, so
    // kernprof's `%8.2g`: 7e+07), 74.9 % of 267,012,345 ns.
    let row = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("18 "))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells, ["18", "3", "200000000.0", "7e+07", "74.9"], "{row}");
    // Line 10 keeps its own share: 16,800,000 of 267,012,345 ns = 6.3 %.
    let row = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("10 "))
        .unwrap();
    assert!(row.contains(" 6.3 "), "{row}");

    // A line before the function cannot be shown in the table: view says so.
    function_mut(&mut p, "quickstart::work")["lines"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({ "line": 2, "hits": 1, "time_ns": 0 }));
    let path = write_json(dir.path(), "before.json", &p);
    let r = ok(&["view", path.to_str().unwrap()]);
    assert!(
        r.stderr
            .contains("note: \"quickstart::work\": line 2 recorded but not in the table"),
        "{}",
        r.stderr
    );
    // html shows both, with their figures.
    let html = ok(&["html", path.to_str().unwrap(), "-o", "-"]).stdout;
    assert!(
        html.contains("<tr><td>18</td><td>3</td>"),
        "line 18 in the page"
    );
    assert!(
        html.contains("<tr><td>2</td><td>1</td>"),
        "line 2 in the page"
    );
}

#[test]
fn empty_profile_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty-profile.json");
    std::fs::write(
        &path,
        r#"{"format":"lablink-prof","version":1,"functions":[]}"#,
    )
    .unwrap();
    let f = path.to_str().unwrap();
    for args in [
        vec!["view", f],
        vec!["stats", f],
        vec!["diff", f, server().to_str().unwrap()],
        vec!["flamegraph", f, "-o", "-"],
        vec!["html", f, "-o", "-"],
        vec!["export", "--pstats", f, "-o", "-"],
    ] {
        let e = refused(&args, &path);
        assert!(
            e.contains("the profile is empty: it holds no function"),
            "{e}"
        );
    }
}

#[test]
fn inconsistent_counts_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = server_json();
    let f = function_mut(&mut p, "execute_command");
    f["primitive_calls"] = json!(150); // 100 calls
    let path: PathBuf = write_json(dir.path(), "odd.json", &p);
    let r = ok(&["stats", path.to_str().unwrap()]);
    let index = p["functions"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f["name"].as_str().unwrap().ends_with("execute_command"))
        .unwrap();
    let expected = format!(
        "lablink-prof: warning: {}: functions[{index}] (\"lablink_core::execution::execute_command\"): \
         primitive_calls (150) is more than calls (100); shown as recorded\n",
        path.display()
    );
    assert_eq!(r.stderr, expected);
    // Shown as recorded: pstats' ncalls `100/150`.
    assert!(r.stdout.contains("  100/150 "), "{}", r.stdout);
    // The golden file itself gives no warning.
    assert_eq!(ok(&["stats", server().to_str().unwrap()]).stderr, "");
}

/// A sampled profile's oddities are named and the profile shown: a frame of a function the
/// profile does not hold (drawn under its name), on-CPU time above the time (off-CPU shown as
/// 0), stacks in an exact profile (ignored).
#[test]
fn sampled_oddities_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = golden_json("sampled_ingest.json");
    p["stacks"][0]["frames"][0]["function"] = "ingest::gone".into();
    p["stacks"][1]["cpu_ns"] = 120_412_301u64.into();
    function_mut(&mut p, "ingest::checksum")["lines"][2]["cpu_ns"] = 210_187_401u64.into();
    let path = write_json(dir.path(), "odd.json", &p);
    let r = ok(&["flamegraph", path.to_str().unwrap(), "--folded", "-o", "-"]);
    let warn = |what: &str| format!("lablink-prof: warning: {}: {what}\n", path.display());
    assert!(
        r.stderr.contains(&warn(
            "stacks[0]: the frame \"ingest::gone\" is of no function in the profile; drawn as named"
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.starts_with("ingest::gone:12 1000700\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains(&warn(
            "stacks[1]: cpu_ns (120412301) is more than time_ns (120412300); its off-CPU time is taken as 0"
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&warn(
            "functions[2] (\"ingest::checksum\"): line 32: cpu_ns (210187401) is more than \
             time_ns (210187400); its off-CPU time is shown as 0"
        )),
        "{}",
        r.stderr
    );
    let view = ok(&["view", path.to_str().unwrap(), "-f", "checksum"]);
    let row = view
        .stdout
        .lines()
        .find(|l| l.starts_with("     32 "))
        .unwrap();
    assert!(row.contains(" 76.6 210.2 ms    0 ns "), "{row}");

    let mut exact = golden_json("sampled_ingest.json");
    exact["mode"] = "exact".into();
    let path = write_json(dir.path(), "exact.json", &exact);
    let r = ok(&["stats", path.to_str().unwrap()]);
    assert!(
        r.stderr
            .contains("an exact profile with sampled stacks: the stacks are ignored"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("Times sampled"), "{}", r.stdout);
}
