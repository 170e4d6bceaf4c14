//! `lablink-prof top`: a live view of a running program, function by function and line by
//! line, refreshed from the snapshots it writes (on `SIGUSR1`, or every
//! `LABLINK_PROFILE_INTERVAL` seconds).

mod interval;
mod screen;
mod source;
mod text;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::error::CliError;
use crate::output;
use interval::{Columns, Interval, SortBy};
use source::{Target, Update};

/// Options of `lablink-prof top`.
#[derive(Debug, Args)]
pub struct TopArgs {
    /// A profile file a running program rewrites (LABLINK_PROFILE_OUT with
    /// LABLINK_PROFILE_INTERVAL).
    #[arg(
        value_name = "FILE",
        required_unless_present = "pid",
        conflicts_with = "pid"
    )]
    pub file: Option<PathBuf>,
    /// Attach to this running program (started with LABLINK_PROFILING=1): snapshots are asked
    /// for with SIGUSR1.
    #[arg(long, short = 'p', value_name = "PID")]
    pub pid: Option<u32>,
    /// Seconds between refreshes; with --pid, between the snapshots asked for.
    #[arg(long, short = 'r', value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    pub refresh: Duration,
    /// Print one refresh as text and exit: two snapshots (with --pid, one refresh apart; with
    /// a file, the file as it is and its next version).
    #[arg(long)]
    pub once: bool,
    /// Order functions by their time (bytes with --memory) in the last interval or in total.
    #[arg(long, value_enum, default_value_t = Sort::Interval)]
    pub sort: Sort,
    /// Start with the memory columns (bytes and allocations) instead of the time columns.
    #[arg(long)]
    pub memory: bool,
    /// Seconds to wait for a snapshot before saying why none came.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    pub timeout: Duration,
}

/// The order of the functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Sort {
    /// Time (or bytes) in the last interval.
    Interval,
    /// Time (or bytes) since recording began.
    Total,
}

/// A positive number of seconds, e.g. `1` or `0.25`.
fn seconds(value: &str) -> Result<Duration, String> {
    let s: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not a number of seconds"))?;
    if s.is_finite() && s > 0.0 && s < 1e9 {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(format!("{value:?} is not a number of seconds above 0"))
    }
}

/// Runs `lablink-prof top`.
///
/// # Errors
/// [`CliError::Process`] for a process that is not there or not recording,
/// [`CliError::Input`] for a file that never holds a readable profile in time, and
/// [`CliError::Output`] when the terminal cannot be used.
pub fn run(args: &TopArgs) -> Result<(), CliError> {
    let target = match (&args.file, args.pid) {
        (_, Some(pid)) => Target::process(pid, args.timeout)?,
        (Some(path), None) => Target::file(path)?,
        (None, None) => return Err(CliError::Usage("top needs a FILE or --pid PID".into())),
    };
    let sort = match args.sort {
        Sort::Interval => SortBy::Interval,
        Sort::Total => SortBy::Total,
    };
    let columns = if args.memory {
        Columns::Memory
    } else {
        Columns::Time
    };
    if args.once {
        once(target, args, sort, columns)
    } else if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        Err(CliError::Usage(
            "the live view needs a terminal; for text, use top --once".into(),
        ))
    } else {
        screen::run(target, args.refresh, args.timeout, sort, columns)
    }
}

/// Takes two snapshots and prints the interval between them.
fn once(
    mut target: Target,
    args: &TopArgs,
    sort: SortBy,
    columns: Columns,
) -> Result<(), CliError> {
    let first = next_snapshot(&mut target, None, args.timeout)?;
    if matches!(target, Target::Process(_)) {
        let since = first.requested.unwrap_or(first.seen).elapsed();
        std::thread::sleep(args.refresh.saturating_sub(since));
    }
    let second = next_snapshot(&mut target, Some(first.stamp), args.timeout)?;
    let mut interval = Interval::between(Some(&first), &second);
    interval.sort(sort, columns);
    let text = text::render(
        &interval,
        &target.program(),
        target.uptime(),
        second.age(),
        sort,
        columns == Columns::Memory,
    );
    output::stdout(text.as_bytes())
}

/// The next whole snapshot; a corrupt one is skipped with a note on stderr.
fn next_snapshot(
    target: &mut Target,
    mut last: Option<source::FileStamp>,
    timeout: Duration,
) -> Result<source::Snapshot, CliError> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match target.next(last, left) {
            Update::Snapshot(s) => return Ok(*s),
            Update::Skipped { stamp, problem } => {
                eprintln!("lablink-prof: skipped a snapshot: {problem}");
                last = stamp;
            }
            Update::Late(why) | Update::Ended(why) => {
                return Err(CliError::Usage(format!(
                    "no snapshot from {}: {why}",
                    target.program()
                )));
            }
        }
    }
}
