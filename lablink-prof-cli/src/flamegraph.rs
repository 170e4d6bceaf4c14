//! `lablink-prof flamegraph FILE -o out.svg`: a flame graph whose frames are source lines.

use std::path::PathBuf;

use clap::Args;
use inferno::flamegraph::{self, Options};
use lablink_prof_runtime::profile::{Profile, TimeMode};
use lablink_prof_runtime::report::units::duration;

use crate::error::CliError;
use crate::folded::{DEFAULT_MAX_DEPTH, folded_stacks, folded_text};
use crate::{load, output};

/// Options of `lablink-prof flamegraph`.
#[derive(Debug, Args)]
pub struct FlamegraphArgs {
    /// The profile (JSON, as written with LABLINK_PROFILE_OUT).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where to write the SVG (`-` for stdout).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Write the folded stacks (`frame;frame count`, in ns) instead of an SVG.
    #[arg(long)]
    pub folded: bool,
    /// The graph's title.
    #[arg(long, default_value = "lablink-prof: time by source line")]
    pub title: String,
    /// Cut stacks (recursion, cycles) deeper than this many frames.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
}

/// Runs the subcommand.
///
/// # Errors
/// A file that cannot be read or written, or a profile with no timed line.
pub fn run(args: &FlamegraphArgs) -> Result<(), CliError> {
    let profile = load::load(&args.file)?;
    let stacks = folded_stacks(&profile, args.max_depth);
    if stacks.is_empty() {
        let timed = profile
            .functions
            .iter()
            .any(|f| f.lines.iter().any(|l| l.time_ns > 0));
        return Err(CliError::input(
            &args.file,
            if timed {
                "there is no flame graph to draw: the lines' time is all in calls that \
                 functions made to themselves, with no outermost call recorded"
            } else {
                "the profile has no timed lines: there is no flame graph to draw"
            },
        ));
    }
    if args.folded {
        return output::file(
            &args.output,
            folded_text(&stacks).as_bytes(),
            "folded stacks",
        );
    }
    let svg = svg(&profile, &stacks, &args.title)
        .map_err(|e| CliError::input(&args.file, format!("cannot draw a flame graph: {e}")))?;
    output::file(&args.output, svg.as_bytes(), "the flame graph")
}

/// The flame graph of folded `stacks` as an SVG document (inferno, with its search and zoom
/// script inline). Counts are nanoseconds.
///
/// # Errors
/// What inferno reports (no stacks to draw).
pub fn svg(profile: &Profile, stacks: &[(String, u64)], title: &str) -> std::io::Result<String> {
    let text = folded_text(stacks);
    let mut options = Options::default();
    options.title = title.to_owned();
    options.count_name = "ns".to_owned();
    options.name_type = "Line:".to_owned();
    options.hash = true;
    options.subtitle = Some(
        if profile.mode == TimeMode::Sampled && !profile.stacks.is_empty() {
            let samples: u64 = profile.stacks.iter().map(|s| s.samples).sum();
            format!(
                "{} profiled functions; the sampled stacks ({samples} samples every {}); width = \
             wall time; frames are function:line",
                profile.functions.len(),
                duration(profile.sample_interval_ns as f64),
            )
        } else {
            format!(
                "{} profiled functions; width = wall time; frames are function:line",
                profile.functions.len()
            )
        },
    );
    let mut svg = Vec::new();
    flamegraph::from_lines(&mut options, text.lines(), &mut svg)?;
    Ok(String::from_utf8_lossy(&svg).into_owned())
}
