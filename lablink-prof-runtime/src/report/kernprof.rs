//! kernprof's `-l -v` layout, byte for byte: `Timer unit: 1e-09 s`, a header per function and
//! `'%6s %9s %12s %8s %8s  %-s'` rows, so that people and scripts used to it read it unchanged.

use std::fmt::Write;

use super::units::g;
use crate::model::{FunctionProfile, Profile};

/// Renders a profile as `kernprof -l -v` prints it (timer unit: 1 ns).
pub fn render(profile: &Profile) -> String {
    render_with_unit(profile, 1e-9)
}

/// Renders a profile as `python -m line_profiler -u UNIT` prints it: Time and Per Hit in units
/// of `unit_s` seconds (`1e-06` for microseconds).
pub fn render_with_unit(profile: &Profile, unit_s: f64) -> String {
    let mut out = format!("Timer unit: {} s\n\n", g(unit_s, 6));
    for f in &profile.functions {
        function(&mut out, profile, f, 1e-9 / unit_s);
    }
    out
}

fn row(out: &mut String, cells: [&str; 6]) {
    let [line, hits, time, per_hit, percent, contents] = cells;
    let _ = writeln!(
        out,
        "{line:>6} {hits:>9} {time:>12} {per_hit:>8} {percent:>8}  {contents}"
    );
}

/// `'%5.1f'`, or `'%5.1g'` when that is wider than the column, as line_profiler does.
fn cell(value: f64, width: usize) -> String {
    let fixed = format!("{value:5.1}");
    if fixed.len() > width {
        format!("{:>5}", g(value, 1))
    } else {
        fixed
    }
}

fn function(out: &mut String, profile: &Profile, f: &FunctionProfile, units_per_ns: f64) {
    let total = f.total_ns as f64;
    let _ = writeln!(out, "Total time: {} s", g(total * 1e-9, 6));
    let _ = writeln!(out, "File: {}", f.file);
    let _ = writeln!(out, "Function: {} at line {}", f.name, f.line);
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
            "Hits",
            "Time",
            "Per Hit",
            "% Time",
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
            Some(l) if l.hits > 0 => {
                let time = l.time_ns as f64;
                let percent = if total > 0.0 {
                    100.0 * time / total
                } else {
                    0.0
                };
                row(
                    out,
                    [
                        &number.to_string(),
                        &l.hits.to_string(),
                        &cell(time * units_per_ns, 12),
                        &cell(time * units_per_ns / l.hits as f64, 8),
                        &cell(percent, 8),
                        contents,
                    ],
                );
            }
            _ => row(out, [&number.to_string(), "", "", "", "", contents]),
        }
    }
    out.push('\n');
}
