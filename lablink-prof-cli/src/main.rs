//! The `lablink-prof` command: reads profiles saved with `LABLINK_PROFILE_OUT` and shows them
//! as line tables (`view`), pstats' function table (`stats`), a regression check (`diff`), a
//! flame graph (`flamegraph`), an HTML page (`html`), or exports them for Python's pstats and
//! SnakeViz (`export --pstats`) or for pprof (`export --pprof`); `top` watches a running program
//! live.
//!
//! Results go to stdout (or `-o FILE`), progress and errors to stderr. Exit status: 0 on
//! success, 1 when `diff` finds a regression, 2 on bad input or usage.

mod callgraph;
mod diff;
mod error;
mod export;
mod flamegraph;
mod folded;
mod html;
mod layouts;
mod leak_diff;
mod load;
mod marshal;
mod output;
mod pprof;
mod sampling;
mod stats;
mod top;
mod view;

use clap::{Parser, Subcommand};

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "lablink-prof",
    version,
    about = "Show, compare and export lablink-prof profiles (JSON files written with LABLINK_PROFILE_OUT), and watch running programs live."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Print the line tables, as at exit; several files add up.
    View(view::ViewArgs),
    /// Print cProfile/pstats' function table (ncalls, tottime, cumtime), callers, callees.
    Stats(stats::StatsArgs),
    /// Compare two profiles per function and line; exit 1 when one got slower than the threshold.
    Diff(diff::DiffArgs),
    /// Draw a flame graph (SVG) whose frames are source lines.
    Flamegraph(flamegraph::FlamegraphArgs),
    /// Write one self-contained HTML page: functions, source with bars, flame graph.
    Html(html::HtmlArgs),
    /// Write the profile in another tool's format: Python's pstats (SnakeViz) or pprof's protobuf.
    Export(export::ExportArgs),
    /// A live view of a running program (--pid) or of a file it rewrites, line by line.
    Top(top::TopArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::View(args) => view::run(args).map(|()| 0),
        Command::Stats(args) => stats::run(args).map(|()| 0),
        Command::Diff(args) => diff::run(args),
        Command::Flamegraph(args) => flamegraph::run(args).map(|()| 0),
        Command::Html(args) => html::run(args).map(|()| 0),
        Command::Export(args) => export::run(args).map(|()| 0),
        Command::Top(args) => top::run(args).map(|()| 0),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("lablink-prof: error: {e}");
            std::process::exit(2);
        }
    }
}
