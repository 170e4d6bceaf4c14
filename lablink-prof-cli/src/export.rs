//! `lablink-prof export`: the profile in other tools' formats.
//!
//! - `--pstats FILE -o out.prof`: the file `pstats.Stats`, SnakeViz and other cProfile tools
//!   read (this module).
//! - `--pprof FILE -o profile.pb.gz`: pprof's protobuf (see the `pprof` module).
//!
//! # pstats
//!
//! A marshal-serialised dict, as `pstats.Stats.dump_stats` writes it:
//! `{(filename, lineno, funcname): (cc, nc, tt, ct, callers)}` with `cc` the primitive calls,
//! `nc` all calls, `tt` the own time and `ct` the cumulative time in seconds, and `callers`
//! `{caller_key: (nc, cc, tt, ct)}` per calling function (cProfile's order). It follows
//! cProfile's conventions:
//!
//! - **A root.** cProfile's top-level code has a caller (`{built-in method builtins.exec}`),
//!   and tools build their trees from it: SnakeViz leaves out a function that neither calls
//!   nor is called. Calls from `<root>` (no profiled caller) are therefore listed with the
//!   caller `("~", 0, "<root>")`, which pstats prints as `{root}`, and that key has its own
//!   entry: 0 calls (it is not a call, so the totals pstats prints stay the profile's), no own
//!   time, and as cumulative time the sum of the top-level calls' times. `<other>` (a caller
//!   among more than 16) and callers the file does not hold get an entry of the same kind.
//! - **Recursion.** A function's calls to itself are primitive once per outermost call (the
//!   function's primitive calls, at most the edge's calls); the edge's cumulative time counts
//!   the outermost level only, estimated (see [`CallGraph::edge_cumulative_ns`]), never
//!   above the function's.
//! - An edge's `tt` is the callee's own time apportioned by the edge's share of its total time
//!   (exact with one caller).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{ArgGroup, Args};
use lablink_prof_runtime::profile::{FunctionProfile, Profile, ROOT_CALLER};

use crate::callgraph::{CallGraph, Caller, EdgeSum, FunctionKey};
use crate::error::CliError;
use crate::marshal::{self, Value};
use crate::{load, output, pprof};

/// Options of `lablink-prof export`.
#[derive(Debug, Args)]
#[command(group = ArgGroup::new("format").required(true).args(["pstats", "pprof"]))]
pub struct ExportArgs {
    /// The profile (JSON).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write Python's pstats format (cProfile's, for pstats and SnakeViz).
    #[arg(long)]
    pub pstats: bool,
    /// Write pprof's protobuf, gzipped (for `go tool pprof`, Pyroscope, Parca, Grafana).
    #[arg(long)]
    pub pprof: bool,
    /// Where to write it.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
}

/// Runs the subcommand.
///
/// # Errors
/// A file that cannot be read or written.
pub fn run(args: &ExportArgs) -> Result<(), CliError> {
    let profile = load::load(&args.file)?;
    if args.pprof {
        let bytes = pprof::pprof_gz(&profile).map_err(|e| CliError::output(&args.output, e))?;
        return output::file(&args.output, &bytes, "the pprof profile");
    }
    let bytes = marshal::dumps(&pstats(&profile));
    output::file(&args.output, &bytes, "pstats data")
}

fn key_of(f: &FunctionProfile) -> FunctionKey {
    (f.file.clone(), f.line, f.name.clone())
}

fn key_value((file, line, name): &FunctionKey) -> Value {
    Value::Tuple(vec![
        Value::Str(file.clone()),
        Value::Int(i64::from(*line)),
        Value::Str(name.clone()),
    ])
}

fn int(n: u64) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn seconds(ns: f64) -> Value {
    Value::Float(ns / 1e9)
}

fn edge_value(sum: &EdgeSum) -> Value {
    Value::Tuple(vec![
        int(sum.calls),
        int(sum.primitive_calls),
        seconds(sum.own_ns),
        seconds(sum.time_ns),
    ])
}

/// The pstats dict of a profile (see the module docs).
pub fn pstats(profile: &Profile) -> Value {
    let graph = CallGraph::new(&profile.functions);
    let mut entries = Vec::new();
    // Callers that are not profiled functions (`<root>` first), and the time of their calls.
    let mut outside: BTreeMap<FunctionKey, f64> = BTreeMap::new();
    outside.insert(("~".to_owned(), 0, ROOT_CALLER.to_owned()), 0.0);
    for (i, f) in profile.functions.iter().enumerate() {
        let mut callers: BTreeMap<FunctionKey, EdgeSum> = BTreeMap::new();
        for edge in graph.callers(i) {
            let key = graph.key(edge.caller, edge);
            if !matches!(edge.caller, Caller::Function(_)) {
                *outside.entry(key.clone()).or_default() += graph.edge_cumulative_ns(edge);
            }
            graph.add_to(callers.entry(key).or_default(), edge);
        }
        let callers = callers
            .iter()
            .map(|(key, sum)| (key_value(key), edge_value(sum)))
            .collect();
        entries.push((
            key_value(&key_of(f)),
            Value::Tuple(vec![
                int(f.primitive_calls),
                int(f.calls),
                seconds(f.own_ns as f64),
                seconds(f.cumulative_ns as f64),
                Value::Dict(callers),
            ]),
        ));
    }
    for (key, time_ns) in &outside {
        entries.push((
            key_value(key),
            Value::Tuple(vec![
                int(0),
                int(0),
                seconds(0.0),
                seconds(*time_ns),
                Value::Dict(Vec::new()),
            ]),
        ));
    }
    Value::Dict(entries)
}
