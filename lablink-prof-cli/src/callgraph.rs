//! The call graph between profiled functions, from each function's `callers`.
//!
//! A profile records, per function, where its calls came from (`callers`: the calling
//! function, the calling line, calls and their time). Turned around, that gives each
//! function's callees, which `stats --callees`, the flame graph and the pstats export need.
//!
//! Edge times are used rescaled ([`CallGraph::edge_ns`]): each function's edges are scaled so
//! that they add up to its `total_ns`. The runtime now compensates `callers[].time_ns` in the
//! same proportion as the lines, so this only absorbs rounding; profiles written before that
//! (edges raw, lines compensated) come out consistent too, with the recorder's cost left on the
//! calling line.

use std::collections::HashMap;

use lablink_prof_runtime::profile::{FunctionProfile, OTHER_CALLER, ROOT_CALLER};

/// Where an edge's calls came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No profiled function: the calls started a stack of profiled calls (`<root>`).
    Root,
    /// A caller the thread could not tell apart from others (`<other>`).
    Other,
    /// The profiled function at this index of the profile's `functions`.
    Function(usize),
    /// A caller named in the file but absent from its functions.
    Unknown,
}

/// Calls from one caller (and line) to one callee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The calling side.
    pub caller: Caller,
    /// The called function's index.
    pub callee: usize,
    /// The caller's line the calls were made from, when known.
    pub line: Option<u32>,
    /// How many calls.
    pub calls: u64,
    /// Their wall time, in nanoseconds, as recorded (see [`CallGraph::edge_ns`]).
    pub time_ns: u64,
    /// The edge's position in the callee's `callers` (where the caller's name is).
    pub index: usize,
}

/// A function as pstats names it: `(filename, lineno, funcname)`; callers that are not
/// profiled functions are `("~", 0, name)`, as pstats names built-ins.
pub type FunctionKey = (String, u32, String);

/// pstats' figures for the calls from one function to another, edges of different lines
/// added up: `(nc, cc, tt, ct)` of a `callers` entry.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct EdgeSum {
    /// All calls (`nc`).
    pub calls: u64,
    /// Primitive calls (`cc`), see [`CallGraph::edge_primitive_calls`].
    pub primitive_calls: u64,
    /// The callee's own time in these calls (`tt`), see [`CallGraph::edge_own_ns`].
    pub own_ns: f64,
    /// The calls' cumulative time (`ct`), see [`CallGraph::edge_cumulative_ns`].
    pub time_ns: f64,
}

/// The call graph of one profile's functions.
#[derive(Debug)]
pub struct CallGraph<'a> {
    functions: &'a [FunctionProfile],
    callers: Vec<Vec<Edge>>,
    callees: Vec<Vec<Edge>>,
    /// Per callee: `total_ns / sum of its callers' time_ns`.
    edge_scale: Vec<f64>,
}

impl<'a> CallGraph<'a> {
    /// Builds the graph of `functions`. A caller name shared by several functions (the same
    /// path in two files) resolves to the first.
    pub fn new(functions: &'a [FunctionProfile]) -> Self {
        let mut by_name = HashMap::new();
        for (i, f) in functions.iter().enumerate() {
            by_name.entry(f.name.as_str()).or_insert(i);
        }
        let mut callers = vec![Vec::new(); functions.len()];
        let mut callees = vec![Vec::new(); functions.len()];
        for (callee, f) in functions.iter().enumerate() {
            for (index, c) in f.callers.iter().enumerate() {
                let caller = match c.caller.as_str() {
                    ROOT_CALLER => Caller::Root,
                    OTHER_CALLER => Caller::Other,
                    name => by_name
                        .get(name)
                        .map_or(Caller::Unknown, |&i| Caller::Function(i)),
                };
                let edge = Edge {
                    caller,
                    callee,
                    line: c.line,
                    calls: c.calls,
                    time_ns: c.time_ns,
                    index,
                };
                if let Caller::Function(i) = caller {
                    callees[i].push(edge);
                }
                callers[callee].push(edge);
            }
        }
        let edge_scale = functions
            .iter()
            .map(|f| {
                // In floating point: figures near u64::MAX (a corrupt file) must not overflow.
                let edges: f64 = f.callers.iter().map(|c| c.time_ns as f64).sum();
                if edges > 0.0 && f.total_ns > 0 {
                    f.total_ns as f64 / edges
                } else {
                    1.0
                }
            })
            .collect();
        CallGraph {
            functions,
            edge_scale,
            callers,
            callees,
        }
    }

    /// The functions the graph is over.
    pub fn functions(&self) -> &'a [FunctionProfile] {
        self.functions
    }

    /// The edges into function `f`, in the order of its `callers`.
    pub fn callers(&self, f: usize) -> &[Edge] {
        &self.callers[f]
    }

    /// The edges out of function `f` to other profiled functions.
    pub fn callees(&self, f: usize) -> &[Edge] {
        &self.callees[f]
    }

    /// The name of the edge's caller as the file gives it.
    pub fn caller_name(&self, edge: &Edge) -> &'a str {
        &self.functions[edge.callee].callers[edge.index].caller
    }

    /// The edge's time in the callee's terms: its `time_ns` scaled so that all the callee's
    /// edges add up to the callee's `total_ns` (see the module docs).
    pub fn edge_ns(&self, edge: &Edge) -> f64 {
        edge.time_ns as f64 * self.edge_scale[edge.callee]
    }

    /// The pstats key of the function at one end of an edge.
    pub fn key(&self, end: Caller, edge: &Edge) -> FunctionKey {
        match end {
            Caller::Function(i) => {
                let f = &self.functions[i];
                (f.file.clone(), f.line, f.name.clone())
            }
            Caller::Root | Caller::Other | Caller::Unknown => {
                ("~".to_owned(), 0, self.caller_name(edge).to_owned())
            }
        }
    }

    /// Adds `edge` to the figures of its pair of functions.
    pub fn add_to(&self, sum: &mut EdgeSum, edge: &Edge) {
        // Saturating: counts near u64::MAX (a corrupt file) must not overflow.
        sum.calls = sum.calls.saturating_add(edge.calls);
        sum.primitive_calls = sum
            .primitive_calls
            .saturating_add(self.edge_primitive_calls(edge));
        sum.own_ns += self.edge_own_ns(edge);
        sum.time_ns += self.edge_cumulative_ns(edge);
    }

    /// The edge's cumulative time as cProfile counts it (pstats' `ct` of a `callers` entry):
    /// the time of the calls that were not made inside another call of the same pair.
    ///
    /// For calls between different functions that is their time ([`CallGraph::edge_ns`]).
    /// A function's calls to itself are recorded with the time of every nested level, which
    /// cProfile would count once, and the levels' times are not recorded apart: this takes
    /// the same share of the function's cumulative time (its outermost calls) as the
    /// recursive calls have of its total time, as if each level took the same share of the
    /// level above. An estimate, never above the function's cumulative time.
    pub fn edge_cumulative_ns(&self, edge: &Edge) -> f64 {
        let time = self.edge_ns(edge);
        if edge.caller != Caller::Function(edge.callee) {
            return time;
        }
        let callee = &self.functions[edge.callee];
        if callee.total_ns == 0 {
            return 0.0;
        }
        (callee.cumulative_ns as f64 * time / callee.total_ns as f64).min(time)
    }

    /// The edge's primitive calls as cProfile counts them: a call from a function to itself
    /// is primitive when that pair of calls was not already running, which happens once per
    /// outermost recursion; taken as the callee's primitive calls (at most the edge's calls).
    /// Other edges' calls are all primitive.
    pub fn edge_primitive_calls(&self, edge: &Edge) -> u64 {
        if edge.caller == Caller::Function(edge.callee) {
            edge.calls.min(self.functions[edge.callee].primitive_calls)
        } else {
            edge.calls
        }
    }

    /// The callee's own time (pstats' `tottime`) spent in this edge's calls, apportioned by
    /// the edge's share of the callee's total time: exact when the callee has one caller.
    pub fn edge_own_ns(&self, edge: &Edge) -> f64 {
        let callee = &self.functions[edge.callee];
        if callee.total_ns == 0 {
            return 0.0;
        }
        callee.own_ns as f64 * self.edge_ns(edge) / callee.total_ns as f64
    }
}
