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
//! Fields are only ever added within a version; readers ignore fields they do not know.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::TickScale;
use crate::registry;
use crate::table::{LineSlot, LineTable};

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
    /// The recorder's own cost per hit subtracted from every line's time (0 when overhead
    /// compensation is off): a line's raw time is `time_ns + hits * overhead_ns_per_hit`.
    #[serde(default)]
    pub overhead_ns_per_hit: f64,
    /// The threads that recorded, by index.
    #[serde(default)]
    pub threads: Vec<ThreadInfo>,
    /// The functions that ran, by total time, longest first.
    pub functions: Vec<FunctionProfile>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

/// One source line's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
            threads: Vec::new(),
            functions: Vec::new(),
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

/// Raw tick sums of one line, before conversion.
#[derive(Debug, Default, Clone, Copy)]
struct RawLine {
    hits: u64,
    ticks: u64,
    alloc_bytes: u64,
    freed_bytes: u64,
    allocs: u64,
    peak_bytes: u64,
    mem_usage_bytes: u64,
    wait_ticks: u64,
}

impl RawLine {
    /// A slot's counters, read once.
    fn read(slot: &LineSlot) -> Self {
        use std::sync::atomic::Ordering::Relaxed;
        RawLine {
            hits: slot.hits.load(Relaxed),
            ticks: slot.ticks.load(Relaxed),
            alloc_bytes: slot.alloc_bytes.load(Relaxed),
            freed_bytes: slot.freed_bytes.load(Relaxed),
            allocs: slot.allocs.load(Relaxed),
            peak_bytes: slot.peak_bytes.load(Relaxed),
            mem_usage_bytes: slot.mem_usage_bytes.load(Relaxed),
            wait_ticks: slot.wait_ticks.load(Relaxed),
        }
    }

    /// Adds another thread's figures of the same line: sums, and maxima for the peaks.
    fn merge(&mut self, other: &RawLine) {
        self.hits += other.hits;
        self.ticks += other.ticks;
        self.alloc_bytes += other.alloc_bytes;
        self.freed_bytes += other.freed_bytes;
        self.allocs += other.allocs;
        self.peak_bytes = self.peak_bytes.max(other.peak_bytes);
        self.mem_usage_bytes = self.mem_usage_bytes.max(other.mem_usage_bytes);
        self.wait_ticks += other.wait_ticks;
    }

    fn is_empty(&self) -> bool {
        self.hits == 0
            && self.ticks == 0
            && self.allocs == 0
            && self.freed_bytes == 0
            && self.wait_ticks == 0
    }
}

/// A line's ticks less the recorder's cost for its hits, never below zero.
fn compensated(r: &RawLine, overhead: f64) -> u64 {
    (r.ticks as f64 - r.hits as f64 * overhead).max(0.0).round() as u64
}

/// Converts raw lines to reported lines; times add up to the converted tick sum.
fn convert_lines(
    first_line: u32,
    raw: &[RawLine],
    scale: TickScale,
    overhead: f64,
) -> Vec<LineProfile> {
    let ticks: Vec<u64> = raw.iter().map(|r| compensated(r, overhead)).collect();
    let nanos = scale.ns_parts(&ticks);
    raw.iter()
        .zip(nanos)
        .enumerate()
        .filter(|(_, (r, _))| !r.is_empty())
        .map(|(i, (r, time_ns))| LineProfile {
            line: first_line + i as u32,
            hits: r.hits,
            time_ns,
            alloc_bytes: r.alloc_bytes,
            freed_bytes: r.freed_bytes,
            net_bytes: r.alloc_bytes as i64 - r.freed_bytes as i64,
            allocs: r.allocs,
            peak_bytes: r.peak_bytes,
            mem_usage_bytes: r.mem_usage_bytes,
            wait_ns: scale.ns(r.wait_ticks),
        })
        .collect()
}

/// Caller edges by (caller site id, caller line): calls and ticks. `u32::MAX` stands for the
/// callers beyond the ones a table tells apart.
type RawCallers = BTreeMap<(u32, u32), (u64, u64)>;

/// One table's caller edges.
fn raw_callers(table: &LineTable) -> RawCallers {
    use std::sync::atomic::Ordering::Relaxed;
    let mut callers = RawCallers::new();
    for slot in table.callers.iter() {
        let key = slot.caller.load(Relaxed);
        let calls = slot.calls.load(Relaxed);
        if key != 0 && calls != 0 {
            let e = callers
                .entry((key - 1, slot.line.load(Relaxed)))
                .or_default();
            e.0 += calls;
            e.1 += slot.ticks.load(Relaxed);
        }
    }
    let other = &table.other_callers;
    if other.calls.load(Relaxed) > 0 {
        let e = callers.entry((u32::MAX, 0)).or_default();
        e.0 += other.calls.load(Relaxed);
        e.1 += other.ticks.load(Relaxed);
    }
    callers
}

/// The share of raw line time that compensation keeps.
fn compensation_ratio(raw: &[RawLine], overhead: f64) -> f64 {
    let raw_ticks: u64 = raw.iter().map(|r| r.ticks).sum();
    let kept: u64 = raw.iter().map(|r| compensated(r, overhead)).sum();
    if raw_ticks == 0 {
        0.0
    } else {
        kept as f64 / raw_ticks as f64
    }
}

/// Caller edges as reported: named, with compensated times.
fn caller_profiles(
    callers: RawCallers,
    ratio: f64,
    scale: TickScale,
    site_name: &dyn Fn(u32) -> String,
) -> Vec<CallerProfile> {
    callers
        .into_iter()
        .map(|((caller, line), (calls, ticks))| CallerProfile {
            caller: match caller {
                u32::MAX => OTHER_CALLER.to_owned(),
                id => site_name(id),
            },
            line: (line != 0).then_some(line),
            calls,
            time_ns: scale.ns((ticks as f64 * ratio).round() as u64),
        })
        .collect()
}

/// Reads every table into a [`Profile`].
pub fn snapshot() -> Profile {
    use std::sync::atomic::Ordering::Relaxed;
    let scale = TickScale::measure();
    let overhead = crate::calibration::overhead_ticks();
    let registry = registry::lock();
    let mut profile = Profile::empty();
    profile.heap_counted = crate::heap::is_installed();
    profile.overhead_ns_per_hit = overhead * scale.ns_per_tick();
    profile.threads = registry
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| ThreadInfo {
            index: i as u32,
            name: t.name.clone(),
        })
        .collect();

    // Tables by site, in registration order.
    let mut by_site: BTreeMap<u32, Vec<&LineTable>> = BTreeMap::new();
    for table in registry.tables.iter() {
        by_site.entry(table.site_id).or_default().push(table);
    }
    let site_name = |id: u32| -> String {
        match id {
            0 => ROOT_CALLER.to_owned(),
            id => registry.sites[id as usize - 1].path.clone(),
        }
    };

    // Ticks spent in profiled callees, by calling site, for own time.
    let mut callee_ticks: BTreeMap<u32, f64> = BTreeMap::new();
    let mut functions = Vec::new();
    for (&site_id, tables) in &by_site {
        let registered = &registry.sites[site_id as usize - 1];
        let info = registered.site.info;
        let lines = registered.site.line_count();
        let mut raw = vec![RawLine::default(); lines];
        let (mut calls, mut prim_calls, mut prim_ticks) = (0, 0, 0);
        // By (caller site id, caller line); `u32::MAX` stands for the other callers.
        let mut callers = RawCallers::new();
        let mut threads = Vec::new();
        for table in tables {
            let thread_raw: Vec<RawLine> = table.slots.iter().map(RawLine::read).collect();
            for (r, t) in raw.iter_mut().zip(&thread_raw) {
                r.merge(t);
            }
            let table_calls = table.calls.load(Relaxed);
            calls += table_calls;
            prim_calls += table.primitive_calls.load(Relaxed);
            prim_ticks += table.primitive_ticks.load(Relaxed);
            let thread_callers = raw_callers(table);
            for (key, (c, t)) in &thread_callers {
                let e = callers.entry(*key).or_default();
                e.0 += c;
                e.1 += t;
            }
            let thread_lines = convert_lines(info.first_line, &thread_raw, scale, overhead);
            if table_calls > 0 || !thread_lines.is_empty() {
                let ratio = compensation_ratio(&thread_raw, overhead);
                threads.push(ThreadFunctionProfile {
                    thread: table.thread,
                    calls: table_calls,
                    total_ns: thread_lines.iter().map(|l| l.time_ns).sum(),
                    lines: thread_lines,
                    callers: caller_profiles(thread_callers, ratio, scale, &site_name),
                });
            }
        }
        if calls == 0 && raw.iter().all(RawLine::is_empty) {
            continue;
        }
        let lines = convert_lines(info.first_line, &raw, scale, overhead);
        let line_ticks: u64 = raw.iter().map(|r| compensated(r, overhead)).sum();
        // Calls' times (primitive calls, caller edges) are compensated in the same proportion
        // as the lines, so that the edges add up to the total.
        let ratio = compensation_ratio(&raw, overhead);
        let prim_ticks = (prim_ticks as f64 * ratio).round() as u64;
        for (&(caller, _), &(_, ticks)) in &callers {
            if caller != 0 && caller != u32::MAX {
                *callee_ticks.entry(caller).or_default() += ticks as f64 * ratio;
            }
        }
        functions.push((
            site_id,
            line_ticks,
            FunctionProfile {
                name: registered.path.clone(),
                file: info.file.to_owned(),
                line: info.first_line,
                is_async: info.is_async,
                calls,
                primitive_calls: prim_calls,
                total_ns: lines.iter().map(|l| l.time_ns).sum(),
                cumulative_ns: scale.ns(prim_ticks),
                own_ns: 0,
                source: info.source.iter().map(|s| (*s).to_owned()).collect(),
                lines,
                callers: caller_profiles(callers, ratio, scale, &site_name),
                threads,
            },
        ));
    }
    drop(registry);
    for (site_id, line_ticks, f) in functions.iter_mut() {
        let in_callees = callee_ticks.get(site_id).copied().unwrap_or(0.0).round() as u64;
        f.own_ns = scale.ns(line_ticks.saturating_sub(in_callees));
    }
    profile.functions = functions.into_iter().map(|(_, _, f)| f).collect();
    profile
        .functions
        .sort_by(|a, b| b.total_ns.cmp(&a.total_ns).then(a.name.cmp(&b.name)));
    profile
}
