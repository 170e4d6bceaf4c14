//! `top --once`: one refresh as plain text, every figure in fixed units so scripts can read it.

use std::fmt::Write;
use std::time::Duration;

use comfy_table::{CellAlignment, Table, presets::NOTHING};

use super::interval::{Figures, Interval, SortBy};

/// Milliseconds with microsecond resolution.
fn ms(ns: u64) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

/// A rate with one decimal, `-` without an interval.
fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

/// Milliseconds per second, with microsecond resolution, `-` without an interval.
fn ms_rate(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{:.3}", v / 1e6))
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(NOTHING);
    t.set_header(header.to_vec());
    for i in 0..header.len() - 1 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The memory cells of `f`: exact bytes and allocations, or `-` when not measured.
fn memory_cells(interval: &Interval, f: &Figures) -> [String; 4] {
    if !interval.heap_counted {
        return ["-".into(), "-".into(), "-".into(), "-".into()];
    }
    [
        f.alloc_bytes.to_string(),
        rate(interval.per_second(f.alloc_bytes)),
        f.net_bytes().to_string(),
        f.allocs.to_string(),
    ]
}

/// The on-CPU and off-CPU cells, when the profile is sampled.
fn sampled_cells(interval: &Interval, f: &Figures) -> Vec<String> {
    if !interval.sampled {
        return Vec::new();
    }
    let cell = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), ms);
    vec![cell(f.cpu_ns), cell(f.off_cpu_ns)]
}

/// The text of one refresh.
pub fn render(
    interval: &Interval,
    program: &str,
    uptime: Option<Duration>,
    age: Duration,
    sort: SortBy,
    memory: bool,
) -> String {
    let mut out = String::new();
    let up = uptime.map_or_else(
        || "uptime unknown".to_owned(),
        |u| format!("up {:.2} s", u.as_secs_f64()),
    );
    let _ = writeln!(out, "lablink-prof top: {program}, {up}");
    match interval.elapsed {
        Some(e) => {
            let _ = writeln!(
                out,
                "Interval: {:.6} s between the last two snapshots (the last written {:.3} s ago)",
                e.as_secs_f64(),
                age.as_secs_f64()
            );
        }
        None => {
            let _ = writeln!(out, "Interval: none yet (a single snapshot)");
        }
    }
    let what = if memory { "bytes allocated" } else { "time" };
    let when = match sort {
        SortBy::Interval => "in the interval",
        SortBy::Total => "since recording began",
    };
    let _ = writeln!(
        out,
        "Sorted by {what} {when}. Per second: the interval's figure divided by its length. \
         Times in ms, bytes in B."
    );
    if interval.restarted {
        let _ = writeln!(
            out,
            "Note: counters went down since the earlier snapshot (the program started again): \
             the interval counts from zero."
        );
    }
    if !interval.heap_counted {
        let _ = writeln!(
            out,
            "Memory columns: not measured (the program has no counting allocator)."
        );
    }
    if let Some(every) = interval.sample_interval_ns {
        let every = lablink_prof_runtime::report::units::duration(every as f64);
        let _ = writeln!(
            out,
            "Times sampled every {every}: calls and hits are exact; a time of n samples is \
             within 1.96 × √n × {every} of the truth (95%)."
        );
    }
    let sampled_header: &[&str] = if interval.sampled {
        &["On-CPU", "Off-CPU"]
    } else {
        &[]
    };

    let mut header = vec![
        "Calls", "Calls/s", "Time", "Time/s", "Alloc", "Alloc/s", "Net", "Allocs",
    ];
    header.extend_from_slice(sampled_header);
    header.extend_from_slice(&["Total calls", "Total time", "Function"]);
    let mut functions = table(&header);
    for f in &interval.functions {
        let d = &f.delta;
        let mut row = vec![
            d.count.to_string(),
            rate(interval.per_second(d.count)),
            ms(d.time_ns),
            ms_rate(interval.per_second(d.time_ns)),
        ];
        row.extend(memory_cells(interval, d));
        row.extend(sampled_cells(interval, d));
        row.extend([
            f.total.count.to_string(),
            ms(f.total.time_ns),
            f.name.clone(),
        ]);
        functions.add_row(row);
    }
    let _ = writeln!(out, "\n{functions}");

    for f in &interval.functions {
        if f.delta.count == 0 && f.delta.time_ns == 0 && f.delta.allocs == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "\nLines of {} ({}:{}), in the interval:",
            f.name, f.file, f.line
        );
        let mut header = vec![
            "Line", "Hits", "Hits/s", "Time", "Time/s", "% Fn", "Alloc", "Alloc/s", "Net", "Allocs",
        ];
        header.extend_from_slice(sampled_header);
        header.push("Source");
        let mut lines = table(&header);
        for l in &f.lines {
            let d = &l.delta;
            if d.count == 0 && d.time_ns == 0 && d.allocs == 0 && d.freed_bytes == 0 {
                continue;
            }
            let share = if f.delta.time_ns == 0 {
                "-".to_owned()
            } else {
                format!("{:.1}", 100.0 * d.time_ns as f64 / f.delta.time_ns as f64)
            };
            let mut row = vec![
                l.line.to_string(),
                d.count.to_string(),
                rate(interval.per_second(d.count)),
                ms(d.time_ns),
                ms_rate(interval.per_second(d.time_ns)),
                share,
            ];
            row.extend(memory_cells(interval, d));
            row.extend(sampled_cells(interval, d));
            row.push(l.source.trim_end().to_owned());
            lines.add_row(row);
        }
        let _ = writeln!(out, "{lines}");
    }
    out
}
