//! The layouts of `view`, as the runtime prints them at exit, with what a saved profile can
//! hold beyond that:
//!
//! - a sampled profile gets, in the table layout, its mode, samples and interval in each
//!   function's header, every time with its 95% error bound, and Samples, On-CPU and Off-CPU
//!   columns; in the kernprof and memory_profiler layouts, whose columns people and scripts
//!   read, one header line more per function and nothing else;
//! - a function whose total measured under the profiler (`measured_ns`) differs much from its
//!   total gets both in its header (see [`sampling::measured_differs`]).
//!
//! An exact profile without such a function prints exactly the runtime's report.

use std::fmt::Write;

use lablink_prof_runtime::profile::{FunctionProfile, LineProfile, Profile};
use lablink_prof_runtime::report::units::{duration, g};
use lablink_prof_runtime::report::{self, ReportFormat, kernprof, memory_profiler, table_layout};

use crate::sampling::{self, SampledErrors};

/// The default table layout with the optional `columns` (Min, Max, p50, p90, p99), and the
/// lines that blocked the executor listed at the end, as the exit report lists them.
pub fn table_with(profile: &Profile, columns: &[table_layout::Column]) -> String {
    let errors = SampledErrors::of(profile);
    let mut out = String::new();
    if errors.is_some() && !columns.is_empty() {
        out.push_str(
            "Min, Max, p50, p90, p99: none in a sampled profile, where single hits are not timed\n\n",
        );
    }
    for f in &profile.functions {
        match &errors {
            Some(errors) => out.push_str(&sampled_function(f, profile.heap_counted, errors)),
            None => {
                let mut text = table_layout::function_with(
                    &Profile {
                        heap_counted: profile.heap_counted,
                        ..Profile::empty()
                    },
                    f,
                    columns,
                );
                if sampling::measured_differs(f, 0) {
                    let plain = format!("Total time: {}", duration(f.total_ns as f64));
                    let both = format!("{plain} ({})", measured(f));
                    text = text.replacen(&plain, &both, 1);
                }
                out.push_str(&text);
            }
        }
        out.push('\n');
    }
    if !profile.heap_counted && !profile.functions.is_empty() {
        out.push_str(report::NO_HEAP_NOTE);
        out.push('\n');
    }
    out.push_str(&report::blocking_summary(profile));
    out
}

fn measured(f: &FunctionProfile) -> String {
    format!(
        "{} measured under the profiler",
        duration(f.measured_ns as f64)
    )
}

/// kernprof's layout in units of `unit_s` seconds: the runtime's, with a `Mode:` line after
/// each sampled function's `Function:` line and a `Measured under the profiler:` line after a
/// `Total time:` that differs much from it.
pub fn kernprof(profile: &Profile, unit_s: f64) -> String {
    let errors = SampledErrors::of(profile);
    let mut out = format!("Timer unit: {} s\n\n", g(unit_s, 6));
    for f in &profile.functions {
        let one = Profile {
            functions: vec![f.clone()],
            stacks: Vec::new(),
            ..Profile::empty()
        };
        let text = kernprof::render_with_unit(&one, unit_s);
        let body = text.split_once("\n\n").map_or(text.as_str(), |(_, b)| b);
        let error = errors.as_ref().map_or(0, |e| e.total_ns(f));
        for (i, line) in body.split_inclusive('\n').enumerate() {
            out.push_str(line);
            if i == 0 && sampling::measured_differs(f, error) {
                let _ = writeln!(
                    out,
                    "Measured under the profiler: {} s",
                    g(f.measured_ns as f64 * 1e-9, 6)
                );
            }
            if i == 2
                && let Some(errors) = &errors
            {
                let _ = writeln!(
                    out,
                    "{}; Total time ± {} s (the 95% bound of the sampling error)",
                    sampling::mode_line(errors, f),
                    g(error as f64 * 1e-9, 6)
                );
            }
        }
    }
    out
}

/// memory_profiler's layout: the runtime's, with a `Mode:` line after each sampled function's
/// `Filename:` line (its memory figures are exact; it shows no time).
pub fn memory_profiler(profile: &Profile) -> String {
    let Some(errors) = SampledErrors::of(profile) else {
        return report::render(profile, ReportFormat::MemoryProfiler);
    };
    let mut out = String::new();
    if !profile.heap_counted {
        out.push_str(report::NO_HEAP_NOTE);
        out.push_str("\n\n");
    }
    for f in &profile.functions {
        let one = Profile {
            functions: vec![f.clone()],
            heap_counted: true,
            stacks: Vec::new(),
            ..Profile::empty()
        };
        let text = memory_profiler::render(&one);
        for (i, line) in text.split_inclusive('\n').enumerate() {
            out.push_str(line);
            if i == 0 {
                let _ = writeln!(
                    out,
                    "{} ({}); hits and memory are exact, times are sampled (not shown here)",
                    sampling::mode_line(&errors, f),
                    f.name
                );
            }
        }
    }
    out
}

/// One function of a sampled profile in the table layout.
fn sampled_function(f: &FunctionProfile, heap: bool, errors: &SampledErrors) -> String {
    let total_error = errors.total_ns(f);
    let mut total = sampling::with_error(f.total_ns, total_error);
    if sampling::measured_differs(f, total_error) {
        total = format!("{total} ({})", measured(f));
    }
    let mut out = format!(
        "Function: {} at line {}\nFile: {}\nCalls: {}   Total time: {total}   Own time: {}\n{}; \
         ± is the 95% bound of the sampling error\n",
        f.name,
        f.line,
        f.file,
        f.calls,
        sampling::with_error(f.own_ns, errors.own_ns(f)),
        sampling::mode_line(errors, f),
    );
    let cpu = f.lines.iter().any(|l| l.cpu_ns.is_some());
    let mut header = vec![
        "Line #", "Hits", "Samples", "Time", "± 95%", "Per Hit", "% Time",
    ];
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
            Some(l) => row.extend(cells(l, f, errors, cpu, heap, wait)),
            None => row.extend(std::iter::repeat_n(String::new(), numeric - 1)),
        }
        row.push(contents.replace('\t', "    ").trim_end().to_owned());
        rows.push(row);
    }
    out.push_str(&table_layout::source_table(&header, rows));
    out
}

fn cells(
    l: &LineProfile,
    f: &FunctionProfile,
    errors: &SampledErrors,
    cpu: bool,
    heap: bool,
    wait: bool,
) -> Vec<String> {
    let mut row = vec![
        table_layout::hits_cell(l),
        l.samples.to_string(),
        duration(l.time_ns as f64),
        errors.line_cell(f, l),
        table_layout::per_hit_cell(l),
        table_layout::percent_cell(l, f.total_ns),
    ];
    row.extend(table_layout::trailing_cells(l, cpu, wait, heap));
    row
}
