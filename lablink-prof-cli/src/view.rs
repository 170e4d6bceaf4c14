//! `lablink-prof view FILE...`: the line tables, as printed at exit, of one or more profiles
//! added up.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use lablink_prof_runtime::profile::{FunctionProfile, Profile};
use lablink_prof_runtime::report::{self, ReportFormat};

use crate::error::CliError;
use crate::{load, output};
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
    if profiles.len() > 1 {
        let mixed =
            profiles.iter().any(|p| p.heap_counted) && profiles.iter().any(|p| !p.heap_counted);
        if mixed {
            eprintln!(
                "lablink-prof: note: only some of these profiles counted heap memory; the memory \
                 columns add up those that did"
            );
        }
    }
    let profile = rules::add_up(profiles, &labels);
    let layout = match (args.layout, args.unit) {
        (Some(layout), Some(_)) if layout != Layout::Kernprof => {
            eprintln!("lablink-prof: note: --unit applies to the kernprof layout only");
            layout
        }
        (Some(layout), _) => layout,
        (None, Some(_)) => Layout::Kernprof,
        (None, None) => Layout::Table,
    };
    let mut text = render(&profile, args, layout);
    if let (Some(tracking), false) = (&profile.heap_tracking, layout == Layout::Json) {
        text.push('\n');
        text.push_str(&report::heap_tracking::render(tracking, None));
    }
    output::stdout(text.as_bytes())
}

/// The text `view` prints for a (merged) profile.
pub fn render(profile: &Profile, args: &ViewArgs, layout: Layout) -> String {
    let mut profile = select(profile.clone(), args);
    if !args.per_thread {
        return render_layout(&profile, layout, args.unit);
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
            ..profile.clone()
        };
        part = select(part, args);
        let name = names.get(&index).map_or("", String::as_str);
        out.push_str(&section_title(&format!("Thread {index}"), name));
        out.push_str(&render_layout(&part, layout, args.unit));
    }
    profile.functions.retain(|f| f.threads.is_empty());
    if !profile.functions.is_empty() {
        out.push_str(&section_title("Threads not recorded", ""));
        out.push_str(&render_layout(&profile, layout, args.unit));
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

fn render_layout(profile: &Profile, layout: Layout, unit: Option<Unit>) -> String {
    match (layout, unit) {
        (Layout::Kernprof, Some(unit)) if unit != Unit::Ns => {
            lablink_prof_runtime::report::kernprof::render_with_unit(profile, unit.seconds())
        }
        (Layout::Kernprof, _) => report::render(profile, ReportFormat::Kernprof),
        (Layout::Table, _) => report::render(profile, ReportFormat::Table),
        (Layout::MemoryProfiler, _) => report::render(profile, ReportFormat::MemoryProfiler),
        (Layout::Json, _) => report::render(profile, ReportFormat::Json),
    }
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

/// Function `f` as thread `thread` saw it, if it recorded there. Own and cumulative time are
/// not recorded per thread: they are given the thread's share of the function's total time.
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
        lines: t.lines.clone(),
        threads: vec![t.clone()],
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
