//! The runtime's layers import one way only: each folder of `src/` may import the layers listed
//! for it here (and itself), as `lib.rs` states. A module that imports from a layer above its
//! own fails this test, naming the file, the line and the rule.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each layer and the layers it may import.
const RULES: &[(&str, &[&str])] = &[
    ("base", &[]),
    ("model", &[]),
    ("report", &["base", "model"]),
    ("heap", &["base"]),
    ("control", &["base", "heap", "report", "model"]),
    ("recorder", &["base", "heap", "control", "model"]),
    ("sampler", &["base", "heap", "control", "recorder"]),
    (
        "snapshot",
        &["base", "heap", "control", "recorder", "sampler", "model"],
    ),
    (
        "output",
        &[
            "base", "heap", "control", "recorder", "sampler", "snapshot", "model", "report",
        ],
    ),
    (
        "start",
        &[
            "base", "heap", "control", "recorder", "sampler", "snapshot", "model", "report",
            "output",
        ],
    ),
];

/// The layers a file in `layer` imports that it may not: `(line number, layer named)`.
fn violations(layer: &str, text: &str) -> Vec<(usize, String)> {
    let allowed = RULES
        .iter()
        .find(|(name, _)| *name == layer)
        .map(|(_, allowed)| *allowed)
        .unwrap_or_else(|| panic!("layer {layer:?} has no rule in this test; add one"));
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let named: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let is_layer = RULES.iter().any(|(name, _)| *name == named);
            if is_layer && named != layer && !allowed.contains(&named.as_str()) {
                found.push((n + 1, named));
            }
        }
        // `super::super` from a layer's module would reach the crate root and around the rule.
        if code.contains("super::super") {
            found.push((n + 1, "super::super".to_owned()));
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_layer_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut by_layer: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let mut parts = relative.components();
        let first = parts.next().expect("a file").as_os_str().to_string_lossy();
        if parts.next().is_none() {
            // `lib.rs`: the crate root wires and re-exports every layer.
            continue;
        }
        *by_layer.entry(first.to_string()).or_default() += 1;
        let text = std::fs::read_to_string(file).expect("read a source file");
        for (line, named) in violations(&first, &text) {
            problems.push(format!(
                "{}:{line}: layer `{first}` imports `{named}`, which it may not",
                relative.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every folder is a layer with a rule: a new folder needs its place in the rules.
    for layer in by_layer.keys() {
        assert!(
            RULES.iter().any(|(name, _)| name == layer),
            "src/{layer}/ is not a layer of the rules"
        );
    }
    assert_eq!(by_layer.len(), RULES.len(), "layers found: {by_layer:?}");
}

#[test]
fn the_check_catches_an_import_from_above() {
    let heap_file = "use crate::base::clock;\nuse crate::recorder::frame::Frame; // no\n";
    assert_eq!(
        violations("heap", heap_file),
        vec![(2, "recorder".to_owned())]
    );
    // Comments do not count, nor do imports of the layer itself.
    assert!(violations("heap", "// crate::recorder\nuse crate::heap::x;\n").is_empty());
    assert_eq!(
        violations("model", "fn f() { crate::snapshot::snapshot() }"),
        vec![(1, "snapshot".to_owned())]
    );
}
