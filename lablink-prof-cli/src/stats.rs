//! `lablink-prof stats FILE`: the function table of Python's cProfile/pstats
//! (`Stats.print_stats`, `print_callers`, `print_callees`), in its layout.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use lablink_prof_runtime::profile::{FunctionProfile, Profile};
use lablink_prof_runtime::report::units::duration;

use crate::callgraph::{CallGraph, Caller, Edge, EdgeSum, FunctionKey};
use crate::error::CliError;
use crate::{load, output};

/// Options of `lablink-prof stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The profile (JSON).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The order of the functions.
    #[arg(long, value_enum, default_value_t = StatsSort::Cumulative)]
    pub sort: StatsSort,
    /// Show only the first N functions.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print who called each function (pstats' print_callers) instead of the table.
    #[arg(long)]
    pub callers: bool,
    /// Print what each function called (pstats' print_callees) instead of the table.
    #[arg(long)]
    pub callees: bool,
}

/// The order of the table, as pstats' `sort_stats` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsSort {
    /// `cumtime`, largest first.
    #[value(alias = "cumtime")]
    Cumulative,
    /// `tottime` (own time), largest first.
    #[value(alias = "time")]
    Tottime,
    /// `ncalls`, most first.
    #[value(alias = "calls")]
    Ncalls,
    /// Function name.
    Name,
}

impl StatsSort {
    /// What pstats prints after `Ordered by:`.
    fn title(self) -> &'static str {
        match self {
            StatsSort::Cumulative => "cumulative time",
            StatsSort::Tottime => "internal time",
            StatsSort::Ncalls => "call count",
            StatsSort::Name => "function name",
        }
    }
}

/// Runs the subcommand.
///
/// # Errors
/// A file that cannot be read.
pub fn run(args: &StatsArgs) -> Result<(), CliError> {
    let profile = load::load(&args.file)?;
    let text = render(&profile, args);
    output::stdout(text.as_bytes())
}

/// pstats' name for a function: `filename:lineno(function)`.
pub fn std_string(f: &FunctionProfile) -> String {
    key_string(&(f.file.clone(), f.line, f.name.clone()))
}

/// pstats' `%8.3f` of nanoseconds as seconds.
fn f8(ns: f64) -> String {
    format!("{:8.3}", ns / 1e9)
}

/// What `stats` prints.
pub fn render(profile: &Profile, args: &StatsArgs) -> String {
    let graph = CallGraph::new(&profile.functions);
    let functions = &profile.functions;
    let mut order: Vec<usize> = (0..functions.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (&functions[a], &functions[b]);
        let key = match args.sort {
            StatsSort::Cumulative => fb.cumulative_ns.cmp(&fa.cumulative_ns),
            StatsSort::Tottime => fb.own_ns.cmp(&fa.own_ns),
            StatsSort::Ncalls => fb.calls.cmp(&fa.calls),
            StatsSort::Name => fa.name.cmp(&fb.name),
        };
        key.then(fa.name.cmp(&fb.name)).then(fa.file.cmp(&fb.file))
    });
    let total = order.len();
    if let Some(limit) = args.limit {
        order.truncate(limit);
    }

    let mut out = String::new();
    let calls: u64 = functions.iter().map(|f| f.calls).sum();
    let primitive: u64 = functions.iter().map(|f| f.primitive_calls).sum();
    let own: u64 = functions.iter().map(|f| f.own_ns).sum();
    let _ = write!(out, "         {calls} function calls ");
    if calls != primitive {
        let _ = write!(out, "({primitive} primitive calls) ");
    }
    let _ = writeln!(out, "in {:.3} seconds\n", own as f64 / 1e9);
    if let Some(errors) = crate::sampling::SampledErrors::of(profile) {
        let samples: u64 = profile.stacks.iter().map(|s| s.samples).sum();
        let samples = if samples > 0 {
            format!("{samples} samples ")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "   Times sampled: {samples}every {}; a time of n samples is within \
             1.96 × √n × {} of the truth (95%)\n",
            duration(errors.interval_ns as f64),
            duration(errors.interval_ns as f64),
        );
    }
    if order.is_empty() {
        return out;
    }
    let _ = writeln!(out, "   Ordered by: {}", args.sort.title());
    if order.len() < total {
        let _ = writeln!(
            out,
            "   List reduced from {total} to {} due to restriction <{}>",
            order.len(),
            order.len()
        );
    }
    out.push('\n');

    if !args.callers && !args.callees {
        out.push_str("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n");
        for &i in &order {
            out.push_str(&line(&functions[i]));
        }
        out.push_str("\n\n");
        return out;
    }
    let listed = if order.len() < total {
        order.as_slice()
    } else {
        &[]
    };
    let width = if listed.is_empty() {
        functions.iter().map(|f| std_string(f).len()).max()
    } else {
        listed
            .iter()
            .map(|&i| std_string(&functions[i]).len())
            .max()
    }
    .unwrap_or(0)
        + 2;
    if args.callers {
        heading(&mut out, width, "was called by...");
        for &i in &order {
            let edges: Vec<Edge> = graph
                .callers(i)
                .iter()
                .filter(|e| e.caller != Caller::Root)
                .copied()
                .collect();
            call_line(&mut out, &graph, width, i, &edges, "<-", |e| e.caller);
        }
        out.push_str("\n\n");
    }
    if args.callees {
        heading(&mut out, width, "called...");
        for &i in &order {
            let edges = graph.callees(i).to_vec();
            call_line(&mut out, &graph, width, i, &edges, "->", |e| {
                Caller::Function(e.callee)
            });
        }
        out.push_str("\n\n");
    }
    out
}

/// One row of the table, as pstats' `print_line`.
fn line(f: &FunctionProfile) -> String {
    let mut ncalls = f.calls.to_string();
    if f.calls != f.primitive_calls {
        let _ = write!(ncalls, "/{}", f.primitive_calls);
    }
    let tottime_per_call = if f.calls == 0 {
        " ".repeat(8)
    } else {
        f8(f.own_ns as f64 / f.calls as f64)
    };
    let cumtime_per_call = if f.primitive_calls == 0 {
        " ".repeat(8)
    } else {
        f8(f.cumulative_ns as f64 / f.primitive_calls as f64)
    };
    format!(
        "{ncalls:>9} {} {tottime_per_call} {} {cumtime_per_call} {}\n",
        f8(f.own_ns as f64),
        f8(f.cumulative_ns as f64),
        std_string(f)
    )
}

fn heading(out: &mut String, width: usize, title: &str) {
    pad_right(out, "Function ", width);
    let _ = writeln!(out, "{title}");
    let _ = writeln!(out, "{}    ncalls  tottime  cumtime", " ".repeat(width));
}

/// Appends `text` left-aligned in `width` columns (characters), as `{:<width$}` does, for any
/// width: `format!` refuses widths above 65,535, which a long enough name reaches.
fn pad_right(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    let used = text.chars().count();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
}

/// pstats' `func_std_string` of a key: `file:line(name)`, or for `("~", 0, name)` the name,
/// with `<name>` shown as `{name}`.
fn key_string((file, line, name): &FunctionKey) -> String {
    if file == "~" && *line == 0 {
        match name.strip_prefix('<').and_then(|n| n.strip_suffix('>')) {
            Some(inner) => format!("{{{inner}}}"),
            None => name.clone(),
        }
    } else {
        format!("{file}:{line}({name})")
    }
}

/// One function's callers or callees, as pstats' `print_call_line`: edges from the same
/// function (on different lines) add up.
fn call_line(
    out: &mut String,
    graph: &CallGraph<'_>,
    width: usize,
    function: usize,
    edges: &[Edge],
    arrow: &str,
    other_end: impl Fn(&Edge) -> Caller,
) {
    pad_right(out, &std_string(&graph.functions()[function]), width);
    let _ = write!(out, "{arrow} ");
    let mut rows: BTreeMap<FunctionKey, EdgeSum> = BTreeMap::new();
    for e in edges {
        graph.add_to(rows.entry(graph.key(other_end(e), e)).or_default(), e);
    }
    if rows.is_empty() {
        out.push('\n');
        return;
    }
    for (n, (key, sum)) in rows.iter().enumerate() {
        let (indent, pad) = if n == 0 { (0, 7) } else { (width + 1, 9) };
        let substats = if sum.calls != sum.primitive_calls {
            format!("{}/{}", sum.calls, sum.primitive_calls)
        } else {
            sum.calls.to_string()
        };
        let _ = writeln!(
            out,
            "{}{substats:>pad$} {} {}  {}",
            " ".repeat(indent),
            f8(sum.own_ns),
            f8(sum.time_ns),
            key_string(key),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_beyond_format_widths() {
        let mut out = String::new();
        pad_right(&mut out, "é", 70_000);
        assert_eq!(out.chars().count(), 70_000);
        assert!(out.starts_with("é "));
        out.clear();
        pad_right(&mut out, "abc", 2);
        assert_eq!(out, "abc");
    }

    #[test]
    fn names_as_pstats_prints_them() {
        let key = |file: &str, line, name: &str| (file.to_owned(), line, name.to_owned());
        assert_eq!(key_string(&key("src/a.rs", 3, "a::f")), "src/a.rs:3(a::f)");
        assert_eq!(key_string(&key("~", 0, "<other>")), "{other}");
        assert_eq!(key_string(&key("~", 0, "gone::f")), "gone::f");
    }
}
