//! `lablink-prof html FILE -o report.html`: one self-contained page (CSS, script and SVG
//! inline, nothing fetched): the functions by time, each function's source with a bar per
//! line for its time and for the bytes it allocated, and the flame graph.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;
use lablink_prof_runtime::profile::{FunctionProfile, Profile};
use lablink_prof_runtime::report::units::{bytes, duration};

use crate::error::CliError;
use crate::folded::{DEFAULT_MAX_DEPTH, folded_stacks};
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
}

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
    let page = page(&profile, &args.file.display().to_string());
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

const STYLE: &str = r#"
:root { --time: #d9480f; --mem: #1971c2; --fg: #212529; --muted: #868e96; --rule: #dee2e6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
       margin: 0 auto; padding: 1.5rem 2rem 4rem; max-width: 1400px; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2.5rem 0 .5rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1rem; margin: 2rem 0 .25rem; font-family: ui-monospace, Menlo, Consolas, monospace;
     word-break: break-all; }
.meta { color: var(--muted); margin: 0 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 2px 8px; text-align: right; white-space: nowrap; vertical-align: top; }
th { border-bottom: 1px solid var(--rule); font-weight: 600; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable:hover { text-decoration: underline; }
td.text, th.text { text-align: left; }
td.name { text-align: left; font-family: ui-monospace, Menlo, Consolas, monospace;
          white-space: normal; word-break: break-all; }
.functions tbody tr:hover, .source tbody tr:hover { background: #f8f9fa; }
.source td { font-size: 12.5px; }
.source td.code { text-align: left; font-family: ui-monospace, Menlo, Consolas, monospace;
                  white-space: pre; width: 100%; }
.source tr.idle td { color: var(--muted); }
.bar { width: 110px; padding-top: 5px; }
.bar div { height: 10px; min-width: 0; border-radius: 2px; }
.bar .t { background: var(--time); }
.bar .m { background: var(--mem); }
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
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (isNaN(nx) || isNaN(ny)) ? String(x).localeCompare(String(y)) : nx - ny;
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

/// The whole page for `profile`, read from `source`.
pub fn page(profile: &Profile, source: &str) -> String {
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
        "<p class=\"meta\">{} profiled functions · {} threads · own time of all functions {} · \
         heap {}</p>",
        profile.functions.len(),
        profile.threads.len(),
        duration(own_total as f64),
        if profile.heap_counted {
            "counted (exact bytes per line)"
        } else {
            "not counted"
        }
    );
    if !profile.heap_counted {
        out.push_str(
            "<p class=\"note\">Memory columns are empty: the program ran without the counting \
             allocator (<code>#[global_allocator] static ALLOC: lablink_prof::CountingAlloc = \
             lablink_prof::CountingAlloc::system();</code>).</p>\n",
        );
    }
    functions_table(&mut out, profile, own_total);
    if let Some(tracking) = &profile.heap_tracking {
        heap_tracking_section(&mut out, tracking);
    }
    flame_section(&mut out, profile);
    out.push_str("<h2 id=\"sources\">Source, line by line</h2>\n");
    for (i, f) in profile.functions.iter().enumerate() {
        function_section(&mut out, i, f, profile.heap_counted);
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

fn functions_table(out: &mut String, profile: &Profile, own_total: u64) {
    out.push_str(
        "<h2 id=\"functions\">Functions by time</h2>\n<table class=\"functions\">\n<thead><tr>\
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
        let _ = writeln!(
            out,
            "<tr><td class=\"name\" data-v=\"{name}\"><a href=\"#fn-{i}\">{name}</a></td>\
             <td class=\"text\" data-v=\"{file}\">{file}:{line}</td>\
             <td data-v=\"{c}\">{calls}</td><td data-v=\"{cu}\">{cumulative}</td>\
             <td data-v=\"{t}\">{total}</td>\
             <td data-v=\"{o}\">{own}</td><td data-v=\"{share:.3}\">{share:.1}</td>\
             <td data-v=\"{alloc}\">{alloc_text}</td>\
             <td class=\"bar\"><div class=\"t\" style=\"width:{share:.2}%\"></div></td></tr>",
            name = escape(&f.name),
            file = escape(&f.file),
            line = f.line,
            c = f.calls,
            cu = f.cumulative_ns,
            cumulative = duration(f.cumulative_ns as f64),
            t = f.total_ns,
            total = duration(f.total_ns as f64),
            o = f.own_ns,
            own = duration(f.own_ns as f64),
            alloc_text = if profile.heap_counted {
                bytes(alloc)
            } else {
                String::new()
            },
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn flame_section(out: &mut String, profile: &Profile) {
    out.push_str(
        "<h2 id=\"flamegraph\">Flame graph</h2>\n<p class=\"meta\">Frames are source lines \
         (<code>function:line</code>); width is wall time. Stacks are rebuilt from the caller \
         edges (exact when a function has one caller). Click a frame to zoom.</p>\n",
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

fn function_section(out: &mut String, i: usize, f: &FunctionProfile, heap: bool) {
    let alloc_total: u64 = f.lines.iter().map(|l| l.alloc_bytes).sum();
    let _ = writeln!(out, "<h3 id=\"fn-{i}\">{}</h3>", escape(&f.name));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{}:{} · {} call{}{} · total {} · own {}{}</p>",
        escape(&f.file),
        f.line,
        f.calls,
        if f.calls == 1 { "" } else { "s" },
        if f.calls != f.primitive_calls {
            format!(" ({} primitive)", f.primitive_calls)
        } else {
            String::new()
        },
        duration(f.total_ns as f64),
        duration(f.own_ns as f64),
        if heap {
            format!(" · allocated {}", bytes(alloc_total))
        } else {
            String::new()
        }
    );
    out.push_str(
        "<table class=\"source\">\n<thead><tr><th>Line</th><th>Hits</th><th>Time</th>\
         <th>% Time</th><th class=\"text\" title=\"share of the function's time\"></th>\
         <th>Allocated</th><th>Allocs</th><th class=\"text\" title=\"share of the bytes the \
         function allocated\"></th><th class=\"text\">Source</th></tr></thead>\n<tbody>\n",
    );
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
                    "<tr><td>{number}</td><td>{}</td><td>{}</td><td>{t:.1}</td>\
                     <td class=\"bar\"><div class=\"t\" style=\"width:{t:.2}%\"></div></td>\
                     <td>{}</td><td>{}</td>\
                     <td class=\"bar\"><div class=\"m\" style=\"width:{m:.2}%\"></div></td>\
                     <td class=\"code\">{}</td></tr>",
                    l.hits,
                    duration(l.time_ns as f64),
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
                    escape(text)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "<tr class=\"idle\"><td>{number}</td><td></td><td></td><td></td>\
                     <td class=\"bar\"></td><td></td><td></td><td class=\"bar\"></td>\
                     <td class=\"code\">{}</td></tr>",
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
