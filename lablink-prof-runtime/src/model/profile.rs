//! The profile as a value: what reports render, what JSON files hold.
//!
//! # The JSON format, version 1
//!
//! ```json
//! {
//!   "format": "lablink-prof",
//!   "version": 1,
//!   "heap_counted": false,
//!   "threads": [{ "index": 0, "name": "main" }],
//!   "functions": [{
//!     "name": "demo::work", "file": "examples/demo.rs", "line": 4, "is_async": false,
//!     "calls": 1, "primitive_calls": 1,
//!     "total_ns": 685965, "cumulative_ns": 685965, "own_ns": 685965,
//!     "source": ["fn work(n: u64) -> u64 {", "..."],
//!     "lines": [{ "line": 5, "hits": 1, "time_ns": 851, "alloc_bytes": 0, "freed_bytes": 0,
//!                 "net_bytes": 0, "allocs": 0, "peak_bytes": 0, "mem_usage_bytes": 0 }],
//!     "callers": [{ "caller": "<root>", "calls": 1, "time_ns": 685965 },
//!                 { "caller": "demo::main_loop", "line": 31, "calls": 2, "time_ns": 1200 }],
//!     "threads": [{ "thread": 0, "calls": 1, "total_ns": 685965, "lines": [] }]
//!   }]
//! }
//! ```
//!
//! - `line` is the line of the signature's first token; `source[i]` is line `line + i`.
//! - `lines` lists only lines that recorded something, in line order. `time_ns` of a function's
//!   lines add up exactly to its `total_ns`.
//! - `total_ns` is the sum of all calls' wall times (recursive calls included, as the lines
//!   count them); `cumulative_ns` counts only primitive calls (pstats' `cumtime`); `own_ns` is
//!   `total_ns` less the time of calls to profiled functions made from this one (`tottime`).
//! - `callers` names the profiled function each call came from (`<root>` for none, `<other>`
//!   when a thread saw more than 16 different caller lines of the function), and the caller's
//!   `line` the calls were made from (absent for `<root>` and `<other>`).
//! - `threads` splits the function's figures by recording thread (indexes into the top-level
//!   `threads`).
//! - The memory fields are 0 unless `heap_counted` is true.
//! - `wait_ns` (on lines of `async fn`s, when not 0): time the task spent suspended at an
//!   `.await` on the line; it is not part of `time_ns` or `total_ns`.
//!
//! - `heap_tracking` (only with `LABLINK_PROFILE_HEAP=track`): live blocks by line for the
//!   whole process, see [`HeapTracking`](crate::model::HeapTracking).
//! - `min_ns`, `max_ns` (exact mode): the shortest and longest single hit of a line, or call of
//!   a function. `hist` (exact mode, distributions on): their histogram, as
//!   `[[bucket, count], ...]` (see [`crate::model::histogram`]), from which `p50`, `p90` and
//!   `p99` are read within 1/16. Absent in sampled mode: single hits are not timed there.
//! - `blocking`, `blocking_max_ns`, `blocking_ns` (lines of `async fn`s, when not 0): slices of
//!   a poll on the line longer than the profile's `blocking_threshold_ns`: how many, the
//!   longest, and their sum.
//!
//! Fields are only ever added within a version; readers ignore fields they do not know.

use serde::{Deserialize, Serialize};

use crate::model::histogram::Histogram;

/// The value of `format` in every profile file.
pub const FORMAT_NAME: &str = "lablink-prof";
/// The version of the profile format this crate writes.
pub const FORMAT_VERSION: u32 = 1;

/// Everything recorded, summed over threads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The format's version, [`FORMAT_VERSION`] when written by this crate.
    pub version: u32,
    /// Whether the counting allocator was installed, so the memory figures are real.
    #[serde(default)]
    pub heap_counted: bool,
    /// The recorder's calibrated cost of one line boundary (a statement's start), in ns, as
    /// compensation takes it off (0 when compensation is off). Exact mode takes it off every
    /// line once per hit, and off a calling line once per boundary recorded inside the profiled
    /// calls it made; sampled mode only the latter (see the README's *Overhead compensation*).
    #[serde(default)]
    pub overhead_ns_per_hit: f64,
    /// The recorder's calibrated cost of one profiled call (its entry and exit) as the calling
    /// line sees it, in ns; taken off a calling line once per profiled call made from it, all
    /// the way down (0 when compensation is off, or in files that predate it).
    #[serde(default)]
    pub overhead_ns_per_call: f64,
    /// The threads that recorded, by index.
    #[serde(default)]
    pub threads: Vec<ThreadInfo>,
    /// The functions that ran, by total time, longest first.
    pub functions: Vec<FunctionProfile>,
    /// How the times were obtained: `exact` (absent in older files) or `sampled`.
    #[serde(default)]
    pub mode: TimeMode,
    /// In sampled mode, the sampler's interval: each sample stands for about this much time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sample_interval_ns: u64,
    /// In sampled mode, the stacks of profiled frames the sampler found, with their figures: the
    /// flame graph and pprof's samples are these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stacks: Vec<SampledStack>,
    /// Live blocks by line for the whole process, when `LABLINK_PROFILE_HEAP=track` was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heap_tracking: Option<crate::model::HeapTracking>,
    /// The threshold above which a slice of an `async fn`'s poll on one line counted as
    /// blocking the executor (exact mode); 0 when not known.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blocking_threshold_ns: u64,
}

/// How a profile's times were obtained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeMode {
    /// A clock read at every line boundary: each hit timed.
    #[default]
    Exact,
    /// Hits counted, time sampled: a thread of the profiler reads which line each thread runs
    /// at a fixed rate.
    Sampled,
}

impl std::fmt::Display for TimeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeMode::Exact => "exact",
            TimeMode::Sampled => "sampled",
        })
    }
}

impl std::str::FromStr for TimeMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "exact" => Ok(TimeMode::Exact),
            "sampled" | "sample" | "sampling" => Ok(TimeMode::Sampled),
            other => Err(format!("{other:?} is not a time mode (exact, sampled)")),
        }
    }
}

/// One stack of profiled frames seen by the sampler, on one thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampledStack {
    /// The thread (an index into the profile's `threads`).
    pub thread: u32,
    /// The frames, outermost first.
    pub frames: Vec<StackFrame>,
    /// How many samples found this stack.
    pub samples: u64,
    /// The wall time those samples stand for.
    pub time_ns: u64,
    /// The part of `time_ns` the thread spent on a CPU, when its CPU clock could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ns: Option<u64>,
}

/// A frame of a [`SampledStack`]: a profiled function and the line it was running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackFrame {
    /// The function's name, as in [`FunctionProfile::name`].
    pub function: String,
    /// The line number in the file.
    pub line: u32,
}

/// The 95% bound of the error of a sampled time made of `samples` samples of `interval_ns`:
/// `1.96 × √samples × interval` (samples of a line behave as a Poisson count).
pub fn sampled_time_error_ns(samples: u64, interval_ns: u64) -> u64 {
    (1.96 * (samples as f64).sqrt() * interval_ns as f64).round() as u64
}

/// A thread that recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// Its number in this profile.
    pub index: u32,
    /// Its name, empty if it had none.
    pub name: String,
}

/// One profiled function's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionProfile {
    /// Its path, e.g. `lablink_core::security::auth::hash_password`.
    pub name: String,
    /// The file it is in, as `file!()` gives it.
    pub file: String,
    /// The line of its signature.
    pub line: u32,
    /// Whether it is an `async fn`.
    #[serde(default)]
    pub is_async: bool,
    /// How many calls finished.
    pub calls: u64,
    /// Calls that were not made while another call of the same function ran on the thread.
    #[serde(default)]
    pub primitive_calls: u64,
    /// The wall time of all calls, in nanoseconds.
    pub total_ns: u64,
    /// The wall time of primitive calls, in nanoseconds.
    #[serde(default)]
    pub cumulative_ns: u64,
    /// `total_ns` less the time spent in calls to profiled functions made from this one.
    #[serde(default)]
    pub own_ns: u64,
    /// Its source lines as compiled, from the signature to the closing brace.
    #[serde(default)]
    pub source: Vec<String>,
    /// The lines that recorded something, in line order.
    pub lines: Vec<LineProfile>,
    /// Where its calls came from.
    #[serde(default)]
    pub callers: Vec<CallerProfile>,
    /// Its figures on each thread.
    #[serde(default)]
    pub threads: Vec<ThreadFunctionProfile>,
    /// In sampled mode, how many samples found it on a thread's stack.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub samples: u64,
    /// Its total as measured under the profiler, before the recorder's own cost was taken out
    /// (0 when nothing was taken out): where it differs much from `total_ns`, the reports show
    /// both.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub measured_ns: u64,
    /// In exact mode, the shortest call (its time less time suspended and the recorder's own
    /// work); absent in sampled mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ns: Option<u64>,
    /// In exact mode, the longest call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ns: Option<u64>,
    /// In exact mode with distributions on, the histogram of calls' times.
    #[serde(default, skip_serializing_if = "Histogram::is_empty")]
    pub hist: Histogram,
}

impl FunctionProfile {
    /// The `q` quantile of calls' times, within [`crate::model::histogram::RELATIVE_ERROR`];
    /// `None` without a histogram.
    pub fn quantile_ns(&self, q: f64) -> Option<u64> {
        self.hist.quantile(q, self.min_ns, self.max_ns)
    }
}

/// One source line's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineProfile {
    /// The line number in the file.
    pub line: u32,
    /// How many times a statement on it started.
    pub hits: u64,
    /// Wall time from those starts to the next recorded statement or the end of the call.
    pub time_ns: u64,
    /// Bytes allocated while it ran.
    #[serde(default)]
    pub alloc_bytes: u64,
    /// Bytes freed while it ran.
    #[serde(default)]
    pub freed_bytes: u64,
    /// `alloc_bytes - freed_bytes`.
    #[serde(default)]
    pub net_bytes: i64,
    /// Number of allocations while it ran.
    #[serde(default)]
    pub allocs: u64,
    /// The most the thread's live heap rose above its level at the line's start, over all hits.
    #[serde(default)]
    pub peak_bytes: u64,
    /// The process's live heap after the line, the largest over hits.
    #[serde(default)]
    pub mem_usage_bytes: u64,
    /// In an `async fn`: time the task spent suspended at an `.await` on this line (not part of
    /// `time_ns`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub wait_ns: u64,
    /// In sampled mode, how many samples found a thread on this line (inclusive of callees).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub samples: u64,
    /// In sampled mode, the part of `time_ns` the thread spent on a CPU (when its CPU clock
    /// could be read); the rest, [`LineProfile::off_cpu_ns`], it waited: on a disk, a lock, the
    /// network, or the scheduler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ns: Option<u64>,
    /// In exact mode, the shortest single hit (see the README's "Distributions and blocking
    /// lines" for what one hit's time is); absent in sampled mode, where hits are not timed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ns: Option<u64>,
    /// In exact mode, the longest single hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ns: Option<u64>,
    /// In exact mode with distributions on, the histogram of single hits' times (see
    /// [`crate::model::histogram`]); empty otherwise.
    #[serde(default, skip_serializing_if = "Histogram::is_empty")]
    pub hist: Histogram,
    /// In an `async fn`: how many slices of a poll on this line ran longer than the blocking
    /// threshold (`blocking_threshold_ns` of the profile), blocking the executor.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blocking: u64,
    /// The longest of those slices.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blocking_max_ns: u64,
    /// Their sum.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blocking_ns: u64,
}

impl LineProfile {
    /// The `q` quantile of single hits' times (0.5 is the median), within
    /// [`crate::model::histogram::RELATIVE_ERROR`]; `None` without a histogram.
    pub fn quantile_ns(&self, q: f64) -> Option<u64> {
        self.hist.quantile(q, self.min_ns, self.max_ns)
    }

    /// In sampled mode, the part of `time_ns` the thread was off a CPU, when known.
    pub fn off_cpu_ns(&self) -> Option<u64> {
        self.cpu_ns.map(|cpu| self.time_ns.saturating_sub(cpu))
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Calls of a function that came from one caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerProfile {
    /// The calling profiled function's name, `<root>` or `<other>`.
    pub caller: String,
    /// The caller's source line the calls were made from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// How many calls.
    pub calls: u64,
    /// Their wall time, in nanoseconds.
    pub time_ns: u64,
}

/// A function's figures on one thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadFunctionProfile {
    /// Index into [`Profile::threads`].
    pub thread: u32,
    /// Calls finished on this thread.
    pub calls: u64,
    /// Their wall time, in nanoseconds.
    pub total_ns: u64,
    /// The lines that recorded something on this thread.
    pub lines: Vec<LineProfile>,
    /// Where its calls on this thread came from.
    #[serde(default)]
    pub callers: Vec<CallerProfile>,
}

/// The name used for calls with no profiled caller.
pub const ROOT_CALLER: &str = "<root>";
/// The name used for callers beyond the 16 a thread tells apart.
pub const OTHER_CALLER: &str = "<other>";

impl Profile {
    /// An empty profile.
    pub fn empty() -> Self {
        Profile {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION,
            heap_counted: false,
            overhead_ns_per_hit: 0.0,
            overhead_ns_per_call: 0.0,
            threads: Vec::new(),
            functions: Vec::new(),
            mode: TimeMode::Exact,
            sample_interval_ns: 0,
            stacks: Vec::new(),
            heap_tracking: None,
            blocking_threshold_ns: 0,
        }
    }

    /// The function named `name`, if it ran.
    pub fn function(&self, name: &str) -> Option<&FunctionProfile> {
        self.functions.iter().find(|f| f.name == name)
    }
}

impl FunctionProfile {
    /// The figures of line `line`, if it recorded something.
    pub fn line(&self, line: u32) -> Option<&LineProfile> {
        self.lines.iter().find(|l| l.line == line)
    }

    /// The hits of line `line`, 0 if it recorded nothing.
    pub fn hits(&self, line: u32) -> u64 {
        self.line(line).map_or(0, |l| l.hits)
    }

    /// The source text of line `line`, if it is within the function.
    pub fn source_line(&self, line: u32) -> Option<&str> {
        let index = line.checked_sub(self.line)? as usize;
        self.source.get(index).map(String::as_str)
    }

    /// The first line whose source contains `needle`: handy in tests.
    pub fn line_containing(&self, needle: &str) -> Option<u32> {
        self.source
            .iter()
            .position(|s| s.contains(needle))
            .map(|i| self.line + i as u32)
    }
}
