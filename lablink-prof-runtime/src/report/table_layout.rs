//! The default report: one comfy-table per function, time and memory side by side.

use comfy_table::{CellAlignment, ContentArrangement, Table};

use super::units::{bytes, duration, signed_bytes};
use crate::model::{FunctionProfile, LineProfile, Profile};

/// comfy-table's preset: one rule under the header, nothing else (space means "none").
const HEADER_RULE_ONLY: &str = "     ─ ─           ";

/// The width the tables are made to fit.
const WIDTH: usize = 120;

/// Renders every function of a profile.
pub fn render(profile: &Profile) -> String {
    let mut out = String::new();
    for f in &profile.functions {
        out.push_str(&function_of(profile, f));
        out.push('\n');
    }
    if !profile.heap_counted && !profile.functions.is_empty() {
        out.push_str(super::NO_HEAP_NOTE);
        out.push('\n');
    }
    out
}

/// Renders one function as it stands: its header, then a row per source line (the header
/// says nothing of the mode or of the time measured under the profiler; `render` adds those).
pub fn function(f: &FunctionProfile, heap: bool) -> String {
    let profile = Profile {
        heap_counted: heap,
        ..Profile::empty()
    };
    lines_of(&profile, f, String::new())
}

/// Renders one function of `profile`: its header, then a row per source line. In a sampled
/// profile the header gives the samples and the error of the times, and lines whose on-CPU time
/// is known show it beside the off-CPU time; where the time measured under the profiler differs
/// much from the total, the header gives both.
pub fn function_of(profile: &Profile, f: &FunctionProfile) -> String {
    let error = match profile.mode {
        crate::model::TimeMode::Sampled => {
            crate::model::sampled_time_error_ns(f.samples, profile.sample_interval_ns)
        }
        crate::model::TimeMode::Exact => 0,
    };
    let measured = if super::measured_differs(f, error) {
        format!(
            " ({} measured under the profiler)",
            duration(f.measured_ns as f64)
        )
    } else {
        String::new()
    };
    lines_of(profile, f, measured)
}

fn lines_of(profile: &Profile, f: &FunctionProfile, measured: String) -> String {
    let heap = profile.heap_counted;
    let mut out = format!(
        "Function: {} at line {}\nFile: {}\nCalls: {}   Total time: {}{measured}   Own time: {}\n",
        f.name,
        f.line,
        f.file,
        f.calls,
        duration(f.total_ns as f64),
        duration(f.own_ns as f64),
    );
    let note = super::time_note(profile, f);
    if !note.is_empty() {
        out.push_str(&note);
        out.push('\n');
    }
    let mut header = vec!["Line #", "Hits", "Time", "Per Hit", "% Time"];
    let cpu = f.lines.iter().any(|l| l.cpu_ns.is_some());
    if cpu {
        header.extend(["On-CPU", "Off-CPU"]);
    }
    let wait = f.is_async;
    if wait {
        header.push("Wait");
    }
    if heap {
        header.extend(["Alloc", "Freed", "Increment", "Allocs", "Peak", "Mem usage"]);
    }
    header.push("Line Contents");
    let numeric = header.len() - 1;

    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, contents) in f.source.iter().enumerate() {
        let number = f.line + i as u32;
        let mut row = vec![number.to_string()];
        match f.line(number) {
            Some(l) => row.extend(cells(l, f.total_ns, heap, cpu, wait)),
            None => row.extend(std::iter::repeat_n(String::new(), numeric - 1)),
        }
        row.push(contents.replace('\t', "    ").trim_end().to_owned());
        rows.push(row);
    }

    // Line Contents gets what the number columns leave of the width, and is cut, not wrapped.
    let fixed: usize = (0..numeric)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
                + 1
        })
        .sum();
    let room = WIDTH.saturating_sub(fixed + 2).max(16);
    for row in &mut rows {
        if let Some(contents) = row.last_mut()
            && contents.chars().count() > room
        {
            *contents = contents.chars().take(room - 1).collect::<String>() + "…";
        }
    }

    let mut table = Table::new();
    table
        .load_preset(HEADER_RULE_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    for row in rows {
        table.add_row(row);
    }
    for c in 0..=numeric {
        if let Some(column) = table.column_mut(c) {
            column.set_padding((1, 0));
            if c < numeric {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
    }
    for line in table.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn cells(l: &LineProfile, total_ns: u64, heap: bool, cpu: bool, wait: bool) -> Vec<String> {
    let percent = if total_ns > 0 {
        100.0 * l.time_ns as f64 / total_ns as f64
    } else {
        0.0
    };
    let per_hit = if l.hits > 0 {
        duration(l.time_ns as f64 / l.hits as f64)
    } else {
        String::new()
    };
    let mut row = vec![
        if l.hits > 0 {
            l.hits.to_string()
        } else {
            String::new()
        },
        duration(l.time_ns as f64),
        per_hit,
        format!("{percent:.1}"),
    ];
    if cpu {
        let on = l.cpu_ns.map_or(String::new(), |ns| duration(ns as f64));
        let off = l
            .off_cpu_ns()
            .map_or(String::new(), |ns| duration(ns as f64));
        row.extend([on, off]);
    }
    if wait {
        row.push(if l.wait_ns > 0 {
            duration(l.wait_ns as f64)
        } else {
            String::new()
        });
    }
    if heap {
        row.extend([
            bytes(l.alloc_bytes),
            bytes(l.freed_bytes),
            signed_bytes(l.net_bytes),
            l.allocs.to_string(),
            bytes(l.peak_bytes),
            bytes(l.mem_usage_bytes),
        ]);
    }
    row
}
