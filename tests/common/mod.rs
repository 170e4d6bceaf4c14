//! Helpers shared by the behaviour tests.
#![allow(dead_code)]

use lablink_prof::FunctionProfile;

/// Turns recording on and keeps the test binary from printing a report when it exits.
pub fn record() {
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
}

/// The profile of the function whose path ends with `::name`.
pub fn function(name: &str) -> FunctionProfile {
    let profile = lablink_prof::snapshot();
    let suffix = format!("::{name}");
    profile
        .functions
        .into_iter()
        .find(|f| f.name.ends_with(&suffix))
        .unwrap_or_else(|| panic!("no profiled function named {name} ran"))
}

/// The hits of the line of `f` whose source contains `tag`.
pub fn hits(f: &FunctionProfile, tag: &str) -> u64 {
    let line = f
        .line_containing(tag)
        .unwrap_or_else(|| panic!("{} has no line containing {tag:?}", f.name));
    f.hits(line)
}

/// Asserts that a function's line times add up to its total.
pub fn assert_adds_up(f: &FunctionProfile) {
    let sum: u64 = f.lines.iter().map(|l| l.time_ns).sum();
    assert_eq!(sum, f.total_ns, "lines of {} do not add up", f.name);
}
