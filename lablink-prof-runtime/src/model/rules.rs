//! The rules by which figures add up, for every place that adds them: a function's threads in
//! the running process, and saved profiles added up by `lablink-prof view A B` (as
//! `python -m line_profiler a.lprof b.lprof` does).
//!
//! - Functions are the same when their name and file are. Hits, times, memory sums and calls
//!   add up; `peak_bytes` and `mem_usage_bytes` take the larger value.
//! - Minima take the smaller, maxima the larger; histograms add up bucket by bucket, so the
//!   distribution of two profiles added up is the one a profile of both runs would have.
//!   Blocking counts and sums add up; their longest takes the larger.
//! - Caller edges with the same caller and line add up.
//! - A function's own time is its total less the time of the calls other functions record as
//!   coming from it.
//! - Functions are listed by total time, longest first, then by name.
//! - Threads of different files are different threads: they are numbered one after another,
//!   and their names say which file they came from.
//!
//! Sums saturate rather than overflow, so figures read from a damaged file cannot panic here.

use std::collections::BTreeMap;
use std::collections::HashMap;

use crate::model::profile::{
    CallerProfile, FunctionProfile, LineProfile, Profile, ThreadFunctionProfile, ThreadInfo,
};

impl LineProfile {
    /// Adds another set of figures of the same line: sums, and maxima for the peaks.
    pub fn add(&mut self, more: &LineProfile) {
        self.hits = self.hits.saturating_add(more.hits);
        self.time_ns = self.time_ns.saturating_add(more.time_ns);
        self.alloc_bytes = self.alloc_bytes.saturating_add(more.alloc_bytes);
        self.freed_bytes = self.freed_bytes.saturating_add(more.freed_bytes);
        self.net_bytes = self.net_bytes.saturating_add(more.net_bytes);
        self.allocs = self.allocs.saturating_add(more.allocs);
        self.peak_bytes = self.peak_bytes.max(more.peak_bytes);
        self.mem_usage_bytes = self.mem_usage_bytes.max(more.mem_usage_bytes);
        self.wait_ns = self.wait_ns.saturating_add(more.wait_ns);
        self.samples = self.samples.saturating_add(more.samples);
        self.cpu_ns = match (self.cpu_ns, more.cpu_ns) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            (a, b) => a.or(b),
        };
        self.min_ns = least(self.min_ns, more.min_ns);
        self.max_ns = self.max_ns.max(more.max_ns);
        self.hist.add(&more.hist);
        self.blocking = self.blocking.saturating_add(more.blocking);
        self.blocking_max_ns = self.blocking_max_ns.max(more.blocking_max_ns);
        self.blocking_ns = self.blocking_ns.saturating_add(more.blocking_ns);
    }
}

/// The smaller of two optional minima (`None` is "no value", not zero).
fn least(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The line-by-line sum of line lists, in line order.
pub fn add_lines<'a>(lists: impl IntoIterator<Item = &'a [LineProfile]>) -> Vec<LineProfile> {
    let mut by_line: BTreeMap<u32, LineProfile> = BTreeMap::new();
    for l in lists.into_iter().flatten() {
        by_line
            .entry(l.line)
            .or_insert(LineProfile {
                line: l.line,
                ..LineProfile::default()
            })
            .add(l);
    }
    by_line.into_values().collect()
}

/// The sum of caller edge lists: edges with the same caller and line add up.
pub fn add_callers<'a>(lists: impl IntoIterator<Item = &'a [CallerProfile]>) -> Vec<CallerProfile> {
    let mut callers: BTreeMap<(&str, Option<u32>), (u64, u64)> = BTreeMap::new();
    for c in lists.into_iter().flatten() {
        let e = callers.entry((c.caller.as_str(), c.line)).or_default();
        e.0 = e.0.saturating_add(c.calls);
        e.1 = e.1.saturating_add(c.time_ns);
    }
    callers
        .into_iter()
        .map(|((caller, line), (calls, time_ns))| CallerProfile {
            caller: caller.to_owned(),
            line,
            calls,
            time_ns,
        })
        .collect()
}

/// Sorts functions by total time, longest first, then by name.
pub fn sort_by_time(functions: &mut [FunctionProfile]) {
    functions.sort_by(|a, b| b.total_ns.cmp(&a.total_ns).then(a.name.cmp(&b.name)));
}

/// The time of the calls each function made to profiled functions, by caller name: what the
/// callees' `callers` edges record as coming from it.
pub fn time_in_callees(functions: &[FunctionProfile]) -> HashMap<&str, u64> {
    let mut in_callees: HashMap<&str, u64> = HashMap::new();
    for f in functions {
        for c in &f.callers {
            let e = in_callees.entry(c.caller.as_str()).or_default();
            *e = e.saturating_add(c.time_ns);
        }
    }
    in_callees
}

/// Sets every function's own time: its total less the time of the calls it made to profiled
/// functions.
pub fn set_own_times(functions: &mut [FunctionProfile]) {
    let own: Vec<u64> = {
        let in_callees = time_in_callees(functions);
        functions
            .iter()
            .map(|f| {
                let callees = in_callees.get(f.name.as_str()).copied().unwrap_or(0);
                f.total_ns.saturating_sub(callees)
            })
            .collect()
    };
    for (f, own) in functions.iter_mut().zip(own) {
        f.own_ns = own;
    }
}

impl FunctionProfile {
    /// Adds `more`, the same function from another profile.
    pub fn add(&mut self, more: FunctionProfile) {
        self.is_async |= more.is_async;
        self.calls = self.calls.saturating_add(more.calls);
        self.primitive_calls = self.primitive_calls.saturating_add(more.primitive_calls);
        self.total_ns = self.total_ns.saturating_add(more.total_ns);
        self.cumulative_ns = self.cumulative_ns.saturating_add(more.cumulative_ns);
        self.own_ns = self.own_ns.saturating_add(more.own_ns);
        self.samples = self.samples.saturating_add(more.samples);
        self.measured_ns = self.measured_ns.saturating_add(more.measured_ns);
        self.min_ns = least(self.min_ns, more.min_ns);
        self.max_ns = self.max_ns.max(more.max_ns);
        self.hist.add(&more.hist);
        if more.source.len() > self.source.len() {
            self.source = more.source;
            self.line = more.line;
        }
        self.lines = add_lines([self.lines.as_slice(), more.lines.as_slice()]);
        self.callers = add_callers([self.callers.as_slice(), more.callers.as_slice()]);
        for t in more.threads {
            match self.threads.iter_mut().find(|x| x.thread == t.thread) {
                Some(x) => x.add(&t),
                None => self.threads.push(t),
            }
        }
    }
}

impl ThreadFunctionProfile {
    /// Adds another set of one thread's figures of the same function.
    pub fn add(&mut self, more: &ThreadFunctionProfile) {
        self.calls = self.calls.saturating_add(more.calls);
        self.total_ns = self.total_ns.saturating_add(more.total_ns);
        self.lines = add_lines([self.lines.as_slice(), more.lines.as_slice()]);
        self.callers = add_callers([self.callers.as_slice(), more.callers.as_slice()]);
    }
}

impl Profile {
    /// Fills in the figures an older or hand-written file leaves out, so that every reader can
    /// rely on them: `total_ns` from the lines, `primitive_calls` and `cumulative_ns` from
    /// `calls` and `total_ns`, and `own_ns` by the own-time rule.
    pub fn complete_missing_figures(&mut self) {
        let in_callees: HashMap<String, u64> = time_in_callees(&self.functions)
            .into_iter()
            .map(|(name, t)| (name.to_owned(), t))
            .collect();
        for f in &mut self.functions {
            if f.total_ns == 0 {
                f.total_ns = f
                    .lines
                    .iter()
                    .fold(0u64, |sum, l| sum.saturating_add(l.time_ns));
            }
            if f.primitive_calls == 0 && f.cumulative_ns == 0 {
                f.primitive_calls = f.calls;
                f.cumulative_ns = f.total_ns;
            }
            if f.own_ns == 0 {
                let callees = in_callees.get(&f.name).copied().unwrap_or(0);
                f.own_ns = f.total_ns.saturating_sub(callees);
            }
        }
    }
}

/// One profile holding the sum of `profiles`, functions by total time, longest first.
///
/// `labels` names each profile (its file); they are used in thread names when there is more
/// than one profile.
pub fn add_up(profiles: Vec<Profile>, labels: &[String]) -> Profile {
    let several = profiles.len() > 1;
    let mut out = Profile::empty();
    // Whole-process heap tracking is one process's: kept when one profile has it. Several
    // processes' peaks happened at different moments and do not add up into one.
    let mut tracked = profiles.iter().filter_map(|p| p.heap_tracking.as_ref());
    if let (Some(one), None) = (tracked.next(), tracked.next()) {
        out.heap_tracking = Some(one.clone());
    }
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (i, profile) in profiles.into_iter().enumerate() {
        if i == 0 {
            out.heap_counted = profile.heap_counted;
            out.overhead_ns_per_hit = profile.overhead_ns_per_hit;
            out.overhead_ns_per_call = profile.overhead_ns_per_call;
            out.blocking_threshold_ns = profile.blocking_threshold_ns;
        } else {
            out.heap_counted |= profile.heap_counted;
            out.overhead_ns_per_hit = out.overhead_ns_per_hit.max(profile.overhead_ns_per_hit);
            out.overhead_ns_per_call = out.overhead_ns_per_call.max(profile.overhead_ns_per_call);
            out.blocking_threshold_ns =
                out.blocking_threshold_ns.max(profile.blocking_threshold_ns);
        }
        // Renumber this file's threads after the ones already there.
        let offset = out.threads.len() as u32;
        let mut renumber: HashMap<u32, u32> = HashMap::new();
        for (n, t) in profile.threads.iter().enumerate() {
            let new_index = offset + n as u32;
            renumber.insert(t.index, new_index);
            let name = match (several, labels.get(i)) {
                (true, Some(label)) if t.name.is_empty() => format!("({label})"),
                (true, Some(label)) => format!("{} ({label})", t.name),
                _ => t.name.clone(),
            };
            out.threads.push(ThreadInfo {
                index: new_index,
                name,
            });
        }
        for mut f in profile.functions {
            for t in &mut f.threads {
                t.thread = match renumber.get(&t.thread) {
                    Some(&n) => n,
                    None => t.thread.saturating_add(offset),
                };
            }
            let key = (f.name.clone(), f.file.clone());
            match index.get(&key) {
                Some(&at) => out.functions[at].add(f),
                None => {
                    index.insert(key, out.functions.len());
                    out.functions.push(f);
                }
            }
        }
    }
    sort_by_time(&mut out.functions);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(line: u32, hits: u64, time_ns: u64, peak: u64) -> LineProfile {
        LineProfile {
            line,
            hits,
            time_ns,
            alloc_bytes: 10 * hits,
            freed_bytes: hits,
            net_bytes: 9 * hits as i64,
            allocs: hits,
            peak_bytes: peak,
            mem_usage_bytes: peak * 2,
            wait_ns: 0,
            ..Default::default()
        }
    }

    fn function(name: &str, calls: u64, lines: Vec<LineProfile>) -> FunctionProfile {
        FunctionProfile {
            name: name.to_owned(),
            file: "src/lib.rs".to_owned(),
            line: 1,
            is_async: false,
            calls,
            primitive_calls: calls,
            total_ns: lines.iter().map(|l| l.time_ns).sum(),
            cumulative_ns: lines.iter().map(|l| l.time_ns).sum(),
            own_ns: lines.iter().map(|l| l.time_ns).sum(),
            source: vec![
                "fn f() {".to_owned(),
                "    work();".to_owned(),
                "}".to_owned(),
            ],
            lines,
            callers: vec![CallerProfile {
                caller: "<root>".to_owned(),
                line: None,
                calls,
                time_ns: 5,
            }],
            threads: vec![ThreadFunctionProfile {
                thread: 0,
                calls,
                total_ns: 0,
                lines: Vec::new(),
                callers: Vec::new(),
            }],
            ..Default::default()
        }
    }

    fn profile(functions: Vec<FunctionProfile>) -> Profile {
        Profile {
            threads: vec![ThreadInfo {
                index: 0,
                name: "main".to_owned(),
            }],
            functions,
            ..Profile::empty()
        }
    }

    #[test]
    fn sums_add_and_peaks_take_the_max() {
        let a = profile(vec![function("f", 2, vec![line(2, 2, 100, 50)])]);
        let b = profile(vec![
            function("f", 3, vec![line(2, 3, 300, 40), line(3, 1, 7, 1)]),
            function("g", 1, vec![line(2, 1, 1, 1)]),
        ]);
        let m = add_up(vec![a, b], &["a.json".to_owned(), "b.json".to_owned()]);
        let f = m.function("f").unwrap();
        assert_eq!(f.calls, 5);
        assert_eq!(f.total_ns, 407);
        let l2 = f.line(2).unwrap();
        assert_eq!(
            (l2.hits, l2.time_ns, l2.alloc_bytes, l2.allocs),
            (5, 400, 50, 5)
        );
        assert_eq!((l2.peak_bytes, l2.mem_usage_bytes), (50, 100));
        assert_eq!(f.hits(3), 1);
        assert_eq!(f.callers.len(), 1);
        assert_eq!((f.callers[0].calls, f.callers[0].time_ns), (5, 10));
        assert_eq!(m.functions[0].name, "f");
        assert_eq!(m.threads.len(), 2);
        assert_eq!(m.threads[1].name, "main (b.json)");
        assert_eq!(
            f.threads.iter().map(|t| t.thread).collect::<Vec<_>>(),
            [0, 1]
        );
    }
}
