//! `lablink-prof export --pprof FILE -o profile.pb.gz`: pprof's `profile.proto`, gzipped, as
//! `go tool pprof`, Pyroscope, Parca, Grafana and Google Cloud Profiler read it.
//!
//! # What is in the file
//!
//! - One `Function` per profiled function: its name, its file and the line of its signature.
//! - One `Location` per source line of a function that recorded something (one `Line` each,
//!   no addresses, no mappings: the profile is symbolized already).
//! - Sample types `hits`/`count` and `time`/`nanoseconds`, and, when the counting allocator
//!   was installed (`heap_counted`), `alloc_space`/`bytes` and `alloc_objects`/`count`.
//!   `time` is the default sample type.
//! - Samples: one per stack of source lines (leaf first), valued with what the leaf line did
//!   itself: its hits, its time less the time of the profiled calls it made, and likewise its
//!   bytes and allocations. pprof's *flat* for a line is then that line's own share and its
//!   *cum* the line's whole figure, callees included, as `lablink-prof view` prints it.
//!
//! # How the stacks are rebuilt
//!
//! A line profile records per-line figures and caller edges, not stacks. They are rebuilt as
//! the flame graph's are (see the `folded` module): a callee's lines go under each calling
//! line, scaled by that edge's share of the callee's time (for time and memory) and of its
//! calls (for hits), which is exact when a function has one caller; direct recursion is
//! collapsed into the outermost call, whose lines already hold the nested calls' figures; an
//! indirect cycle is cut at 64 frames and a subtree under a millionth of the whole (or under a
//! nanosecond) is not expanded, what is cut staying on the calling line (time and memory; not
//! its hits). Calls
//! from `<other>` (a caller among more than 16 the thread told apart) and from a caller the
//! file does not hold go under a frame named after that caller.
//!
//! Values are whole numbers: each line's own figure is split over its stacks with the
//! largest-remainder method, so that the line's flat adds up exactly to its figure.
//!
//! # Sampled profiles
//!
//! A profile recorded by sampling holds the stacks its sampler found: [`encode_sampled`] writes
//! one pprof sample per stack, with sample types `samples`/`count`, `time`/`nanoseconds` (the
//! default) and, when every stack has it, `cpu`/`nanoseconds`, so that `go tool pprof -top`'s
//! totals are the stacks' sums. Hits are exact counts, not samples of a stack, and stay in the
//! JSON profile. Both kinds of stacks are written by the same code ([`write_message`]).

use std::collections::HashMap;
use std::io::Write;

use lablink_prof_runtime::profile::{FunctionProfile, Profile, TimeMode};
use prost::Message;

use crate::callgraph::{CallGraph, Caller};

/// The message types of pprof's `profile.proto` (package `perftools.profiles`), declared by
/// hand with prost's derive so that building needs no `protoc`. Field numbers and types are
/// those of the `.proto`; the fields this exporter never sets (`drop_frames`, `keep_frames`,
/// `Mapping`'s addresses and `Label`s) are declared too, so the types describe the format.
pub mod proto {
    /// `perftools.profiles.Profile`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Profile {
        /// What each value of a sample is (type and unit, as string-table indexes).
        #[prost(message, repeated, tag = "1")]
        pub sample_type: Vec<ValueType>,
        /// The samples.
        #[prost(message, repeated, tag = "2")]
        pub sample: Vec<Sample>,
        /// Binaries mapped in memory (none here).
        #[prost(message, repeated, tag = "3")]
        pub mapping: Vec<Mapping>,
        /// Code locations, referred to by samples.
        #[prost(message, repeated, tag = "4")]
        pub location: Vec<Location>,
        /// Functions, referred to by locations.
        #[prost(message, repeated, tag = "5")]
        pub function: Vec<Function>,
        /// Every string, index 0 being `""`.
        #[prost(string, repeated, tag = "6")]
        pub string_table: Vec<String>,
        /// Frames to drop (a regular expression, string-table index).
        #[prost(int64, tag = "7")]
        pub drop_frames: i64,
        /// Frames to keep (a regular expression, string-table index).
        #[prost(int64, tag = "8")]
        pub keep_frames: i64,
        /// When the profile was taken, in nanoseconds since the epoch.
        #[prost(int64, tag = "9")]
        pub time_nanos: i64,
        /// How long it covers.
        #[prost(int64, tag = "10")]
        pub duration_nanos: i64,
        /// The kind of events between samples.
        #[prost(message, optional, tag = "11")]
        pub period_type: Option<ValueType>,
        /// The number of events between samples.
        #[prost(int64, tag = "12")]
        pub period: i64,
        /// Free-form notes (string-table indexes).
        #[prost(int64, repeated, tag = "13")]
        pub comment: Vec<i64>,
        /// The sample type shown by default (string-table index of its type).
        #[prost(int64, tag = "14")]
        pub default_sample_type: i64,
    }

    /// `perftools.profiles.ValueType`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct ValueType {
        /// The value's name, e.g. `time` (string-table index).
        #[prost(int64, tag = "1")]
        pub r#type: i64,
        /// Its unit, e.g. `nanoseconds` (string-table index).
        #[prost(int64, tag = "2")]
        pub unit: i64,
    }

    /// `perftools.profiles.Sample`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Sample {
        /// The stack, leaf first.
        #[prost(uint64, repeated, tag = "1")]
        pub location_id: Vec<u64>,
        /// One value per sample type.
        #[prost(int64, repeated, tag = "2")]
        pub value: Vec<i64>,
        /// Labels (none here).
        #[prost(message, repeated, tag = "3")]
        pub label: Vec<Label>,
    }

    /// `perftools.profiles.Label`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Label {
        /// The label's name (string-table index).
        #[prost(int64, tag = "1")]
        pub key: i64,
        /// A string value (string-table index).
        #[prost(int64, tag = "2")]
        pub str: i64,
        /// A numeric value.
        #[prost(int64, tag = "3")]
        pub num: i64,
        /// The numeric value's unit (string-table index).
        #[prost(int64, tag = "4")]
        pub num_unit: i64,
    }

    /// `perftools.profiles.Mapping`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Mapping {
        /// Its id, from 1.
        #[prost(uint64, tag = "1")]
        pub id: u64,
        /// Start address.
        #[prost(uint64, tag = "2")]
        pub memory_start: u64,
        /// End address.
        #[prost(uint64, tag = "3")]
        pub memory_limit: u64,
        /// Offset in the file.
        #[prost(uint64, tag = "4")]
        pub file_offset: u64,
        /// The binary's path (string-table index).
        #[prost(int64, tag = "5")]
        pub filename: i64,
        /// The binary's build id (string-table index).
        #[prost(int64, tag = "6")]
        pub build_id: i64,
        /// Whether its locations have functions.
        #[prost(bool, tag = "7")]
        pub has_functions: bool,
        /// Whether they have file names.
        #[prost(bool, tag = "8")]
        pub has_filenames: bool,
        /// Whether they have line numbers.
        #[prost(bool, tag = "9")]
        pub has_line_numbers: bool,
        /// Whether they have inlined frames.
        #[prost(bool, tag = "10")]
        pub has_inline_frames: bool,
    }

    /// `perftools.profiles.Location`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Location {
        /// Its id, from 1.
        #[prost(uint64, tag = "1")]
        pub id: u64,
        /// Its mapping's id (0: none).
        #[prost(uint64, tag = "2")]
        pub mapping_id: u64,
        /// Its address (0: none).
        #[prost(uint64, tag = "3")]
        pub address: u64,
        /// The source lines at it, innermost inlined first.
        #[prost(message, repeated, tag = "4")]
        pub line: Vec<Line>,
        /// Whether several locations were folded into it.
        #[prost(bool, tag = "5")]
        pub is_folded: bool,
    }

    /// `perftools.profiles.Line`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Line {
        /// The function's id.
        #[prost(uint64, tag = "1")]
        pub function_id: u64,
        /// The line number.
        #[prost(int64, tag = "2")]
        pub line: i64,
        /// The column (0: unknown).
        #[prost(int64, tag = "3")]
        pub column: i64,
    }

    /// `perftools.profiles.Function`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Function {
        /// Its id, from 1.
        #[prost(uint64, tag = "1")]
        pub id: u64,
        /// Its name (string-table index).
        #[prost(int64, tag = "2")]
        pub name: i64,
        /// Its name as the system knows it (string-table index).
        #[prost(int64, tag = "3")]
        pub system_name: i64,
        /// Its source file (string-table index).
        #[prost(int64, tag = "4")]
        pub filename: i64,
        /// The line it starts at.
        #[prost(int64, tag = "5")]
        pub start_line: i64,
    }
}

/// A frame of a stack: a source line of a function, or a caller the profile does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Frame {
    /// Line `line` of the function at this index of the profile's `functions`.
    Line(usize, u32),
    /// A caller that is not one of the profile's functions (`<other>`, or a name the file
    /// does not hold).
    Caller(String),
}

/// One stack, outermost frame first, and what its innermost frame did itself.
#[derive(Debug, Clone, PartialEq)]
pub struct StackSample {
    /// The frames, outermost first.
    pub frames: Vec<Frame>,
    /// Hits of the innermost line.
    pub hits: u64,
    /// Its own time, in nanoseconds.
    pub time_ns: u64,
    /// Bytes it allocated itself.
    pub alloc_bytes: u64,
    /// Allocations it made itself.
    pub allocs: u64,
}

/// How deep rebuilt stacks may grow.
const MAX_DEPTH: usize = crate::folded::DEFAULT_MAX_DEPTH;

/// A subtree narrower than this share of the whole is not expanded.
const MIN_SHARE: f64 = 1e-6;

/// The gzipped pprof encoding of `profile`.
///
/// # Errors
/// None in practice: the encoding goes to memory; an error of the gzip writer is passed on.
pub fn pprof_gz(profile: &Profile) -> std::io::Result<Vec<u8>> {
    let message = if profile.mode == TimeMode::Sampled && !profile.stacks.is_empty() {
        encode_sampled(profile)
    } else {
        encode(profile, &rebuilt_stacks(profile))
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&message.encode_to_vec())?;
    gz.finish()
}

/// One line's own figures and the calls made from it.
#[derive(Debug)]
struct LineNode {
    line: u32,
    hits: f64,
    time_ns: f64,
    alloc_bytes: f64,
    allocs: f64,
    /// (callee, time of the calls from this line, number of calls).
    children: Vec<(usize, f64, f64)>,
}

/// Function `f`'s lines, each less what its profiled calls took.
fn line_nodes(graph: &CallGraph<'_>, f: usize) -> Vec<LineNode> {
    let functions = graph.functions();
    let function = &functions[f];
    let mut nodes: Vec<LineNode> = function
        .lines
        .iter()
        .map(|l| LineNode {
            line: l.line,
            hits: l.hits as f64,
            time_ns: l.time_ns as f64,
            alloc_bytes: l.alloc_bytes as f64,
            allocs: l.allocs as f64,
            children: Vec::new(),
        })
        .collect();
    for edge in graph.callees(f) {
        let callee = &functions[edge.callee];
        let time = graph.edge_ns(edge);
        let share = if callee.total_ns > 0 {
            time / callee.total_ns as f64
        } else {
            0.0
        };
        let (bytes, allocs) = heap_totals(callee);
        // The calling line; an older file without it: the line with the most time left.
        let at = match edge.line {
            Some(line) => nodes.iter().position(|n| n.line == line),
            None => (0..nodes.len()).max_by(|&a, &b| nodes[a].time_ns.total_cmp(&nodes[b].time_ns)),
        };
        let Some(at) = at else { continue };
        let node = &mut nodes[at];
        node.time_ns -= time;
        node.alloc_bytes -= bytes * share;
        node.allocs -= allocs * share;
        if edge.callee != f {
            node.children.push((edge.callee, time, edge.calls as f64));
        }
    }
    for n in &mut nodes {
        n.time_ns = n.time_ns.max(0.0);
        n.alloc_bytes = n.alloc_bytes.max(0.0);
        n.allocs = n.allocs.max(0.0);
    }
    nodes
}

/// A function's bytes and allocations over its lines.
fn heap_totals(f: &FunctionProfile) -> (f64, f64) {
    f.lines.iter().fold((0.0, 0.0), |(b, a), l| {
        (b + l.alloc_bytes as f64, a + l.allocs as f64)
    })
}

/// Per function: its time as its rebuilt lines hold it (recursion collapsed), and its calls
/// from other functions or from outside.
struct Totals {
    time_ns: Vec<f64>,
    calls: Vec<f64>,
}

struct Walker<'a> {
    graph: &'a CallGraph<'a>,
    nodes: &'a [Vec<LineNode>],
    totals: &'a Totals,
    min_ns: f64,
    out: HashMap<Vec<Frame>, [f64; 4]>,
}

impl Walker<'_> {
    /// Adds function `f`'s lines under `stack`, time and memory scaled by `time_scale`, hits
    /// by `calls_scale`.
    fn walk(&mut self, f: usize, time_scale: f64, calls_scale: f64, stack: &mut Vec<Frame>) {
        for node in &self.nodes[f] {
            stack.push(Frame::Line(f, node.line));
            let mut own = [
                node.hits * calls_scale,
                node.time_ns * time_scale,
                node.alloc_bytes * time_scale,
                node.allocs * time_scale,
            ];
            for &(callee, time, calls) in &node.children {
                let weight = time * time_scale;
                let callee_time = self.totals.time_ns[callee];
                let callee_calls = self.totals.calls[callee];
                let share = if callee_time > 0.0 {
                    weight / callee_time
                } else {
                    0.0
                };
                if callee_time <= 0.0 || weight < self.min_ns || stack.len() >= MAX_DEPTH {
                    // Cut: the callee's time and memory stay on this line.
                    let callee = &self.graph.functions()[callee];
                    let (bytes, allocs) = heap_totals(callee);
                    let heap_share = if callee.total_ns > 0 {
                        weight / callee.total_ns as f64
                    } else {
                        0.0
                    };
                    own[1] += weight;
                    own[2] += bytes * heap_share;
                    own[3] += allocs * heap_share;
                } else {
                    let calls_share = if callee_calls > 0.0 {
                        calls * calls_scale / callee_calls
                    } else {
                        0.0
                    };
                    self.walk(callee, share, calls_share, stack);
                }
            }
            let sum = self.out.entry(stack.clone()).or_default();
            for (s, v) in sum.iter_mut().zip(own) {
                *s += v;
            }
            stack.pop();
        }
    }
}

/// The stacks of a profile, rebuilt from its call graph (see the module docs), sorted by
/// their frames; stacks with nothing to show are left out.
pub fn rebuilt_stacks(profile: &Profile) -> Vec<StackSample> {
    let graph = CallGraph::new(&profile.functions);
    let n = profile.functions.len();
    let nodes: Vec<Vec<LineNode>> = (0..n).map(|f| line_nodes(&graph, f)).collect();
    let totals = Totals {
        time_ns: nodes
            .iter()
            .map(|lines| {
                lines
                    .iter()
                    .map(|l| l.time_ns + l.children.iter().map(|c| c.1).sum::<f64>())
                    .sum()
            })
            .collect(),
        calls: (0..n)
            .map(|f| {
                graph
                    .callers(f)
                    .iter()
                    .filter(|e| e.caller != Caller::Function(f))
                    .map(|e| e.calls as f64)
                    .sum()
            })
            .collect(),
    };

    // Where stacks start: calls from no profiled function, from `<other>`, from a caller the
    // file does not hold, and functions with no recorded caller at all.
    let mut roots: Vec<(Option<String>, usize, f64, f64)> = Vec::new();
    for f in 0..n {
        let edges = graph.callers(f);
        if edges.iter().all(|e| e.caller == Caller::Function(f)) {
            // No caller but itself (or none recorded): all of it starts here.
            roots.push((None, f, 1.0, 1.0));
            continue;
        }
        let mut by_caller: Vec<(Option<String>, f64, f64)> = Vec::new();
        for e in edges {
            let name = match e.caller {
                Caller::Function(_) => continue,
                Caller::Root => None,
                Caller::Other | Caller::Unknown => Some(graph.caller_name(e).to_owned()),
            };
            match by_caller.iter_mut().find(|c| c.0 == name) {
                Some(c) => {
                    c.1 += graph.edge_ns(e);
                    c.2 += e.calls as f64;
                }
                None => by_caller.push((name, graph.edge_ns(e), e.calls as f64)),
            }
        }
        for (name, time, calls) in by_caller {
            let time_scale = if totals.time_ns[f] > 0.0 {
                (time / totals.time_ns[f]).min(1.0)
            } else {
                0.0
            };
            let calls_scale = if totals.calls[f] > 0.0 {
                calls / totals.calls[f]
            } else {
                1.0
            };
            roots.push((name, f, time_scale, calls_scale));
        }
    }
    let grand: f64 = roots.iter().map(|r| r.2 * totals.time_ns[r.1]).sum::<f64>();
    let mut walker = Walker {
        graph: &graph,
        nodes: &nodes,
        totals: &totals,
        min_ns: (grand * MIN_SHARE).max(1.0),
        out: HashMap::new(),
    };
    let mut stack = Vec::new();
    for (caller, f, time_scale, calls_scale) in roots {
        stack.clear();
        if let Some(name) = caller {
            stack.push(Frame::Caller(name));
        }
        walker.walk(f, time_scale, calls_scale, &mut stack);
    }
    whole_numbers(walker.out)
}

/// Rounds the stacks' values to whole numbers, so that the values of the stacks ending at one
/// line add up to that line's total rounded (largest-remainder method).
fn whole_numbers(stacks: HashMap<Vec<Frame>, [f64; 4]>) -> Vec<StackSample> {
    let mut stacks: Vec<(Vec<Frame>, [f64; 4])> = stacks.into_iter().collect();
    stacks.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rounded: Vec<[u64; 4]> = vec![[0; 4]; stacks.len()];
    let mut by_leaf: HashMap<&Frame, Vec<usize>> = HashMap::new();
    for (i, (frames, _)) in stacks.iter().enumerate() {
        if let Some(leaf) = frames.last() {
            by_leaf.entry(leaf).or_default().push(i);
        }
    }
    for group in by_leaf.values() {
        let columns: [Vec<u64>; 4] = std::array::from_fn(|k| {
            let values: Vec<f64> = group.iter().map(|&i| stacks[i].1[k]).collect();
            largest_remainder(&values)
        });
        for (at, &i) in group.iter().enumerate() {
            rounded[i] = std::array::from_fn(|k| columns[k][at]);
        }
    }
    stacks
        .into_iter()
        .zip(rounded)
        .filter(|(_, v)| v.iter().any(|&x| x > 0))
        .map(|((frames, _), v)| StackSample {
            frames,
            hits: v[0],
            time_ns: v[1],
            alloc_bytes: v[2],
            allocs: v[3],
        })
        .collect()
}

/// Whole numbers for `values` (non-negative), adding up to their sum rounded: each value's
/// floor, plus one for the values with the largest fractional parts (the first on ties, so
/// the result is the same on every run).
fn largest_remainder(values: &[f64]) -> Vec<u64> {
    let target = values.iter().sum::<f64>().round() as u64;
    let mut out: Vec<u64> = values.iter().map(|v| v.max(0.0).floor() as u64).collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = values[a].max(0.0).fract();
        let fb = values[b].max(0.0).fract();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let floors = out.iter().fold(0u64, |a, &v| a.saturating_add(v));
    let mut left = target.saturating_sub(floors);
    for &i in order.iter().cycle().take(order.len() * 2) {
        if left == 0 {
            break;
        }
        out[i] = out[i].saturating_add(1);
        left -= 1;
    }
    out
}

/// The string table being built, each string once.
#[derive(Debug, Default)]
struct Strings {
    table: Vec<String>,
    index: HashMap<String, i64>,
}

impl Strings {
    fn new() -> Self {
        let mut s = Strings::default();
        s.get("");
        s
    }

    fn get(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.table.len() as i64;
        self.table.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }
}

/// The pprof message of `profile` with `stacks` as its samples.
pub fn encode(profile: &Profile, stacks: &[StackSample]) -> proto::Profile {
    let mut value_types = vec![("hits", "count"), ("time", "nanoseconds")];
    if profile.heap_counted {
        value_types.push(("alloc_space", "bytes"));
        value_types.push(("alloc_objects", "count"));
    }
    let samples: Vec<(&[Frame], Vec<i64>)> = stacks
        .iter()
        .map(|stack| {
            let mut value = vec![to_i64(stack.hits), to_i64(stack.time_ns)];
            if profile.heap_counted {
                value.push(to_i64(stack.alloc_bytes));
                value.push(to_i64(stack.allocs));
            }
            (stack.frames.as_slice(), value)
        })
        .collect();
    write_message(
        profile,
        &value_types,
        &samples,
        "lablink-prof: exact line profile; stacks rebuilt from caller edges, \
         direct recursion collapsed",
        ("time", "nanoseconds", 1),
    )
}

/// The pprof message of a sampled profile: a sample per stack the sampler found, valued with
/// its `samples` (count), `time_ns` and, when every stack has it, `cpu_ns` (nanoseconds), so
/// that pprof's totals are the stacks' sums. A frame whose function the profile does not hold
/// is written under its name.
pub fn encode_sampled(profile: &Profile) -> proto::Profile {
    let index: HashMap<&str, usize> = profile
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .rev()
        .collect();
    let cpu = profile.stacks.iter().all(|s| s.cpu_ns.is_some());
    let mut value_types = vec![("samples", "count"), ("time", "nanoseconds")];
    if cpu {
        value_types.push(("cpu", "nanoseconds"));
    }
    let frames: Vec<Vec<Frame>> = profile
        .stacks
        .iter()
        .map(|s| {
            s.frames
                .iter()
                .map(|f| match index.get(f.function.as_str()) {
                    Some(&i) => Frame::Line(i, f.line),
                    None => Frame::Caller(f.function.clone()),
                })
                .collect()
        })
        .collect();
    let samples: Vec<(&[Frame], Vec<i64>)> = profile
        .stacks
        .iter()
        .zip(&frames)
        .map(|(s, frames)| {
            let mut value = vec![to_i64(s.samples), to_i64(s.time_ns)];
            if cpu {
                value.push(to_i64(s.cpu_ns.unwrap_or(0)));
            }
            (frames.as_slice(), value)
        })
        .collect();
    write_message(
        profile,
        &value_types,
        &samples,
        "lablink-prof: sampled line profile; the sampler's stacks; hits are not in this \
         file (the JSON profile has them, exact)",
        ("time", "nanoseconds", profile.sample_interval_ns),
    )
}

/// The message: functions, locations and samples (each its frames, outermost first, and its
/// values, in the order of `value_types`); the default sample type is `time`.
fn write_message(
    profile: &Profile,
    value_types: &[(&str, &str)],
    samples: &[(&[Frame], Vec<i64>)],
    comment: &str,
    (period_type, period_unit, period): (&str, &str, u64),
) -> proto::Profile {
    let mut strings = Strings::new();
    let sample_type: Vec<proto::ValueType> = value_types
        .iter()
        .map(|(t, u)| proto::ValueType {
            r#type: strings.get(t),
            unit: strings.get(u),
        })
        .collect();

    let mut function = Vec::new();
    let mut caller_function: HashMap<&str, u64> = HashMap::new();
    let mut location = Vec::new();
    let mut location_id: HashMap<&Frame, u64> = HashMap::new();
    let mut ids_of_functions: HashMap<usize, u64> = HashMap::new();
    let mut sample = Vec::with_capacity(samples.len());
    for (frames, value) in samples {
        let mut ids = Vec::with_capacity(frames.len());
        for frame in frames.iter().rev() {
            if let Some(&id) = location_id.get(frame) {
                ids.push(id);
                continue;
            }
            let (fid, line) = match frame {
                Frame::Line(f, line) => {
                    let fid = *ids_of_functions.entry(*f).or_insert_with(|| {
                        let p = &profile.functions[*f];
                        let id = function.len() as u64 + 1;
                        let name = strings.get(&p.name);
                        // No system name: pprof would take it for a mangled one and
                        // "demangle" it, cutting `<T as Trait>` out of Rust paths.
                        function.push(proto::Function {
                            id,
                            name,
                            system_name: 0,
                            filename: strings.get(&p.file),
                            start_line: i64::from(p.line),
                        });
                        id
                    });
                    (fid, i64::from(*line))
                }
                Frame::Caller(name) => {
                    let fid = *caller_function.entry(name).or_insert_with(|| {
                        let id = function.len() as u64 + 1;
                        let name = strings.get(name);
                        function.push(proto::Function {
                            id,
                            name,
                            system_name: 0,
                            filename: 0,
                            start_line: 0,
                        });
                        id
                    });
                    (fid, 0)
                }
            };
            let id = location.len() as u64 + 1;
            location.push(proto::Location {
                id,
                mapping_id: 0,
                address: 0,
                line: vec![proto::Line {
                    function_id: fid,
                    line,
                    column: 0,
                }],
                is_folded: false,
            });
            location_id.insert(frame, id);
            ids.push(id);
        }
        sample.push(proto::Sample {
            location_id: ids,
            value: value.clone(),
            label: Vec::new(),
        });
    }
    let comment = vec![strings.get(comment)];
    let time = strings.get("time");
    let period_type = proto::ValueType {
        r#type: strings.get(period_type),
        unit: strings.get(period_unit),
    };
    proto::Profile {
        sample_type,
        sample,
        mapping: Vec::new(),
        location,
        function,
        string_table: strings.table,
        drop_frames: 0,
        keep_frames: 0,
        time_nanos: 0,
        duration_nanos: 0,
        period_type: Some(period_type),
        period: to_i64(period),
        comment,
        default_sample_type: time,
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lablink_prof_runtime::report::read_json;

    fn server() -> Profile {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden/lablink_server.json");
        let mut p = read_json(&path).unwrap();
        p.complete_missing_figures();
        p
    }

    /// Per line: the sum of the values of the stacks ending there (pprof's flat).
    fn flat(stacks: &[StackSample], f: usize, line: u32) -> [u64; 4] {
        stacks
            .iter()
            .filter(|s| s.frames.last() == Some(&Frame::Line(f, line)))
            .fold([0; 4], |a, s| {
                [
                    a[0] + s.hits,
                    a[1] + s.time_ns,
                    a[2] + s.alloc_bytes,
                    a[3] + s.allocs,
                ]
            })
    }

    #[test]
    fn every_line_keeps_its_hits_and_own_time() {
        let p = server();
        let stacks = rebuilt_stacks(&p);
        for (f, function) in p.functions.iter().enumerate() {
            let own: u64 = function
                .lines
                .iter()
                .map(|l| flat(&stacks, f, l.line)[1])
                .sum();
            assert_eq!(own, function.own_ns, "{}", function.name);
            for l in &function.lines {
                assert_eq!(
                    flat(&stacks, f, l.line)[0],
                    l.hits,
                    "{}:{}",
                    function.name,
                    l.line
                );
            }
        }
    }

    #[test]
    fn largest_remainder_keeps_the_sum() {
        assert_eq!(largest_remainder(&[0.4, 0.4, 0.2]), [1, 0, 0]);
        assert_eq!(largest_remainder(&[1.5, 2.5, 3.0]), [2, 2, 3]);
        assert_eq!(largest_remainder(&[3.3, 3.3, 3.4]), [3, 3, 4]);
        assert_eq!(largest_remainder(&[]), Vec::<u64>::new());
    }

    #[test]
    fn message_round_trips_through_prost() {
        let p = server();
        let m = encode(&p, &rebuilt_stacks(&p));
        let back = proto::Profile::decode(m.encode_to_vec().as_slice()).unwrap();
        assert_eq!(back, m);
        assert_eq!(m.string_table[0], "");
        let types: Vec<(&str, &str)> = m
            .sample_type
            .iter()
            .map(|t| {
                (
                    m.string_table[t.r#type as usize].as_str(),
                    m.string_table[t.unit as usize].as_str(),
                )
            })
            .collect();
        assert_eq!(
            types,
            [
                ("hits", "count"),
                ("time", "nanoseconds"),
                ("alloc_space", "bytes"),
                ("alloc_objects", "count")
            ]
        );
        // One location per recorded source line, one function per profiled function.
        let lines: usize = p.functions.iter().map(|f| f.lines.len()).sum();
        assert_eq!(m.location.len(), lines);
        assert_eq!(m.function.len(), p.functions.len());
    }

    mod generated {
        use std::io::Read;

        use lablink_prof_runtime::profile::{CallerProfile, LineProfile};
        use proptest::prelude::*;

        use super::*;

        const NAMES: [&str; 4] = ["a::f", "a::g", "b::h", "b::k"];

        fn figure() -> impl Strategy<Value = u64> {
            prop_oneof![0..1_000u64, 0..u64::from(u32::MAX), Just(u64::MAX)]
        }

        fn line() -> impl Strategy<Value = LineProfile> {
            (0..20u32, figure(), figure(), figure(), figure()).prop_map(
                |(line, hits, time_ns, alloc_bytes, allocs)| LineProfile {
                    line,
                    hits,
                    time_ns,
                    alloc_bytes,
                    allocs,
                    ..LineProfile::default()
                },
            )
        }

        fn caller() -> impl Strategy<Value = CallerProfile> {
            let names = prop_oneof![
                (0..NAMES.len()).prop_map(|i| NAMES[i].to_owned()),
                Just("<root>".to_owned()),
                Just("<other>".to_owned()),
                Just("not::in_the_file".to_owned()),
            ];
            (names, proptest::option::of(0..20u32), figure(), figure()).prop_map(
                |(caller, line, calls, time_ns)| CallerProfile {
                    caller,
                    line,
                    calls,
                    time_ns,
                },
            )
        }

        fn function() -> impl Strategy<Value = FunctionProfile> {
            (
                0..NAMES.len(),
                (figure(), figure(), figure(), figure(), figure()),
                proptest::collection::vec(line(), 0..6),
                proptest::collection::vec(caller(), 0..5),
            )
                .prop_map(|(name, figures, lines, callers)| FunctionProfile {
                    name: NAMES[name].to_owned(),
                    file: "src/lib.rs".to_owned(),
                    line: 1,
                    is_async: false,
                    calls: figures.0,
                    primitive_calls: figures.1,
                    total_ns: figures.2,
                    cumulative_ns: figures.3,
                    own_ns: figures.4,
                    source: Vec::new(),
                    lines,
                    callers,
                    threads: Vec::new(),
                    ..Default::default()
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            /// Any profile, consistent or not, exports without a panic to a file prost reads
            /// back, whose samples name existing locations and have one value per type.
            #[test]
            fn any_profile_exports(
                functions in proptest::collection::vec(function(), 0..6),
                heap_counted in any::<bool>(),
            ) {
                let mut profile = Profile::empty();
                profile.heap_counted = heap_counted;
                profile.functions = functions;
                let gz = pprof_gz(&profile).unwrap();
                let mut bytes = Vec::new();
                flate2::read::GzDecoder::new(gz.as_slice()).read_to_end(&mut bytes).unwrap();
                let m = proto::Profile::decode(bytes.as_slice()).unwrap();
                prop_assert_eq!(m.sample_type.len(), if heap_counted { 4 } else { 2 });
                for sample in &m.sample {
                    prop_assert_eq!(sample.value.len(), m.sample_type.len());
                    prop_assert!(sample.value.iter().all(|&v| v >= 0));
                    for id in &sample.location_id {
                        prop_assert!(*id >= 1 && *id as usize <= m.location.len());
                    }
                }
                for l in &m.location {
                    let f = l.line[0].function_id;
                    prop_assert!(f >= 1 && f as usize <= m.function.len());
                }
                // The pstats export of the same profile does not panic either.
                let _ = crate::marshal::dumps(&crate::export::pstats(&profile));
            }
        }
    }
}
