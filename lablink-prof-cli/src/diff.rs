//! `lablink-prof diff BASE NEW`: what got slower, per function and per line, for CI.
//!
//! Time per call is `total_ns / calls` (recursive calls included, so a function's lines add
//! up to it). A function is checked when it meets both noise guards: at least `--min-calls`
//! calls in each profile and at least `--min-time-ms` of total time in one of them. The exit
//! status is 1 when a checked function got slower per call by more than `--threshold`,
//! else 0 (2 on errors).
//!
//! With `--metric p50|p90|p99|max` the figure compared is that percentile (or the longest) of
//! single calls, from the profiles' distributions (exact mode; percentiles need distributions,
//! on unless `LABLINK_PROFILE_DISTRIBUTIONS=0` when recording), read within 1/16; a function
//! without the figure on either side is not checked.
//!
//! A line of an `async fn` that blocks the executor in NEW and did not in BASE also fails the
//! check (status 1), unless `--allow-new-blocking`.
//!
//! When either profile is sampled, its times carry a 95% error (see the `sampling` module): a
//! change beyond the threshold still fails the check only when the difference of the times per
//! call exceeds `√(eb² + en²)`, each side's error of its total over its calls (0 for an exact
//! side); otherwise the function is `within noise`, and the report says so.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use lablink_prof_runtime::profile::{FunctionProfile, LineProfile, Profile};
use lablink_prof_runtime::report::units::{bytes, duration};

use crate::error::CliError;
use crate::sampling::SampledErrors;
use crate::{load, output};

/// Options of `lablink-prof diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The profile before the change.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// The profile after the change.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Fail when a function's time per call grew by more than this (`20%` or `20`).
    #[arg(long, value_name = "PERCENT", default_value = "20%", value_parser = parse_percent)]
    pub threshold: f64,
    /// Noise guard: check only functions called at least N times in both profiles.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub min_calls: u64,
    /// Noise guard: check only functions with at least T ms of total time in either profile.
    #[arg(long, value_name = "T", default_value_t = 1.0)]
    pub min_time_ms: f64,
    /// Show the lines of every function, not only of those beyond the threshold.
    #[arg(long)]
    pub lines: bool,
    /// The figure compared: per call, the mean, a percentile of single calls, or the longest;
    /// or `leaks`: bytes live at exit per line (profiles written with
    /// `LABLINK_PROFILE_HEAP=track`), for leak regressions.
    #[arg(long, value_enum, default_value_t = Metric::Mean)]
    pub metric: Metric,
    /// Do not fail when a line starts blocking the executor.
    #[arg(long)]
    pub allow_new_blocking: bool,
    /// With `--metric leaks`: fail when a line's bytes live at exit grew by more than this.
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub max_growth: u64,
}

/// The figure per call `diff` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Metric {
    /// Total time over calls.
    #[default]
    Mean,
    /// The median call.
    P50,
    /// The 90th percentile of calls.
    P90,
    /// The 99th percentile of calls.
    P99,
    /// The longest call.
    Max,
    /// Bytes live at exit, per line (whole-process heap tracking).
    Leaks,
}

impl Metric {
    fn label(self) -> &'static str {
        match self {
            Metric::Mean => "Time/call",
            Metric::P50 => "p50 call/hit",
            Metric::P90 => "p90 call/hit",
            Metric::P99 => "p99 call/hit",
            Metric::Max => "Max call/hit",
            Metric::Leaks => "Live at exit",
        }
    }

    /// The figure of `f`, in nanoseconds, if it has one.
    fn of(self, f: &FunctionProfile) -> Option<f64> {
        let q = |q: f64| f.quantile_ns(q).map(|ns| ns as f64);
        match self {
            Metric::Mean => (f.calls > 0).then(|| f.total_ns as f64 / f.calls as f64),
            Metric::P50 => q(0.5),
            Metric::P90 => q(0.9),
            Metric::P99 => q(0.99),
            Metric::Max => f.max_ns.map(|ns| ns as f64),
            Metric::Leaks => None,
        }
    }

    /// The figure of line `l` of a function called `calls` times: its time per call for the
    /// mean, else the percentile (or the longest) of its single hits.
    fn of_line(self, l: &LineProfile, calls: u64) -> Option<f64> {
        let q = |q: f64| l.quantile_ns(q).map(|ns| ns as f64);
        match self {
            Metric::Mean => Some(l.time_ns as f64 / calls.max(1) as f64),
            Metric::P50 => q(0.5),
            Metric::P90 => q(0.9),
            Metric::P99 => q(0.99),
            Metric::Max => l.max_ns.map(|ns| ns as f64),
            Metric::Leaks => None,
        }
    }
}

/// `20%`, `20` or `12.5%` as a percentage.
fn parse_percent(s: &str) -> Result<f64, String> {
    let number = s.trim().trim_end_matches('%').trim();
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p),
        _ => Err(format!("{s:?} is not a percentage like 20%")),
    }
}

/// What happened to one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Slower per call than the threshold allows: fails the check.
    Slower,
    /// Faster per call by more than the threshold.
    Faster,
    /// Beyond the threshold, but by less than the combined 95% error of sampled times: not a
    /// change the profiles can tell.
    WithinNoise,
    /// Within the threshold.
    Same,
    /// Below a noise guard: not checked.
    Noise,
    /// Only in the new profile.
    Added,
    /// Only in the base profile.
    Removed,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Slower => "SLOWER",
            Verdict::Faster => "faster",
            Verdict::WithinNoise => "within noise",
            Verdict::Same => "ok",
            Verdict::Noise => "noise",
            Verdict::Added => "new",
            Verdict::Removed => "gone",
        }
    }
}

/// One function's comparison.
#[derive(Debug)]
pub struct FunctionDiff<'a> {
    /// Its figures before, if it ran.
    pub base: Option<&'a FunctionProfile>,
    /// Its figures after, if it ran.
    pub new: Option<&'a FunctionProfile>,
    /// The change of time per call, in percent, when it ran in both.
    pub change: Option<f64>,
    /// The combined 95% error of the two times per call (nanoseconds), when either is sampled.
    pub error: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

impl FunctionDiff<'_> {
    fn name(&self) -> &str {
        self.new.or(self.base).map_or("", |f| f.name.as_str())
    }

    /// How much the time per call changed, in nanoseconds, either way.
    fn difference(&self) -> f64 {
        match (self.base.and_then(mean), self.new.and_then(mean)) {
            (Some(b), Some(n)) => (n - b).abs(),
            _ => 0.0,
        }
    }
}

/// The times per call before and after, each with its 95% error when sampled.
fn per_call_texts(d: &FunctionDiff<'_>, sides: &Sides) -> (String, String) {
    let side = |f: Option<&FunctionProfile>, errors: Option<&SampledErrors>| {
        time_cell(
            f.and_then(|f| sides.metric.of(f)),
            f.filter(|_| errors.is_some())
                .map(|f| per_call_error(errors, f)),
        )
    };
    (
        side(d.base, sides.base.as_ref()),
        side(d.new, sides.new.as_ref()),
    )
}

/// Runs the subcommand; the result is the exit status.
///
/// # Errors
/// A file that cannot be read.
pub fn run(args: &DiffArgs) -> Result<i32, CliError> {
    let base = load::load(&args.base)?;
    let new = load::load(&args.new)?;
    if args.metric == Metric::Leaks {
        return crate::leak_diff::run(&base, &new, args);
    }
    if args.metric != Metric::Mean {
        for (path, p) in [(&args.base, &base), (&args.new, &new)] {
            if p.mode == lablink_prof_runtime::TimeMode::Sampled {
                return Err(CliError::Usage(format!(
                    "--metric {:?} needs single calls timed, and {} is sampled, where they are \
                     not (record in exact mode)",
                    args.metric,
                    path.display()
                )));
            }
            let needs_histogram = args.metric != Metric::Max;
            if needs_histogram && p.functions.iter().all(|f| f.hist.is_empty()) {
                return Err(CliError::Usage(format!(
                    "--metric {:?}: {} has no distributions (recorded with \
                     LABLINK_PROFILE_DISTRIBUTIONS=0, or by an older version; record without it)",
                    args.metric,
                    path.display()
                )));
            }
        }
    }
    let diffs = compare(&base, &new, args);
    let mut sides = Sides::of(&base, &new);
    sides.metric = args.metric;
    let blocking = if args.allow_new_blocking {
        Vec::new()
    } else {
        new_blocking(&base, &new)
    };
    let mut text = render(&diffs, args, &sides);
    text.push_str(&blocking_text(&blocking));
    output::stdout(text.as_bytes())?;
    Ok(
        if diffs.iter().any(|d| d.verdict == Verdict::Slower) || !blocking.is_empty() {
            1
        } else {
            0
        },
    )
}

/// Mean time per call, in nanoseconds.
fn mean(f: &FunctionProfile) -> Option<f64> {
    Metric::Mean.of(f)
}

/// A line of NEW that blocks the executor where the same line of BASE did not:
/// `(function, file, line, times, longest ns)`.
type NewBlocking = (String, String, u32, u64, u64);

/// The lines that started blocking the executor: blocking in `new`, not in `base` (paired by
/// function and source text, as the line rows are).
pub fn new_blocking(base: &Profile, new: &Profile) -> Vec<NewBlocking> {
    let mut found = Vec::new();
    for n in &new.functions {
        let b = base
            .functions
            .iter()
            .find(|b| b.name == n.name && b.file == n.file)
            .or_else(|| base.functions.iter().find(|b| b.name == n.name));
        let (nk, bk) = (line_keys(n), b.map(line_keys).unwrap_or_default());
        for l in n.lines.iter().filter(|l| l.blocking > 0) {
            let before = b.and_then(|b| {
                let key = nk.get(&l.line)?;
                b.lines
                    .iter()
                    .find(|o| bk.get(&o.line) == Some(key))
                    .map(|o| o.blocking)
            });
            if before.unwrap_or(0) == 0 {
                found.push((
                    n.name.clone(),
                    n.file.clone(),
                    l.line,
                    l.blocking,
                    l.blocking_max_ns,
                ));
            }
        }
    }
    found
}

/// The report's part on lines that started blocking; empty when none did.
fn blocking_text(lines: &[NewBlocking]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "FAIL: {} line{} started blocking the executor:\n",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" }
    );
    for (name, file, line, times, longest) in lines {
        out.push_str(&format!(
            "  blocks the executor: {file}:{line} ({name}), {times} {}, longest {}\n",
            if *times == 1 { "time" } else { "times" },
            duration(*longest as f64),
        ));
    }
    out
}

/// `(new - base) / base` in percent; infinite when the base is zero and the new is not.
fn percent(base: f64, new: f64) -> f64 {
    if base == 0.0 {
        if new == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        100.0 * (new - base) / base
    }
}

/// The sampling errors of the two profiles (`None` for an exact one).
#[derive(Debug, Default)]
pub struct Sides {
    base: Option<SampledErrors>,
    new: Option<SampledErrors>,
    /// The figure per call compared.
    pub metric: Metric,
}

impl Sides {
    /// The errors of `base` and `new`.
    pub fn of(base: &Profile, new: &Profile) -> Sides {
        Sides {
            base: SampledErrors::of(base),
            new: SampledErrors::of(new),
            metric: Metric::Mean,
        }
    }

    fn any(&self) -> bool {
        self.base.is_some() || self.new.is_some()
    }

    /// The combined 95% error of `b`'s and `n`'s times per call, `√(eb² + en²)` with each
    /// side's total error over its calls, when either profile is sampled.
    fn error(&self, b: &FunctionProfile, n: &FunctionProfile) -> Option<f64> {
        if !self.any() {
            return None;
        }
        let eb = per_call_error(self.base.as_ref(), b);
        let en = per_call_error(self.new.as_ref(), n);
        Some((eb * eb + en * en).sqrt())
    }
}

/// A function's total error over its calls (0 for an exact profile).
fn per_call_error(errors: Option<&SampledErrors>, f: &FunctionProfile) -> f64 {
    errors.map_or(0.0, |e| e.total_ns(f) as f64 / f.calls.max(1) as f64)
}

/// A time per call, with its 95% error when sampled (`1.20 ms ± 95.0 µs`).
fn time_cell(ns: Option<f64>, error: Option<f64>) -> String {
    match (ns, error) {
        (Some(ns), Some(e)) => format!("{} ± {}", duration(ns), duration(e)),
        (Some(ns), None) => duration(ns),
        (None, _) => String::new(),
    }
}

/// Pairs the functions of two profiles (by name and file, else by name) and judges each.
pub fn compare<'a>(base: &'a Profile, new: &'a Profile, args: &DiffArgs) -> Vec<FunctionDiff<'a>> {
    let mut by_key: HashMap<(&str, &str), usize> = HashMap::new();
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, f) in base.functions.iter().enumerate() {
        by_key.entry((&f.name, &f.file)).or_insert(i);
        by_name.entry(&f.name).or_insert(i);
    }
    let mut used = vec![false; base.functions.len()];
    let mut pairs: Vec<(Option<usize>, &FunctionProfile)> = Vec::new();
    // Exact matches first, so a function that moved file only takes what is left.
    for f in &new.functions {
        let i = by_key.get(&(f.name.as_str(), f.file.as_str())).copied();
        if let Some(i) = i {
            used[i] = true;
        }
        pairs.push((i, f));
    }
    for (i, f) in pairs.iter_mut() {
        if i.is_none()
            && let Some(&j) = by_name.get(f.name.as_str())
            && !used[j]
        {
            used[j] = true;
            *i = Some(j);
        }
    }
    let min_time_ns = args.min_time_ms * 1e6;
    let sides = Sides::of(base, new);
    let mut diffs: Vec<FunctionDiff<'a>> = pairs
        .into_iter()
        .map(|(i, n)| match i.map(|i| &base.functions[i]) {
            None => FunctionDiff {
                base: None,
                new: Some(n),
                change: None,
                error: None,
                verdict: Verdict::Added,
            },
            Some(b) => {
                let change = match (args.metric.of(b), args.metric.of(n)) {
                    (Some(pb), Some(pn)) => Some(percent(pb, pn)),
                    _ => None,
                };
                let guarded = b.calls >= args.min_calls.max(1)
                    && n.calls >= args.min_calls.max(1)
                    && (b.total_ns.max(n.total_ns) as f64) >= min_time_ns;
                let error = sides.error(b, n);
                let beyond_error = match (mean(b), mean(n), error) {
                    (Some(pb), Some(pn), Some(e)) => (pn - pb).abs() > e,
                    _ => true,
                };
                let verdict = match change {
                    Some(c) if guarded && c.abs() > args.threshold && !beyond_error => {
                        Verdict::WithinNoise
                    }
                    Some(c) if guarded && c > args.threshold => Verdict::Slower,
                    Some(c) if guarded && c < -args.threshold => Verdict::Faster,
                    Some(_) if guarded => Verdict::Same,
                    _ => Verdict::Noise,
                };
                FunctionDiff {
                    base: Some(b),
                    new: Some(n),
                    change,
                    error,
                    verdict,
                }
            }
        })
        .collect();
    for (i, b) in base.functions.iter().enumerate() {
        if !used[i] {
            diffs.push(FunctionDiff {
                base: Some(b),
                new: None,
                change: None,
                error: None,
                verdict: Verdict::Removed,
            });
        }
    }
    diffs.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then(
                b.change
                    .unwrap_or(0.0)
                    .partial_cmp(&a.change.unwrap_or(0.0))
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
            .then(a.name().cmp(b.name()))
    });
    diffs
}

fn change_text(change: Option<f64>) -> String {
    match change {
        Some(c) if c.is_infinite() => "from 0".to_owned(),
        Some(c) => format!("{c:+.1}%"),
        None => String::new(),
    }
}

fn pair<T: PartialEq + ToString>(base: Option<T>, new: Option<T>) -> String {
    match (base, new) {
        (Some(b), Some(n)) if b == n => b.to_string(),
        (Some(b), Some(n)) => format!("{} → {}", b.to_string(), n.to_string()),
        (Some(b), None) => format!("{} → -", b.to_string()),
        (None, Some(n)) => format!("- → {}", n.to_string()),
        (None, None) => String::new(),
    }
}

/// Per-call figures of a function or a line: (time, allocations, bytes allocated).
fn line_per_call(l: &LineProfile, calls: u64) -> (f64, f64, f64) {
    let calls = calls.max(1) as f64;
    (
        l.time_ns as f64 / calls,
        l.allocs as f64 / calls,
        l.alloc_bytes as f64 / calls,
    )
}

fn count(x: f64) -> String {
    if x == x.round() {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn function_allocs(f: &FunctionProfile) -> (f64, f64) {
    let calls = f.calls.max(1) as f64;
    let allocs: u64 = f.lines.iter().map(|l| l.allocs).sum();
    let bytes_: u64 = f.lines.iter().map(|l| l.alloc_bytes).sum();
    (allocs as f64 / calls, bytes_ as f64 / calls)
}

/// The readable report.
pub fn render(diffs: &[FunctionDiff<'_>], args: &DiffArgs, sides: &Sides) -> String {
    let mut out = format!(
        "lablink-prof diff: {} → {}\nthreshold +{}% per call{}; checked: functions with at least {} \
         calls in both and {} ms in either\n",
        args.base.display(),
        args.new.display(),
        args.threshold,
        match args.metric {
            Metric::Mean => String::new(),
            m => format!(
                " ({} of single calls, read from the distributions within 1/16)",
                m.label()
            ),
        },
        args.min_calls.max(1),
        args.min_time_ms,
    );
    if sides.any() {
        let which = match (&sides.base, &sides.new) {
            (Some(_), Some(_)) => "both profiles are",
            (Some(_), None) => "the base profile is",
            _ => "the new profile is",
        };
        out.push_str(&format!(
            "{which} sampled: times carry ± their 95% error, and a change counts only when it \
             exceeds the combined error of both sides (√(base² + new²)); smaller ones are \
             within sampling noise\n"
        ));
    }
    out.push('\n');
    let mut table = Table::new();
    table
        .load_preset(lablink_prof_runtime::report::table_layout::HEADER_RULE_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header([
            "Status",
            "Function / line",
            "Calls / hits",
            format!("{} base", sides.metric.label()).as_str(),
            format!("{} new", sides.metric.label()).as_str(),
            "Change",
            "Allocs/call",
            "Alloc/call",
        ]);
    for d in diffs {
        let (ab, an) = (d.base.map(function_allocs), d.new.map(function_allocs));
        table.add_row([
            d.verdict.label().to_owned(),
            d.name().to_owned(),
            pair(d.base.map(|f| f.calls), d.new.map(|f| f.calls)),
            per_call_texts(d, sides).0,
            per_call_texts(d, sides).1,
            change_text(d.change),
            pair(ab.map(|a| count(a.0)), an.map(|a| count(a.0))),
            pair(
                ab.map(|a| bytes(a.1.round() as u64)),
                an.map(|a| bytes(a.1.round() as u64)),
            ),
        ]);
        let show_lines = args.lines || matches!(d.verdict, Verdict::Slower | Verdict::Faster);
        if let (true, Some(b), Some(n)) = (show_lines, d.base, d.new) {
            for row in line_rows(b, n, sides) {
                table.add_row(row);
            }
        }
    }
    for c in 2..8 {
        if let Some(column) = table.column_mut(c) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    out.push_str(&table.to_string());
    out.push_str("\n\n");

    let slower: Vec<&FunctionDiff<'_>> = diffs
        .iter()
        .filter(|d| d.verdict == Verdict::Slower)
        .collect();
    let checked = diffs
        .iter()
        .filter(|d| {
            matches!(
                d.verdict,
                Verdict::Slower | Verdict::Faster | Verdict::WithinNoise | Verdict::Same
            )
        })
        .count();
    let noise = diffs.iter().filter(|d| d.verdict == Verdict::Noise).count();
    let within: Vec<&FunctionDiff<'_>> = diffs
        .iter()
        .filter(|d| d.verdict == Verdict::WithinNoise)
        .collect();
    let within_text = if sides.any() {
        format!(", {} within sampling noise", within.len())
    } else {
        String::new()
    };
    if slower.is_empty() {
        out.push_str(&format!(
            "OK: no function got slower per call than +{}% ({checked} checked, {noise} below the \
             noise guards{within_text})\n",
            args.threshold
        ));
    } else {
        out.push_str(&format!(
            "FAIL: {} function{} slower per call than +{}%:\n",
            slower.len(),
            if slower.len() == 1 { "" } else { "s" },
            args.threshold
        ));
        for d in slower {
            let (b, n) = per_call_texts(d, sides);
            let beyond = match d.error {
                Some(e) => format!(
                    ", beyond the combined 95% error ± {} by {}",
                    duration(e),
                    duration(d.difference() - e)
                ),
                None => String::new(),
            };
            out.push_str(&format!(
                "  {} {} ({b} → {n}{beyond})\n",
                d.name(),
                change_text(d.change),
            ));
        }
        if !within.is_empty() {
            out.push_str(&format!("({} within sampling noise)\n", within.len()));
        }
    }
    for d in within {
        let (b, n) = per_call_texts(d, sides);
        out.push_str(&format!(
            "  within sampling noise: {} {} ({b} → {n}): the change, {} per call, is within \
             the combined 95% error, ± {}\n",
            d.name(),
            change_text(d.change),
            duration(d.difference()),
            duration(d.error.unwrap_or(0.0)),
        ));
    }
    out
}

/// A line's key for pairing across versions of a function: its trimmed source text and
/// which occurrence of that text it is, or its offset from the signature without source.
pub(crate) fn line_keys(f: &FunctionProfile) -> HashMap<u32, String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut keys = HashMap::new();
    for (i, text) in f.source.iter().enumerate() {
        let text = text.trim();
        let n = seen.entry(text).or_default();
        keys.insert(f.line + i as u32, format!("{text}\u{0}{n}"));
        *n += 1;
    }
    for l in &f.lines {
        keys.entry(l.line)
            .or_insert_with(|| format!("\u{0}offset {}", l.line.saturating_sub(f.line)));
    }
    keys
}

/// Rows for the lines of a function that ran in both profiles: those with at least 1% of
/// the function's time or some allocation in either.
fn line_rows(b: &FunctionProfile, n: &FunctionProfile, sides: &Sides) -> Vec<[String; 8]> {
    let line_error = |errors: Option<&SampledErrors>, f: &FunctionProfile, l: &LineProfile| {
        errors.map(|e| e.line_ns(f, l) as f64 / f.calls.max(1) as f64)
    };
    let (bk, nk) = (line_keys(b), line_keys(n));
    let by_key: HashMap<&str, &LineProfile> = b
        .lines
        .iter()
        .filter_map(|l| bk.get(&l.line).map(|k| (k.as_str(), l)))
        .collect();
    let mut rows = Vec::new();
    let mut matched: Vec<u32> = Vec::new();
    let mut entries: Vec<(Option<&LineProfile>, Option<&LineProfile>)> = Vec::new();
    for l in &n.lines {
        let old = nk
            .get(&l.line)
            .and_then(|k| by_key.get(k.as_str()).copied());
        if let Some(o) = old {
            matched.push(o.line);
        }
        entries.push((old, Some(l)));
    }
    for l in &b.lines {
        if !matched.contains(&l.line) {
            entries.push((Some(l), None));
        }
    }
    let significant = |l: &LineProfile, f: &FunctionProfile| {
        l.allocs > 0 || l.time_ns as f64 >= 0.01 * f.total_ns as f64
    };
    for (old, new) in entries {
        if !old.is_some_and(|l| significant(l, b)) && !new.is_some_and(|l| significant(l, n)) {
            continue;
        }
        let text = new
            .and_then(|l| n.source_line(l.line))
            .or_else(|| old.and_then(|l| b.source_line(l.line)))
            .unwrap_or("")
            .trim();
        let text: String = if text.chars().count() > 48 {
            text.chars().take(47).collect::<String>() + "…"
        } else {
            text.to_owned()
        };
        let number = pair(old.map(|l| l.line), new.map(|l| l.line));
        let (pb, pn) = (
            old.map(|l| line_per_call(l, b.calls)),
            new.map(|l| line_per_call(l, n.calls)),
        );
        let (fb, fnew) = (
            old.and_then(|l| sides.metric.of_line(l, b.calls)),
            new.and_then(|l| sides.metric.of_line(l, n.calls)),
        );
        let change = match (fb, fnew) {
            (Some(x), Some(y)) => change_text(Some(percent(x, y))),
            _ => String::new(),
        };
        // Sampling errors are of times per call: shown with the mean only.
        let mean_metric = sides.metric == Metric::Mean;
        rows.push([
            String::new(),
            format!("  {number}: {text}"),
            pair(old.map(|l| l.hits), new.map(|l| l.hits)),
            time_cell(
                fb,
                old.filter(|_| mean_metric)
                    .and_then(|l| line_error(sides.base.as_ref(), b, l)),
            ),
            time_cell(
                fnew,
                new.filter(|_| mean_metric)
                    .and_then(|l| line_error(sides.new.as_ref(), n, l)),
            ),
            change,
            pair(pb.map(|x| count(x.1)), pn.map(|x| count(x.1))),
            pair(
                pb.map(|x| bytes(x.2.round() as u64)),
                pn.map(|x| bytes(x.2.round() as u64)),
            ),
        ]);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_parse() {
        assert_eq!(parse_percent("20%"), Ok(20.0));
        assert_eq!(parse_percent("12.5"), Ok(12.5));
        assert!(parse_percent("-5%").is_err());
        assert!(parse_percent("fast").is_err());
    }

    #[test]
    fn change_is_relative() {
        assert_eq!(percent(100.0, 150.0), 50.0);
        assert_eq!(percent(100.0, 95.0), -5.0);
        assert!(percent(0.0, 1.0).is_infinite());
        assert_eq!(percent(0.0, 0.0), 0.0);
    }
}
