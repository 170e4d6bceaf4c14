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
        let Some(functions) = value["functions"].as_array_mut().filter(|f| !f.is_empty()) else {
            return;
        };
        let n = pick % functions.len();
        let old = functions[n]["name"].clone();
        functions[n]["name"] = Value::from(name.as_str());
        for f in functions.iter_mut() {
            for c in f["callers"].as_array_mut().into_iter().flatten() {
                if c["caller"] == old {
                    c["caller"] = Value::from(name.as_str());
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
