//! memory_profiler's `@profile` layout, with exact heap bytes in place of sampled resident
//! memory: `Line #`, `Mem usage`, `Increment`, `Occurrences`, `Line Contents`, in MiB.

use std::fmt::Write;

use crate::model::{FunctionProfile, Profile};

const MIB: f64 = 1024.0 * 1024.0;

/// Renders a profile as memory_profiler prints it.
pub fn render(profile: &Profile) -> String {
    let mut out = String::new();
    if !profile.heap_counted {
        out.push_str(super::NO_HEAP_NOTE);
        out.push_str("\n\n");
    }
    for f in &profile.functions {
        function(&mut out, profile, f);
    }
    out
}

fn row(out: &mut String, cells: [&str; 5]) {
    let [line, usage, increment, occurrences, contents] = cells;
    let _ = writeln!(
        out,
        "{line:>6} {usage:>12} {increment:>12}  {occurrences:>10}   {contents}"
    );
}

fn mib(bytes: f64) -> String {
    format!("{:5.1} MiB", bytes / MIB)
}

fn function(out: &mut String, profile: &Profile, f: &FunctionProfile) {
    let _ = writeln!(out, "Filename: {}", f.file);
    let note = super::time_note(profile, f);
    if !note.is_empty() {
        let _ = writeln!(out, "{note}");
    }
    out.push('\n');
    let mut header = String::new();
    row(
        &mut header,
        [
            "Line #",
            "Mem usage",
            "Increment",
            "Occurrences",
            "Line Contents",
        ],
    );
    let header = header.trim_end_matches('\n');
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "{}", "=".repeat(header.len()));
    for (i, contents) in f.source.iter().enumerate() {
        let number = f.line + i as u32;
        let contents = contents.trim_end();
        match f.line(number) {
            Some(l) if l.hits > 0 => row(
                out,
                [
                    &number.to_string(),
                    &mib(l.mem_usage_bytes as f64),
                    &mib(l.net_bytes as f64),
                    &l.hits.to_string(),
                    contents,
                ],
            ),
            _ => row(out, [&number.to_string(), "", "", "", contents]),
        }
    }
    out.push('\n');
}
