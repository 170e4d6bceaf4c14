//! `lablink-prof export --pstats FILE -o out.prof`: the file `pstats.Stats`, snakeviz and
//! other cProfile tools read.
//!
//! A marshal-serialised dict, as `pstats.Stats.dump_stats` writes it:
//! `{(filename, lineno, funcname): (cc, nc, tt, ct, callers)}` with `cc` the primitive calls,
//! `nc` all calls, `tt` the own time and `ct` the cumulative time in seconds, and `callers`
//! `{caller_key: (nc, cc, tt, ct)}` per calling function (cProfile's order). A caller edge's
//! `tt` is the callee's own time apportioned by the edge's share of its total time (exact
//! with one caller); calls from `<root>` are left out, as cProfile has no caller for them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use lablink_prof_runtime::profile::{FunctionProfile, Profile};

use crate::callgraph::{CallGraph, Caller, EdgeSum, FunctionKey};
use crate::error::CliError;
use crate::marshal::{self, Value};
use crate::{load, output};

/// Options of `lablink-prof export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The profile (JSON).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write Python's pstats format (the only export format so far).
    #[arg(long, required = true)]
    pub pstats: bool,
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

/// The pstats dict of a profile.
pub fn pstats(profile: &Profile) -> Value {
    let graph = CallGraph::new(&profile.functions);
    let mut entries = Vec::new();
    for (i, f) in profile.functions.iter().enumerate() {
        let mut callers: BTreeMap<FunctionKey, EdgeSum> = BTreeMap::new();
        for edge in graph.callers(i) {
            if edge.caller != Caller::Root {
                let sum = callers.entry(graph.key(edge.caller, edge)).or_default();
                graph.add_to(sum, edge);
            }
        }
        let callers = callers
            .iter()
            .map(|(key, sum)| {
                (
                    key_value(key),
                    Value::Tuple(vec![
                        int(sum.calls),
                        int(sum.primitive_calls),
                        seconds(sum.own_ns),
                        seconds(sum.time_ns),
                    ]),
                )
            })
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
    Value::Dict(entries)
}
