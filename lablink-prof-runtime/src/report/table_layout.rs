//! The default report: one comfy-table per function, time and memory side by side.

use comfy_table::{CellAlignment, ContentArrangement, Table};

use super::units::{bytes, duration, signed_bytes};
use crate::model::{FunctionProfile, LineProfile, Profile};

/// comfy-table's preset: one rule under the header, nothing else (space means "none").
pub const HEADER_RULE_ONLY: &str = "     ─ ─           ";

/// The width the tables are made to fit.
const WIDTH: usize = 120;

/// An optional column of the table: a figure of single hits' times (exact mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// The shortest hit.
    Min,
    /// The longest hit.
    Max,
    /// The median hit.
    P50,
    /// The 90th percentile.
    P90,
    /// The 99th percentile.
    P99,
}

impl Column {
    /// Every optional column, in the order the table shows them.
    pub const ALL: [Column; 5] = [
        Column::Min,
        Column::Max,
        Column::P50,
        Column::P90,
        Column::P99,
    ];

    /// The column's header.
    pub fn header(self) -> &'static str {
        match self {
            Column::Min => "Min",
            Column::Max => "Max",
            Column::P50 => "p50",
            Column::P90 => "p90",
            Column::P99 => "p99",
        }
    }

    /// The column's figure for a line, if it has one.
    pub fn of_line(self, l: &LineProfile) -> Option<u64> {
        match self {
            Column::Min => l.min_ns,
            Column::Max => l.max_ns,
            Column::P50 => l.quantile_ns(0.5),
            Column::P90 => l.quantile_ns(0.9),
            Column::P99 => l.quantile_ns(0.99),
        }
    }

    /// The column's figure for a function's calls, if it has one.
    pub fn of_function(self, f: &FunctionProfile) -> Option<u64> {
        match self {
            Column::Min => f.min_ns,
            Column::Max => f.max_ns,
            Column::P50 => f.quantile_ns(0.5),
            Column::P90 => f.quantile_ns(0.9),
            Column::P99 => f.quantile_ns(0.99),
        }
    }

    /// Parses a comma-separated list (`min,max,p99`, any case; `all` for every column), in the
    /// table's order whatever the list's.
    ///
    /// # Errors
    ///
    /// A name that is not a column, with the names there are.
    pub fn parse_list(list: &str) -> Result<Vec<Column>, String> {
        let mut chosen = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name.to_ascii_lowercase().as_str() {
                "all" => chosen.extend(Column::ALL),
                "min" => chosen.push(Column::Min),
                "max" => chosen.push(Column::Max),
                "p50" | "median" => chosen.push(Column::P50),
                "p90" => chosen.push(Column::P90),
                "p99" => chosen.push(Column::P99),
                other => {
                    return Err(format!(
                        "{other:?} is not a column (min, max, p50, p90, p99, all)"
                    ));
                }
            }
        }
        Ok(Column::ALL
            .into_iter()
            .filter(|c| chosen.contains(c))
            .collect())
    }
}

/// Renders every function of a profile.
pub fn render(profile: &Profile) -> String {
    render_with(profile, &[])
}

/// Renders every function of a profile with the optional `columns`.
pub fn render_with(profile: &Profile, columns: &[Column]) -> String {
    let mut out = String::new();
    for f in &profile.functions {
        out.push_str(&function_with(profile, f, columns));
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
    lines_of(&profile, f, String::new(), &[])
}

/// Renders one function of `profile`: its header, then a row per source line. In a sampled
/// profile the header gives the samples and the error of the times, and lines whose on-CPU time
/// is known show it beside the off-CPU time; where the time measured under the profiler differs
/// much from the total, the header gives both.
pub fn function_of(profile: &Profile, f: &FunctionProfile) -> String {
    function_with(profile, f, &[])
}

/// As [`function_of`], with the optional `columns`.
pub fn function_with(profile: &Profile, f: &FunctionProfile, columns: &[Column]) -> String {
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
    lines_of(profile, f, measured, columns)
}

fn lines_of(
    profile: &Profile,
    f: &FunctionProfile,
    measured: String,
    columns: &[Column],
) -> String {
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
    let sampled = profile.mode == crate::model::TimeMode::Sampled;
    if sampled && !columns.is_empty() {
        out.push_str(
            "Min, Max, p50, p90, p99: none in sampled mode, where single hits are not timed\n",
        );
    }
    let columns = if sampled { &[][..] } else { columns };
    if !columns.is_empty() {
        out.push_str(&call_figures(f, columns));
    }
    let mut header = vec!["Line #", "Hits", "Time", "Per Hit", "% Time"];
    header.extend(columns.iter().map(|c| c.header()));
    let cpu = f.lines.iter().any(|l| l.cpu_ns.is_some());
    if cpu {
        header.extend(["On-CPU", "Off-CPU"]);
    }
    let wait = f.is_async;
    if wait {
        header.push("Wait");
    }
    let blocking = f.lines.iter().any(|l| l.blocking > 0);
    if blocking {
        header.push("Blocking");
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
            Some(l) => {
                let mut figures = cells(l, f.total_ns, heap, cpu, wait);
                let at = 3;
                for (k, c) in columns.iter().enumerate() {
                    figures.insert(
                        at + 1 + k,
                        c.of_line(l).map_or(String::new(), |ns| duration(ns as f64)),
                    );
                }
                if blocking {
                    let at = 4 + columns.len() + if cpu { 2 } else { 0 } + usize::from(wait);
                    figures.insert(at, blocking_cell(l));
                }
                row.extend(figures);
            }
            None => row.extend(std::iter::repeat_n(String::new(), numeric - 1)),
        }
        row.push(contents.replace('\t', "    ").trim_end().to_owned());
        rows.push(row);
    }

    out.push_str(&source_table(&header, rows));
    out
}

/// Lays out a function's source table: `header` over `rows`, every column but the last (Line
/// Contents) right-aligned, with one rule under the header. Line Contents gets what the other
/// columns leave of the width, and is cut, not wrapped. The exit report and `lablink-prof view`
/// both lay their tables out here.
pub fn source_table(header: &[&str], mut rows: Vec<Vec<String>>) -> String {
    let numeric = header.len().saturating_sub(1);
    let fixed: usize = (0..numeric)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count()])
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
        .set_header(header.to_vec());
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
    let mut out = String::new();
    for line in table.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The calls' line of the optional columns: `Per call: min 1.20 µs, p99 3.40 µs`.
fn call_figures(f: &FunctionProfile, columns: &[Column]) -> String {
    let figures: Vec<String> = columns
        .iter()
        .filter_map(|c| {
            c.of_function(f)
                .map(|ns| format!("{} {}", c.header(), duration(ns as f64)))
        })
        .collect();
    if figures.is_empty() {
        String::new()
    } else {
        format!("Per call: {}\n", figures.join(", "))
    }
}

/// A line's Blocking cell: `7× ≤48.0 ms` (slices over the threshold, and the longest).
fn blocking_cell(l: &LineProfile) -> String {
    if l.blocking == 0 {
        String::new()
    } else {
        format!("{}× ≤{}", l.blocking, duration(l.blocking_max_ns as f64))
    }
}

fn cells(l: &LineProfile, total_ns: u64, heap: bool, cpu: bool, wait: bool) -> Vec<String> {
    let mut row = vec![
        hits_cell(l),
        duration(l.time_ns as f64),
        per_hit_cell(l),
        percent_cell(l, total_ns),
    ];
    row.extend(trailing_cells(l, cpu, wait, heap));
    row
}

/// A line's Hits cell: empty for a line that never ran.
pub fn hits_cell(l: &LineProfile) -> String {
    if l.hits > 0 {
        l.hits.to_string()
    } else {
        String::new()
    }
}

/// A line's Per Hit cell: its time over its hits, empty for a line that never ran.
pub fn per_hit_cell(l: &LineProfile) -> String {
    if l.hits > 0 {
        duration(l.time_ns as f64 / l.hits as f64)
    } else {
        String::new()
    }
}

/// A line's % Time cell: its share of its function's `total_ns`.
pub fn percent_cell(l: &LineProfile, total_ns: u64) -> String {
    let percent = if total_ns > 0 {
        100.0 * l.time_ns as f64 / total_ns as f64
    } else {
        0.0
    };
    format!("{percent:.1}")
}

/// A line's cells after % Time, as the columns asked for: On-CPU and Off-CPU, Wait, then the
/// memory columns.
pub fn trailing_cells(l: &LineProfile, cpu: bool, wait: bool, heap: bool) -> Vec<String> {
    let mut row = Vec::new();
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
