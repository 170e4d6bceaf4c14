//! `lablink-prof html FILE -o report.html`: one self-contained page (CSS, script and SVG
//! inline, nothing fetched): the functions by time, each function's source with a bar per
//! line for its time and for the bytes it allocated, and the flame graph.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;
use lablink_prof_runtime::profile::{
    FunctionProfile, LineProfile, Profile, TimeMode, sampled_time_error_ns,
};
use lablink_prof_runtime::report::units::{bytes, duration};

use crate::error::CliError;
use crate::folded::{DEFAULT_MAX_DEPTH, folded_stacks};
use crate::sampling::{self, SampledErrors};
use crate::{flamegraph, load, output};

/// Options of `lablink-prof html`.
#[derive(Debug, Args)]
pub struct HtmlArgs {
    /// The profile (JSON).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where to write the page (`-` for stdout).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Source tables for the N functions with the most cumulative time; the others are listed
    /// in the functions table only (keeps the page of a large profile quick to open).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SOURCES)]
    pub sources: usize,
}

/// How many functions get a source table by default.
pub const DEFAULT_SOURCES: usize = 200;

/// Runs the subcommand.
///
/// # Errors
/// A file that cannot be read or written.
pub fn run(args: &HtmlArgs) -> Result<(), CliError> {
    let mut profile = load::load(&args.file)?;
    // By the time of their outermost calls (pstats' cumtime): a recursive function's total
    // counts its nested calls again.
    profile.functions.sort_by(|a, b| {
        (b.cumulative_ns, b.total_ns, &a.name).cmp(&(a.cumulative_ns, a.total_ns, &b.name))
    });
    let page = page(&profile, &args.file.display().to_string(), args.sources);
    output::file(&args.output, page.as_bytes(), "the HTML report")
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A function name for HTML: escaped, with a break opportunity (`<wbr>`) after each `::`, so
/// a long path wraps between its segments, never inside an identifier.
pub fn path_name(name: &str) -> String {
    escape(name).replace("::", "::<wbr>")
}

/// `n` and the noun, singular for 1: `1 thread`, `2 threads`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A bar: a fixed-width track (which gives the column its width) filled to `percent`.
fn bar(class: &str, percent: f64, title: &str) -> String {
    format!(
        "<td class=\"bar\"><div class=\"track\" title=\"{percent:.1}% {title}\">\
         <div class=\"{class}\" style=\"width:{percent:.2}%\"></div></div></td>"
    )
}

const STYLE: &str = r#"
:root { --time: #d9480f; --mem: #1971c2; --fg: #212529; --muted: #868e96; --rule: #dee2e6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
       margin: 0 auto; padding: 1.5rem 2rem 4rem; max-width: 1400px; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2.5rem 0 .5rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1rem; margin: 2rem 0 .25rem; font-family: ui-monospace, Menlo, Consolas, monospace;
     overflow-wrap: break-word; }
.meta { color: var(--muted); margin: 0 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 2px 8px; text-align: right; white-space: nowrap; vertical-align: top; }
th { border-bottom: 1px solid var(--rule); font-weight: 600; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable:hover { text-decoration: underline; }
td.text, th.text { text-align: left; }
td.name { text-align: left; font-family: ui-monospace, Menlo, Consolas, monospace;
          white-space: normal; overflow-wrap: break-word; min-width: 16ch; }
.functions tbody tr:hover, .source tbody tr:hover { background: #f8f9fa; }
.source td { font-size: 12.5px; }
.source td.code { text-align: left; font-family: ui-monospace, Menlo, Consolas, monospace;
                  white-space: pre; width: 100%; }
.source tr.idle td { color: var(--muted); }
td.bar { padding-top: 5px; }
.track { width: 110px; height: 10px; background: #f1f3f5; border-radius: 2px; }
.track div { height: 10px; border-radius: 2px; }
.track .t { background: var(--time); }
.track .m { background: var(--mem); }
.scroll { max-height: 34rem; overflow-y: auto; border-bottom: 1px solid var(--rule); }
.scroll thead th { position: sticky; top: 0; background: #fff; }
.note { background: #fff9db; border: 1px solid #ffe066; padding: .5rem .75rem; border-radius: 4px; }
.flame svg { display: block; width: 100%; border: 1px solid var(--rule); }
a { color: inherit; }
"#;

const SCRIPT: &str = r#"
(function () {
  // Click a column heading of the functions table to sort by it.
  var table = document.querySelector("table.functions");
  if (!table) return;
  var heads = table.querySelectorAll("th.sortable");
  heads.forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var down = th.getAttribute("data-dir") !== "desc";
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
        // Numbers (data-v holds the exact figure) compare as numbers, names as text.
        var nx = Number(x), ny = Number(y);
        var numeric = x !== "" && y !== "" && isFinite(nx) && isFinite(ny);
        var c = numeric ? nx - ny : String(x).localeCompare(String(y));
        return down ? -c : c;
      });
      heads.forEach(function (h) { h.removeAttribute("data-dir"); });
      th.setAttribute("data-dir", down ? "desc" : "asc");
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
"#;

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (100.0 * part / whole).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// The whole page for `profile`, read from `source`, with source tables for its first
/// `sources` functions.
pub fn page(profile: &Profile, source: &str, sources: usize) -> String {
    let mut out = String::new();
    let title = format!("lablink-prof: {source}");
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    let own_total: u64 = profile.functions.iter().map(|f| f.own_ns).sum();
    let _ = writeln!(out, "<h1>{}</h1>", escape(&title));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} · {} · own time of all functions {} · heap {}</p>",
        count(
            profile.functions.len(),
            "profiled function",
            "profiled functions"
        ),
        count(profile.threads.len(), "thread", "threads"),
        match SampledErrors::of(profile) {
            Some(e) => {
                let samples: u64 = profile.stacks.iter().map(|s| s.samples).sum();
                sampling::with_error(own_total, sampled_time_error_ns(samples, e.interval_ns))
            }
            None => duration(own_total as f64),
        },
        if profile.heap_counted {
            "counted (exact bytes per line)"
        } else {
            "not counted"
        }
    );
    let errors = SampledErrors::of(profile);
    match &errors {
        Some(e) => {
            let samples: u64 = profile.stacks.iter().map(|s| s.samples).sum();
            let _ = writeln!(
                out,
                "<p class=\"meta mode\">Mode: sampled, {samples} samples every {}: hits and \
                 memory are exact; times come from the samples, each with ± its 95% error \
                 (1.96 × √n × {} for n samples); On-CPU and Off-CPU split a line's time by \
                 whether its thread ran. Single hits are not timed: no min, max or percentiles, \
                 and no lines found blocking the executor.</p>",
                duration(e.interval_ns as f64),
                duration(e.interval_ns as f64),
            );
        }
        None => {
            out.push_str("<p class=\"meta mode\">Mode: exact: every hit timed with a clock.</p>\n")
        }
    }
    if !profile.heap_counted {
        out.push_str(
            "<p class=\"note\">Memory columns are empty: the program ran without the counting \
             allocator (<code>#[global_allocator] static ALLOC: lablink_prof::CountingAlloc = \
             lablink_prof::CountingAlloc::system();</code>).</p>\n",
        );
    }
    let blocking = lablink_prof_runtime::report::blocking_summary(profile);
    if !blocking.is_empty() {
        out.push_str(
            "<h2 id=\"blocking\">Lines that block the executor</h2>\n<ul class=\"blocking\">\n",
        );
        for line in blocking.lines() {
            let _ = writeln!(out, "<li>{}</li>", escape(line));
        }
        out.push_str("</ul>\n");
    }
    let sources = sources.min(profile.functions.len());
    functions_table(&mut out, profile, own_total, sources);
    if let Some(tracking) = &profile.heap_tracking {
        heap_tracking_section(&mut out, tracking);
    }
    flame_section(&mut out, profile);
    out.push_str("<h2 id=\"sources\">Source, line by line</h2>\n");
    if sources < profile.functions.len() {
        let _ = writeln!(
            out,
            "<p class=\"note\">Source tables of the {} with the most cumulative time, of {}; the \
             others are in the functions table. For one of them: <code>lablink-prof view {} \
             -f NAME</code>; for more: <code>lablink-prof html --sources N</code>.</p>",
            count(sources, "function", "functions"),
            profile.functions.len(),
            escape(source)
        );
    }
    for (i, f) in profile.functions.iter().take(sources).enumerate() {
        function_section(&mut out, i, f, profile.heap_counted, errors.as_ref());
    }
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

/// Whole-process heap tracking: every line with bytes live at exit or at the peak, in exact
/// bytes, and what was allocated outside profiled code.
fn heap_tracking_section(out: &mut String, t: &lablink_prof_runtime::profile::HeapTracking) {
    let _ = writeln!(
        out,
        "<h2 id=\"heap-tracking\">Heap by line, whole process</h2>\n<p class=\"meta\">\
         LABLINK_PROFILE_HEAP=track: live at exit {} bytes in {} blocks · peak {} bytes</p>\n\
         <table class=\"functions\">\n<thead><tr><th class=\"text sortable\">Line</th>\
         <th class=\"text sortable\">Function</th>\
         <th class=\"sortable\">Live at exit (bytes)</th><th class=\"sortable\">Blocks</th>\
         <th class=\"sortable\">Live at peak (bytes)</th></tr></thead>\n<tbody>",
        t.live_bytes, t.live_blocks, t.peak_bytes
    );
    let mut row = |place: &str, function: &str, live: i64, blocks: i64, peak: i64| {
        let _ = writeln!(
            out,
            "<tr><td class=\"text\" data-v=\"{place}\">{place}</td>\
             <td class=\"name\" data-v=\"{function}\">{function}</td>\
             <td data-v=\"{live}\">{live}</td><td data-v=\"{blocks}\">{blocks}</td>\
             <td data-v=\"{peak}\">{peak}</td></tr>",
            place = escape(place),
            function = escape(function),
        );
    };
    for l in &t.lines {
        row(
            &format!("{}:{}", l.file, l.line),
            &l.function,
            l.live_bytes,
            l.live_blocks,
            l.at_peak_bytes,
        );
    }
    let o = t.outside;
    row(
        "outside profiled code",
        "",
        o.live_bytes,
        o.live_blocks,
        o.at_peak_bytes,
    );
    out.push_str("</tbody>\n</table>\n");
}

fn functions_table(out: &mut String, profile: &Profile, own_total: u64, sources: usize) {
    let errors = SampledErrors::of(profile);
    let time = |ns: u64, error: &dyn Fn(&SampledErrors) -> u64| match &errors {
        Some(e) => sampling::with_error(ns, error(e)),
        None => duration(ns as f64),
    };
    out.push_str(
        "<h2 id=\"functions\">Functions by time</h2>\n<div class=\"scroll\"><table class=\"functions\">\n<thead><tr>\
         <th class=\"text sortable\">Function</th><th class=\"text sortable\">File</th>\
         <th class=\"sortable\">Calls</th>\
         <th class=\"sortable\" title=\"time of outermost calls (pstats' cumtime)\">Cumulative</th>\
         <th class=\"sortable\" title=\"time of all calls, recursive ones included\">Total</th>\
         <th class=\"sortable\">Own</th><th class=\"sortable\">Own %</th>\
         <th class=\"sortable\">Allocated</th><th class=\"text\"></th></tr></thead>\n<tbody>\n",
    );
    for (i, f) in profile.functions.iter().enumerate() {
        let calls = if f.calls == f.primitive_calls {
            f.calls.to_string()
        } else {
            format!("{}/{}", f.calls, f.primitive_calls)
        };
        let alloc: u64 = f.lines.iter().map(|l| l.alloc_bytes).sum();
        let share = percent(f.own_ns as f64, own_total as f64);
        let shown = if i < sources {
            format!("<a href=\"#fn-{i}\">{}</a>", path_name(&f.name))
        } else {
            path_name(&f.name)
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"name\" data-v=\"{name}\">{shown}</td>\
             <td class=\"text\" data-v=\"{file}\">{file}:{line}</td>\
             <td data-v=\"{c}\">{calls}</td><td data-v=\"{cu}\">{cumulative}</td>\
             <td data-v=\"{t}\">{total}</td>\
             <td data-v=\"{o}\">{own}</td><td data-v=\"{share:.3}\">{share:.1}</td>\
             <td data-v=\"{alloc}\">{alloc_text}</td>{bar}</tr>",
            name = escape(&f.name),
            file = escape(&f.file),
            line = f.line,
            c = f.calls,
            cu = f.cumulative_ns,
            cumulative = time(f.cumulative_ns, &|e| e.cumulative_ns(f)),
            t = f.total_ns,
            total = time(f.total_ns, &|e| e.total_ns(f)),
            o = f.own_ns,
            own = time(f.own_ns, &|e| e.own_ns(f)),
            alloc_text = if profile.heap_counted {
                bytes(alloc)
            } else {
                String::new()
            },
            bar = bar("t", share, "of the own time of all functions"),
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
}

fn flame_section(out: &mut String, profile: &Profile) {
    let origin = if profile.mode == TimeMode::Sampled && !profile.stacks.is_empty() {
        "Stacks are those the sampler found."
    } else {
        "Stacks are rebuilt from the caller edges (exact when a function has one caller)."
    };
    let _ = writeln!(
        out,
        "<h2 id=\"flamegraph\">Flame graph</h2>\n<p class=\"meta\">Frames are source lines \
         (<code>function:line</code>); width is wall time. {origin} Click a frame to zoom.</p>",
    );
    let stacks = folded_stacks(profile, DEFAULT_MAX_DEPTH);
    let svg = if stacks.is_empty() {
        None
    } else {
        flamegraph::svg(profile, &stacks, "Time by source line").ok()
    };
    match svg {
        Some(svg) => {
            out.push_str("<div class=\"flame\">\n");
            out.push_str(&inline_svg(&svg));
            out.push_str("\n</div>\n");
        }
        None => out.push_str("<p class=\"note\">No timed lines: no flame graph.</p>\n"),
    }
}

/// An SVG document as an element to put in HTML: without its XML declaration and doctype.
pub fn inline_svg(svg: &str) -> String {
    match svg.find("<svg") {
        Some(at) => svg[at..].trim_end().to_owned(),
        None => String::new(),
    }
}

/// A function's single calls, when timed: ` · calls: min 1.00 µs, p50 1.20 µs, …, max 3.00 ms`.
fn call_figures(f: &FunctionProfile) -> String {
    use lablink_prof_runtime::report::table_layout::Column;
    let figures: Vec<String> = Column::ALL
        .iter()
        .filter_map(|c| {
            c.of_function(f)
                .map(|ns| format!("{} {}", c.header().to_lowercase(), duration(ns as f64)))
        })
        .collect();
    if figures.is_empty() {
        String::new()
    } else {
        format!(" · single calls: {}", figures.join(", "))
    }
}

fn function_section(
    out: &mut String,
    i: usize,
    f: &FunctionProfile,
    heap: bool,
    errors: Option<&SampledErrors>,
) {
    let alloc_total: u64 = f.lines.iter().map(|l| l.alloc_bytes).sum();
    let _ = writeln!(out, "<h3 id=\"fn-{i}\">{}</h3>", path_name(&f.name));
    let total_error = errors.map_or(0, |e| e.total_ns(f));
    let (total, own) = match errors {
        Some(e) => (
            sampling::with_error(f.total_ns, total_error),
            sampling::with_error(f.own_ns, e.own_ns(f)),
        ),
        None => (duration(f.total_ns as f64), duration(f.own_ns as f64)),
    };
    let total = if sampling::measured_differs(f, total_error) {
        format!(
            "{total} ({} measured under the profiler)",
            duration(f.measured_ns as f64)
        )
    } else {
        total
    };
    let sampled = match errors {
        Some(e) => format!(" · sampled: {} samples", e.samples(f)),
        None => call_figures(f),
    };
    let cpu = errors.is_some() && f.lines.iter().any(|l| l.cpu_ns.is_some());
    let _ = writeln!(
        out,
        "<p class=\"meta\">{}:{} · {} call{}{} · total {} · own {}{}{sampled}</p>",
        escape(&f.file),
        f.line,
        f.calls,
        if f.calls == 1 { "" } else { "s" },
        if f.calls != f.primitive_calls {
            format!(" ({} primitive)", f.primitive_calls)
        } else {
            String::new()
        },
        total,
        own,
        if heap {
            format!(" · allocated {}", bytes(alloc_total))
        } else {
            String::new()
        }
    );
    let sampled_heads = match (errors.is_some(), cpu) {
        (false, _) => "",
        (true, false) => "<th>Samples</th><th title=\"95% bound of the sampling error\">± 95%</th>",
        (true, true) => {
            "<th>Samples</th><th title=\"95% bound of the sampling error\">± 95%</th>\
             <th>On-CPU</th><th>Off-CPU</th>"
        }
    };
    let _ = writeln!(
        out,
        "<table class=\"source\">\n<thead><tr><th>Line</th><th>Hits</th><th>Time</th>\
         <th>% Time</th><th class=\"text\" title=\"share of the function's time\"></th>\
         <th>Allocated</th><th>Allocs</th><th class=\"text\" title=\"share of the bytes the \
         function allocated\"></th>{sampled_heads}<th class=\"text\">Source</th></tr></thead>\n<tbody>",
    );
    let sampled_cells = |l: Option<&LineProfile>| -> String {
        let Some(e) = errors else {
            return String::new();
        };
        let Some(l) = l else {
            return "<td></td>".repeat(if cpu { 4 } else { 2 });
        };
        let mut cells = format!(
            "<td>{}</td><td>{}</td>",
            l.samples,
            escape(&e.line_cell(f, l))
        );
        if cpu {
            let time = |n: Option<u64>| n.map(|n| duration(n as f64)).unwrap_or_default();
            let _ = write!(
                cells,
                "<td>{}</td><td>{}</td>",
                time(l.cpu_ns),
                time(l.off_cpu_ns())
            );
        }
        cells
    };
    // Lines outside the captured source (none in files the runtime writes) still show.
    let last_source = f.line + f.source.len() as u32;
    let mut numbers: Vec<u32> = (f.line..last_source).collect();
    numbers.extend(
        f.lines
            .iter()
            .map(|l| l.line)
            .filter(|&n| n < f.line || n >= last_source),
    );
    numbers.sort_unstable();
    for number in numbers {
        let text = f.source_line(number).unwrap_or("");
        match f.line(number) {
            Some(l) => {
                let t = percent(l.time_ns as f64, f.total_ns as f64);
                let m = percent(l.alloc_bytes as f64, alloc_total as f64);
                let _ = writeln!(
                    out,
                    "<tr><td>{number}</td><td>{}</td><td>{}</td><td>{t:.1}</td>{}\
                     <td>{}</td><td>{}</td>{}{}<td class=\"code\">{}</td></tr>",
                    l.hits,
                    duration(l.time_ns as f64),
                    bar("t", t, "of the function's time"),
                    if heap {
                        bytes(l.alloc_bytes)
                    } else {
                        String::new()
                    },
                    if heap {
                        l.allocs.to_string()
                    } else {
                        String::new()
                    },
                    if heap {
                        bar("m", m, "of the bytes the function allocated")
                    } else {
                        "<td class=\"bar\"></td>".to_owned()
                    },
                    sampled_cells(Some(l)),
                    escape(text)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "<tr class=\"idle\"><td>{number}</td><td></td><td></td><td></td>\
                     <td class=\"bar\"></td><td></td><td></td><td class=\"bar\"></td>{}\
                     <td class=\"code\">{}</td></tr>",
                    sampled_cells(None),
                    escape(text)
                );
            }
        }
    }
    out.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
