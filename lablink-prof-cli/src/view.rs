//! `lablink-prof view FILE...`: the line tables, as printed at exit, of one or more profiles
//! added up.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use lablink_prof_runtime::profile::{FunctionProfile, Profile};
use lablink_prof_runtime::report::{self, ReportFormat, table_layout};

use crate::error::CliError;
use crate::{layouts, load, output};
use lablink_prof_runtime::model::rules;

/// Options of `lablink-prof view`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Profiles (JSON); several are added up.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// The layout: the default table, kernprof's, memory_profiler's, or the (merged) JSON.
    #[arg(long, value_enum)]
    pub layout: Option<Layout>,
    /// kernprof's timer unit for Time and Per Hit (implies --layout kernprof).
    #[arg(long, short = 'u', value_enum)]
    pub unit: Option<Unit>,
    /// Leave out functions with no hits.
    #[arg(long)]
    pub skip_zero: bool,
    /// The order of the functions.
    #[arg(long, value_enum, default_value_t = ViewSort::Time)]
    pub sort: ViewSort,
    /// Only functions whose name contains PATTERN (repeat for several).
    #[arg(long = "function", short = 'f', value_name = "PATTERN")]
    pub functions: Vec<String>,
    /// One section per thread, each with that thread's figures.
    #[arg(long)]
    pub per_thread: bool,
    /// Extra columns of the table layout, comma-separated: min, max, p50, p90, p99 (or all):
    /// single hits' times, from exact profiles (percentiles need distributions).
    #[arg(long, value_name = "LIST", value_parser = parse_columns)]
    pub columns: Option<Columns>,
}

/// The table's extra columns, as `--columns` names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns(pub Vec<table_layout::Column>);

fn parse_columns(list: &str) -> Result<Columns, String> {
    table_layout::Column::parse_list(list).map(Columns)
}

/// A report layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Layout {
    /// Time and memory side by side (the default).
    Table,
    /// `kernprof -l -v`.
    Kernprof,
    /// memory_profiler's `@profile` layout.
    #[value(name = "memory_profiler", alias = "memory-profiler")]
    MemoryProfiler,
    /// The profile as JSON (with several files: their sum).
    Json,
}

/// kernprof's timer unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Unit {
    /// Nanoseconds (`Timer unit: 1e-09 s`).
    Ns,
    /// Microseconds (`Timer unit: 1e-06 s`).
    Us,
    /// Milliseconds (`Timer unit: 0.001 s`).
    Ms,
    /// Seconds (`Timer unit: 1 s`).
    S,
}

impl Unit {
    /// The unit in seconds.
    pub fn seconds(self) -> f64 {
        match self {
            Unit::Ns => 1e-9,
            Unit::Us => 1e-6,
            Unit::Ms => 1e-3,
            Unit::S => 1.0,
        }
    }
}

/// The order of functions in `view`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViewSort {
    /// Total time, longest first.
    Time,
    /// Calls, most first.
    Calls,
    /// Name.
    Name,
    /// File, then line.
    File,
}

/// Runs the subcommand.
///
/// # Errors
/// The first file that cannot be read; `--per-thread` with `--layout json`.
pub fn run(args: &ViewArgs) -> Result<(), CliError> {
    if args.per_thread && args.layout == Some(Layout::Json) {
        return Err(CliError::Usage(
            "--per-thread cannot be used with --layout json: the JSON holds the per-thread \
             figures already (\"threads\" of each function)"
                .to_owned(),
        ));
    }
    let profiles = load::load_all(&args.files)?;
    let labels: Vec<String> = args.files.iter().map(|p| p.display().to_string()).collect();
    let mixed = profiles.len() > 1
        && profiles.iter().any(|p| p.heap_counted)
        && profiles.iter().any(|p| !p.heap_counted);
    let mut profile = crate::sampling::add_up(profiles, &args.files, &labels)?;
    if mixed {
        eprintln!(
            "lablink-prof: note: only some of these profiles counted heap memory; the memory \
             columns add up those that did"
        );
    }
    let layout = match (args.layout, args.unit) {
        (Some(layout), Some(_)) if layout != Layout::Kernprof => {
            eprintln!("lablink-prof: note: --unit applies to the kernprof layout only");
            layout
        }
        (Some(layout), _) => layout,
        (None, Some(_)) => Layout::Kernprof,
        (None, None) => Layout::Table,
    };
    if layout != Layout::Json {
        for note in show_lines_past_source(&mut profile) {
            eprintln!("lablink-prof: note: {note}");
        }
    }
    let tracking = profile.heap_tracking.clone();
    let mut text = render(profile, args, layout);
    if let (Some(tracking), false) = (&tracking, layout == Layout::Json) {
        text.push('\n');
        text.push_str(&report::heap_tracking::render(tracking, None));
    }
    output::stdout(text.as_bytes())
}

/// The text `view` prints for a (merged) profile.
pub fn render(profile: Profile, args: &ViewArgs, layout: Layout) -> String {
    let mut profile = select(profile, args);
    if !args.per_thread {
        return render_layout(&profile, layout, args);
    }
    let mut out = String::new();
    let names: BTreeMap<u32, String> = profile
        .threads
        .iter()
        .map(|t| (t.index, t.name.clone()))
        .collect();
    let mut indexes: Vec<u32> = profile
        .functions
        .iter()
        .flat_map(|f| f.threads.iter().map(|t| t.thread))
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    for index in indexes {
        let mut part = Profile {
            functions: profile
                .functions
                .iter()
                .filter_map(|f| on_thread(f, index))
                .collect(),
            stacks: profile
                .stacks
                .iter()
                .filter(|s| s.thread == index)
                .cloned()
                .collect(),
            ..profile.clone()
        };
        part = select(part, args);
        let name = names.get(&index).map_or("", String::as_str);
        out.push_str(&section_title(&format!("Thread {index}"), name));
        out.push_str(&render_layout(&part, layout, args));
    }
    profile.functions.retain(|f| f.threads.is_empty());
    if !profile.functions.is_empty() {
        out.push_str(&section_title("Threads not recorded", ""));
        out.push_str(&render_layout(&profile, layout, args));
    }
    out
}

fn section_title(title: &str, name: &str) -> String {
    let title = if name.is_empty() {
        title.to_owned()
    } else {
        format!("{title}: {name}")
    };
    format!(
        "═══ {title} {}\n\n",
        "═".repeat(60usize.saturating_sub(title.len()))
    )
}

fn render_layout(profile: &Profile, layout: Layout, args: &ViewArgs) -> String {
    match (layout, args.unit) {
        (Layout::Kernprof, unit) => layouts::kernprof(profile, unit.map_or(1e-9, Unit::seconds)),
        (Layout::Table, _) => {
            let columns = args.columns.as_ref().map_or(&[][..], |c| c.0.as_slice());
            layouts::table_with(profile, columns)
        }
        (Layout::MemoryProfiler, _) => layouts::memory_profiler(profile),
        (Layout::Json, _) => report::render(profile, ReportFormat::Json),
    }
}

/// How many blank source lines `view` adds to show recorded lines past a function's source.
const MAX_PADDING: usize = 10_000;

/// Makes the tables show lines recorded past the end of a function's source (or in a function
/// without source): its source is extended with blank lines up to the last recorded line, so
/// the layouts, which print one row per source line, print those rows too. Returns a note for
/// each function with lines that still cannot be shown (before its first line, or more than
/// [`MAX_PADDING`] lines past its source).
pub fn show_lines_past_source(profile: &mut Profile) -> Vec<String> {
    let mut notes = Vec::new();
    for f in &mut profile.functions {
        let lines = f
            .lines
            .iter()
            .chain(f.threads.iter().flat_map(|t| &t.lines));
        let Some(last) = lines.clone().map(|l| l.line).max() else {
            continue;
        };
        let end = u64::from(f.line) + f.source.len() as u64;
        if u64::from(last) >= end && u64::from(last) - end < MAX_PADDING as u64 {
            let len = (u64::from(last) - u64::from(f.line) + 1) as usize;
            f.source.resize(len, String::new());
        }
        let end = u64::from(f.line) + f.source.len() as u64;
        let mut hidden: Vec<u32> = lines
            .map(|l| l.line)
            .filter(|&n| n < f.line || u64::from(n) >= end)
            .collect();
        hidden.sort_unstable();
        hidden.dedup();
        if !hidden.is_empty() {
            let list: Vec<String> = hidden.iter().take(5).map(u32::to_string).collect();
            notes.push(format!(
                "{}: line{} {}{} recorded but not in the table: outside the function's lines \
                 ({} to {}); `--layout json` and `html` show {}",
                crate::load::quoted(&f.name),
                if hidden.len() == 1 { "" } else { "s" },
                list.join(", "),
                if hidden.len() > 5 { ", ..." } else { "" },
                f.line,
                end.saturating_sub(1).max(u64::from(f.line)),
                if hidden.len() == 1 { "it" } else { "them" },
            ));
        }
    }
    notes
}

/// The functions `args` asks for, in its order.
fn select(mut profile: Profile, args: &ViewArgs) -> Profile {
    if !args.functions.is_empty() {
        profile
            .functions
            .retain(|f| args.functions.iter().any(|p| f.name.contains(p.as_str())));
    }
    if args.skip_zero {
        profile
            .functions
            .retain(|f| f.lines.iter().any(|l| l.hits > 0));
    }
    let functions = &mut profile.functions;
    match args.sort {
        ViewSort::Time => rules::sort_by_time(functions),
        ViewSort::Calls => {
            functions.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.name.cmp(&b.name)))
        }
        ViewSort::Name => functions.sort_by(|a, b| a.name.cmp(&b.name).then(a.file.cmp(&b.file))),
        ViewSort::File => {
            functions.sort_by(|a, b| (&a.file, a.line, &a.name).cmp(&(&b.file, b.line, &b.name)))
        }
    }
    profile
}

/// Function `f` as thread `thread` saw it, if it recorded there. Own, cumulative and measured
/// time are not recorded per thread: they are given the thread's share of the function's total
/// time. (A sampled function's samples and errors come from the thread's own stacks.)
fn on_thread(f: &FunctionProfile, thread: u32) -> Option<FunctionProfile> {
    let t = f.threads.iter().find(|t| t.thread == thread)?;
    let share = |ns: u64| {
        if f.total_ns == 0 {
            0
        } else {
            (ns as f64 * t.total_ns as f64 / f.total_ns as f64).round() as u64
        }
    };
    Some(FunctionProfile {
        calls: t.calls,
        primitive_calls: f.primitive_calls.min(t.calls),
        total_ns: t.total_ns,
        cumulative_ns: share(f.cumulative_ns),
        own_ns: share(f.own_ns),
        measured_ns: share(f.measured_ns),
        lines: t.lines.clone(),
        threads: vec![t.clone()],
        // Calls' extremes and distribution are kept for the function, not per thread.
        min_ns: None,
        max_ns: None,
        hist: Default::default(),
        ..f.clone()
    })
}

#[cfg(test)]
mod kernprof_unit_tests {
    use lablink_prof_runtime::report::{self, ReportFormat};

    use lablink_prof_runtime::profile::Profile;
    use lablink_prof_runtime::report::kernprof::render_with_unit;

    fn golden() -> Profile {
        serde_json::from_str(include_str!("../tests/golden/lablink_server.json")).unwrap()
    }

    #[test]
    fn in_nanoseconds_it_is_the_runtime_layout() {
        let p = golden();
        assert_eq!(
            render_with_unit(&p, 1e-9),
            report::render(&p, ReportFormat::Kernprof)
        );
    }

    #[test]
    fn other_units_scale_time_only() {
        let p = golden();
        let ms = render_with_unit(&p, 1e-3);
        assert!(ms.starts_with("Timer unit: 0.001 s\n\nTotal time: 0.00549116 s\n"));
        // run:21 took 350,000 ns once: 0.35 ms, which Python's `%5.1f` shows as 0.3 too.
        let row = ms.lines().find(|l| l.starts_with("    21 ")).unwrap();
        assert_eq!(
            row,
            "    21         1          0.3      0.3      6.4      let tree = Node::sample(config.tree_depth);"
        );
    }
}
