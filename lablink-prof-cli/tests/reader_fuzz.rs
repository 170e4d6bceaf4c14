//! Generated bad inputs, fuzz-style: real profiles mutated at random (a field replaced by a
//! value of another type or out of range, removed, an element doubled, the bytes cut or
//! overwritten), run through every subcommand. Each run must work (exit 0, or 1 for a `diff`
//! regression) or exit 2 naming the file; none may panic.

mod common;

use std::path::Path;

use common::{golden, run, server};
use proptest::prelude::*;
use serde_json::Value;

/// A step into a JSON value.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every path in `value`, parents before children.
fn paths(value: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(Step::Key(k.clone()));
                paths(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(Step::Index(i));
                paths(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// What to do at a chosen place.
#[derive(Debug, Clone)]
enum Mutation {
    /// Put this value there.
    Replace(Value),
    /// Remove the field or element.
    Remove,
    /// Put a second copy of the element next to it (a function or line listed twice).
    Double,
    /// Rename a function, and its callers' edges with it (long names, control characters).
    Rename(String),
}

/// Names that go wrong in different ways.
fn names() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z:;<> \n\r\t\u{0}\u{1b}\u{7f}\u{2028}é✓]{0,24}",
        (60_000usize..70_000).prop_map(|n| "n::".repeat(n / 3)),
        Just("<root>".to_owned()),
        Just("<other>".to_owned()),
        Just(String::new()),
    ]
}

/// Values that go wrong in different ways.
fn values() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just(u64::MAX),
            Just(u64::MAX - 1),
            Just((1u64 << 53) + 1),
            Just(1u64 << 53),
            Just(u64::from(u32::MAX)),
            Just(0),
            Just(1),
        ]
        .prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z:;<> \n\r\t\u{0}\u{1b}\u{7f}\u{2028}é✓]{0,24}".prop_map(Value::from),
        (1usize..70_000).prop_map(|n| Value::from("n::".repeat(n / 3 + 1))),
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        Just(Value::Array(Vec::new())),
        Just(serde_json::json!({})),
        Just(serde_json::json!({ "line": 1, "hits": 1, "time_ns": 1 })),
        Just(serde_json::json!({ "caller": "<root>", "calls": 1, "time_ns": 1 })),
    ]
}

fn mutations() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => values().prop_map(Mutation::Replace),
        2 => Just(Mutation::Remove),
        1 => Just(Mutation::Double),
        2 => names().prop_map(Mutation::Rename),
    ]
}

/// Applies `mutation` at the `pick`-th place of `value`.
fn mutate(value: &mut Value, pick: usize, mutation: &Mutation) {
    if let Mutation::Rename(name) = mutation {
        // An earlier mutation may have replaced the whole profile: `get_mut`, since indexing a
        // value that is not an object to write panics in the test itself.
        let Some(functions) = value
            .get_mut("functions")
            .and_then(Value::as_array_mut)
            .filter(|f| !f.is_empty())
        else {
            return;
        };
        let n = pick % functions.len();
        // An earlier mutation may have made the function, or a caller, something else than an
        // object: indexing such a value to write would panic in the test itself.
        let Some(function) = functions[n].as_object_mut() else {
            return;
        };
        let old = function.get("name").cloned().unwrap_or(Value::Null);
        function.insert("name".to_owned(), Value::from(name.as_str()));
        for f in functions.iter_mut() {
            let callers = f.get_mut("callers").and_then(Value::as_array_mut);
            for c in callers.into_iter().flatten() {
                if let Some(c) = c.as_object_mut()
                    && c.get("caller") == Some(&old)
                {
                    c.insert("caller".to_owned(), Value::from(name.as_str()));
                }
            }
        }
        return;
    }
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    let path = &all[pick % all.len()];
    match (mutation, path.split_last()) {
        (Mutation::Replace(v), _) => *at(value, path) = v.clone(),
        (Mutation::Rename(_), _) | (_, None) => {}
        (Mutation::Remove, Some((last, parent))) => match (at(value, parent), last) {
            (Value::Object(map), Step::Key(k)) => {
                map.remove(k);
            }
            (Value::Array(items), Step::Index(i)) => {
                items.remove(*i);
            }
            _ => {}
        },
        (Mutation::Double, Some((last, parent))) => {
            if let (Value::Array(items), Step::Index(i)) = (at(value, parent), last) {
                let copy = items[*i].clone();
                items.insert(*i, copy);
            }
        }
    }
}

/// Every subcommand, on `file` (with `good` where a command takes two).
fn every_subcommand(file: &Path, good: &Path, out: &Path) {
    let (f, g, o) = (
        file.to_str().unwrap(),
        good.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let runs: [&[&str]; 14] = [
        &["view", f],
        &["view", "--layout", "kernprof", f],
        &["view", "--layout", "memory_profiler", f],
        &["view", "--layout", "json", f, g],
        &["view", "--per-thread", f, g],
        &["stats", f],
        &["stats", "--callers", "--callees", f],
        &["diff", g, f, "--lines"],
        &["diff", f, g],
        &["flamegraph", "--folded", f, "-o", "-"],
        &["flamegraph", f, "-o", o],
        &["html", f, "-o", o],
        &["export", "--pstats", f, "-o", o],
        &["stats", "--sort", "name", "--limit", "2", "--callers", f],
    ];
    for args in runs {
        let r = run(args);
        assert!(
            !r.stderr.contains("panicked") && r.code != 101,
            "{args:?} panicked: {}",
            r.stderr
        );
        let diff = args[0] == "diff";
        if r.code == 0 && args[1] == "--folded" {
            // One stack per line, `frames count`, whatever the names hold.
            for line in r.stdout.lines() {
                let (stack, count) = line.rsplit_once(' ').unwrap();
                assert!(count.parse::<u64>().is_ok(), "{args:?}: bad line {line:?}");
                assert!(!stack.chars().any(char::is_control), "{line:?}");
            }
        }
        match r.code {
            0 => {}
            1 if diff => {}
            2 => {
                assert!(
                    r.stderr.contains(f),
                    "{args:?}: exit 2 without naming the file: {}",
                    r.stderr
                );
                assert!(r.stderr.contains("lablink-prof: error: "), "{}", r.stderr);
            }
            code => panic!("{args:?}: exit {code}: {}", r.stderr),
        }
    }
}

fn base(which: bool) -> Value {
    let path = if which {
        server()
    } else {
        golden("minimal_v1.json")
    };
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// Fields mutated: one to three changes to a real profile.
    #[test]
    fn mutated_fields_never_panic(
        which in any::<bool>(),
        changes in proptest::collection::vec((any::<usize>(), mutations()), 1..4),
    ) {
        let mut value = base(which);
        for (pick, m) in &changes {
            mutate(&mut value, *pick, m);
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mutated.json");
        std::fs::write(&file, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
        every_subcommand(&file, &server(), &dir.path().join("out"));
    }

    /// Bytes cut or overwritten: truncated and corrupt files.
    #[test]
    fn mutated_bytes_never_panic(
        which in any::<bool>(),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        noise in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
    ) {
        let mut bytes = serde_json::to_vec_pretty(&base(which)).unwrap();
        for (i, b) in &noise {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("corrupt.json");
        std::fs::write(&file, &bytes).unwrap();
        every_subcommand(&file, &server(), &dir.path().join("out"));
    }
}

/// A well-formed profile built from generated parts: names of any kind, recursion and cycles
/// among callers, lines inside and outside the source.
fn generated_profile() -> impl Strategy<Value = Value> {
    let function = (
        names(),
        1u32..5_000,
        0usize..6,
        proptest::collection::vec((0u32..10, 0u64..1_000_000, 1u64..1_000_000_000), 1..6),
        1u64..1_000,
        proptest::collection::vec((0usize..8, 1u64..100, 1u64..1_000_000), 0..3),
    );
    proptest::collection::vec(function, 1..7).prop_map(|functions| {
        let n = functions.len();
        let mut names: Vec<String> = Vec::new();
        for (i, f) in functions.iter().enumerate() {
            // Names unique within the file (a repeated name is two entries of one function).
            let name = format!("{}#{i}", f.0);
            names.push(name);
        }
        let out: Vec<Value> = functions
            .iter()
            .enumerate()
            .map(|(i, (_, line, source, lines, calls, callers))| {
                let mut by_line = std::collections::BTreeMap::new();
                for &(offset, hits, time) in lines {
                    by_line.insert(line + offset, (hits, time));
                }
                let total: u64 = by_line.values().map(|v| v.1).sum();
                let lines: Vec<Value> = by_line
                    .iter()
                    .map(|(l, (hits, time))| json_line(*l, *hits, *time))
                    .collect();
                // Calls that all come from the function itself have no outermost call: a
                // root edge makes them possible.
                let mut callers = callers.clone();
                if !callers.is_empty() && callers.iter().all(|c| c.0 == i) {
                    callers.push((n, 1, 1));
                }
                let callers: Vec<Value> = callers
                    .iter()
                    .map(|&(from, c, t)| {
                        let caller = if from >= n { "<root>".to_owned() } else { names[from].clone() };
                        serde_json::json!({ "caller": caller, "line": line + 1, "calls": c, "time_ns": t })
                    })
                    .collect();
                serde_json::json!({
                    "name": names[i], "file": format!("src/f{i}.rs"), "line": line,
                    "calls": calls, "primitive_calls": calls, "total_ns": total,
                    "cumulative_ns": total, "own_ns": total,
                    "source": (0..*source).map(|k| format!("line {k}")).collect::<Vec<_>>(),
                    "lines": lines, "callers": callers,
                })
            })
            .collect();
        serde_json::json!({ "format": "lablink-prof", "version": 1, "functions": out })
    })
}

fn json_line(line: u32, hits: u64, time: u64) -> Value {
    serde_json::json!({ "line": line, "hits": hits, "time_ns": time })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Generated profiles: every subcommand works, and the figures come through: `stats`
    /// counts every call and own nanosecond, `view --layout json` gives the profile back.
    #[test]
    fn generated_profiles_work_with_their_figures(profile in generated_profile()) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("generated.json");
        std::fs::write(&file, serde_json::to_vec(&profile).unwrap()).unwrap();
        let f = file.to_str().unwrap();
        for args in [
            vec!["view", f], vec!["view", "--per-thread", f],
            vec!["stats", "--callers", "--callees", f],
            vec!["flamegraph", "--folded", f, "-o", "-"], vec!["html", f, "-o", "-"],
            vec!["export", "--pstats", f, "-o", "-"],
        ] {
            let r = run(&args);
            prop_assert_eq!(r.code, 0, "{:?}: {}", args, r.stderr);
        }
        let functions = profile["functions"].as_array().unwrap();
        let calls: u64 = functions.iter().map(|f| f["calls"].as_u64().unwrap()).sum();
        let own: u64 = functions.iter().map(|f| f["own_ns"].as_u64().unwrap()).sum();
        let stats = run(&["stats", f]).stdout;
        let head = format!("         {calls} function calls in {:.3} seconds\n", own as f64 / 1e9);
        prop_assert!(stats.starts_with(&head), "{} / {}", head, stats);
        prop_assert_eq!(stats.matches(".rs:").count(), functions.len());
        // The JSON layout gives back every function with its figures.
        let back: Value = serde_json::from_str(&run(&["view", "--layout", "json", f]).stdout).unwrap();
        for original in functions {
            let same = back["functions"].as_array().unwrap().iter()
                .find(|g| g["name"] == original["name"]).unwrap();
            for key in ["calls", "total_ns", "own_ns", "line", "lines", "source", "callers"] {
                let (a, b) = (&same[key], &original[key]);
                if key == "lines" {
                    // Written with every memory field; the generated ones have hits and time.
                    let pairs: Vec<(u64, u64, u64)> = a.as_array().unwrap().iter()
                        .map(|l| (l["line"].as_u64().unwrap(), l["hits"].as_u64().unwrap(), l["time_ns"].as_u64().unwrap())).collect();
                    let want: Vec<(u64, u64, u64)> = b.as_array().unwrap().iter()
                        .map(|l| (l["line"].as_u64().unwrap(), l["hits"].as_u64().unwrap(), l["time_ns"].as_u64().unwrap())).collect();
                    prop_assert_eq!(pairs, want);
                } else {
                    prop_assert_eq!(a, b, "{}", key);
                }
            }
        }
    }
}
