//! What happened between two snapshots: each function's and line's figures in the interval
//! (the later snapshot's less the earlier's), beside their totals, and per second.

use std::collections::HashMap;
use std::time::Duration;

use lablink_prof_runtime::profile::{FunctionProfile, LineProfile, TimeMode};

use super::source::{SampledLine, SampledLines, Snapshot};

/// Counters of a function or a line, as sums since recording began or over an interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Calls of a function, hits of a line.
    pub count: u64,
    /// Wall time, in nanoseconds.
    pub time_ns: u64,
    /// Bytes allocated.
    pub alloc_bytes: u64,
    /// Bytes freed.
    pub freed_bytes: u64,
    /// Allocations.
    pub allocs: u64,
    /// Sampled on-CPU time, when the profile has it.
    pub cpu_ns: Option<u64>,
    /// Sampled off-CPU time, when the profile has it.
    pub off_cpu_ns: Option<u64>,
}

impl Figures {
    /// A line's figures, with its sampled times.
    fn of_line(line: &LineProfile, sampled: SampledLine) -> Self {
        Figures {
            count: line.hits,
            time_ns: line.time_ns,
            alloc_bytes: line.alloc_bytes,
            freed_bytes: line.freed_bytes,
            allocs: line.allocs,
            cpu_ns: sampled.cpu_ns,
            off_cpu_ns: sampled.off_cpu_ns,
        }
    }

    /// `self - before`, or `None` when a count went down (the counts started again).
    ///
    /// Times are only compared to the nanosecond: each snapshot converts clock ticks to ns with
    /// the tick rate measured anew, so the same ticks can read a few ns apart in two snapshots;
    /// a time that reads lower is 0 in the interval.
    fn since(&self, before: &Figures) -> Option<Figures> {
        let time = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), b) => Some(a.saturating_sub(b.unwrap_or(0))),
            (None, _) => None,
        };
        Some(Figures {
            count: self.count.checked_sub(before.count)?,
            time_ns: self.time_ns.saturating_sub(before.time_ns),
            alloc_bytes: self.alloc_bytes.checked_sub(before.alloc_bytes)?,
            freed_bytes: self.freed_bytes.checked_sub(before.freed_bytes)?,
            allocs: self.allocs.checked_sub(before.allocs)?,
            cpu_ns: time(self.cpu_ns, before.cpu_ns),
            off_cpu_ns: time(self.off_cpu_ns, before.off_cpu_ns),
        })
    }

    /// Adds a line's figures to a function's (all but the count).
    fn add_line(&mut self, line: &Figures) {
        self.alloc_bytes += line.alloc_bytes;
        self.freed_bytes += line.freed_bytes;
        self.allocs += line.allocs;
        let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.cpu_ns = add(self.cpu_ns, line.cpu_ns);
        self.off_cpu_ns = add(self.off_cpu_ns, line.off_cpu_ns);
    }

    /// Bytes allocated less bytes freed.
    pub fn net_bytes(&self) -> i64 {
        self.alloc_bytes as i64 - self.freed_bytes as i64
    }
}

/// One line of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInterval {
    /// Its number in the file.
    pub line: u32,
    /// Its source text.
    pub source: String,
    /// Since recording began.
    pub total: Figures,
    /// In the interval (equal to `total` when there is no earlier snapshot).
    pub delta: Figures,
}

/// One function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInterval {
    /// Its path.
    pub name: String,
    /// Its file.
    pub file: String,
    /// The line of its signature.
    pub line: u32,
    /// Since recording began: calls, `total_ns`, and its lines' memory figures added up.
    pub total: Figures,
    /// In the interval.
    pub delta: Figures,
    /// Every line of its source, recorded or not, in order.
    pub lines: Vec<LineInterval>,
}

/// The figures of the later of two snapshots, and what changed since the earlier one.
#[derive(Debug, Clone)]
pub struct Interval {
    /// Time between the two snapshots; `None` with a single snapshot.
    pub elapsed: Option<Duration>,
    /// Whether the counters went down since the earlier snapshot (the program started again and
    /// rewrote the file): the interval then counts from zero.
    pub restarted: bool,
    /// Whether the memory figures were measured (the counting allocator is installed).
    pub heap_counted: bool,
    /// Whether any line has sampled on-CPU/off-CPU times.
    pub sampled: bool,
    /// The sampler's interval, when the later snapshot is of the sampled mode.
    pub sample_interval_ns: Option<u64>,
    /// The functions, in the order the caller sorts them.
    pub functions: Vec<FunctionInterval>,
}

/// Which figure orders the functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// In the last interval (the default).
    #[default]
    Interval,
    /// Since recording began.
    Total,
}

/// Which columns are shown, and what the sort compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Columns {
    /// Calls, hits and wall time (and sampled on/off-CPU time when present).
    #[default]
    Time,
    /// Allocations and bytes.
    Memory,
}

/// Functions' figures and their lines' figures, by name and file.
type FiguresByFunction<'a> = HashMap<(&'a str, &'a str), (Figures, HashMap<u32, Figures>)>;

/// A function's figures by line and sampled line times, from one snapshot.
fn function_figures(
    f: &FunctionProfile,
    sampled: &SampledLines,
) -> (Figures, HashMap<u32, Figures>) {
    let mut total = Figures {
        count: f.calls,
        time_ns: f.total_ns,
        ..Figures::default()
    };
    let mut lines = HashMap::new();
    for l in &f.lines {
        let times = sampled
            .get(&(f.name.clone(), l.line))
            .copied()
            .unwrap_or_default();
        let figures = Figures::of_line(l, times);
        total.add_line(&figures);
        lines.insert(l.line, figures);
    }
    (total, lines)
}

impl Interval {
    /// The figures of `after`, and what changed since `before` when there is one.
    pub fn between(before: Option<&Snapshot>, after: &Snapshot) -> Interval {
        let elapsed = before.map(|b| after.elapsed_since(b));
        let earlier: FiguresByFunction<'_> = before
            .map(|b| {
                b.profile
                    .functions
                    .iter()
                    .map(|f| {
                        (
                            (f.name.as_str(), f.file.as_str()),
                            function_figures(f, &b.sampled),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut functions = Vec::new();
        let mut restarted = false;
        for f in &after.profile.functions {
            let (total, lines) = function_figures(f, &after.sampled);
            let before = earlier.get(&(f.name.as_str(), f.file.as_str()));
            let none = (Figures::default(), HashMap::new());
            let (before_total, before_lines) = before.unwrap_or(&none);
            let delta = total.since(before_total);
            restarted |= delta.is_none();
            let mut line_rows = Vec::new();
            let last = f.line + f.source.len().saturating_sub(1) as u32;
            let recorded_last = f.lines.iter().map(|l| l.line).max().unwrap_or(f.line);
            for n in f.line..=last.max(recorded_last) {
                let total = lines.get(&n).copied().unwrap_or_default();
                let before = before_lines.get(&n).copied().unwrap_or_default();
                let delta = total.since(&before);
                restarted |= delta.is_none();
                line_rows.push(LineInterval {
                    line: n,
                    source: f.source_line(n).unwrap_or("").to_owned(),
                    total,
                    delta: delta.unwrap_or(total),
                });
            }
            functions.push(FunctionInterval {
                name: f.name.clone(),
                file: f.file.clone(),
                line: f.line,
                total,
                delta: delta.unwrap_or(total),
                lines: line_rows,
            });
        }
        // A function in the earlier snapshot and not in the later one: the counts started again.
        restarted |= earlier.len()
            > functions
                .iter()
                .filter(|f| earlier.contains_key(&(f.name.as_str(), f.file.as_str())))
                .count();
        if restarted {
            for f in &mut functions {
                f.delta = f.total;
                for l in &mut f.lines {
                    l.delta = l.total;
                }
            }
        }
        Interval {
            elapsed,
            restarted,
            heap_counted: after.profile.heap_counted,
            sampled: !after.sampled.is_empty(),
            sample_interval_ns: (after.profile.mode == TimeMode::Sampled)
                .then_some(after.profile.sample_interval_ns),
            functions,
        }
    }

    /// Orders the functions, largest first, by the figure `columns` shows, in the interval or in
    /// total; ties by name.
    pub fn sort(&mut self, by: SortBy, columns: Columns) {
        let key = |f: &FunctionInterval| {
            let figures = match by {
                SortBy::Interval => &f.delta,
                SortBy::Total => &f.total,
            };
            match columns {
                Columns::Time => (figures.time_ns, figures.count),
                Columns::Memory => (figures.alloc_bytes, figures.allocs),
            }
        };
        self.functions
            .sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| a.name.cmp(&b.name)));
    }

    /// `value` per second of the interval, `None` with a single snapshot or no time between.
    pub fn per_second(&self, value: u64) -> Option<f64> {
        let secs = self.elapsed?.as_secs_f64();
        (secs > 0.0).then(|| value as f64 / secs)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant, SystemTime};

    use lablink_prof_runtime::profile::{FunctionProfile, LineProfile, Profile};

    use super::{Columns, Interval, SortBy};
    use crate::top::source::{FileStamp, SampledLine, Snapshot};

    fn function(name: &str, calls: u64, line_ns: [u64; 2], alloc: u64) -> FunctionProfile {
        FunctionProfile {
            name: name.to_owned(),
            file: "src/lib.rs".to_owned(),
            line: 10,
            is_async: false,
            calls,
            primitive_calls: calls,
            total_ns: line_ns[0] + line_ns[1],
            cumulative_ns: 0,
            own_ns: 0,
            source: vec![
                "fn f() {".into(),
                "    a();".into(),
                "    b();".into(),
                "}".into(),
            ],
            lines: vec![
                LineProfile {
                    line: 11,
                    hits: calls,
                    time_ns: line_ns[0],
                    alloc_bytes: alloc,
                    allocs: calls,
                    net_bytes: alloc as i64,
                    ..LineProfile::default()
                },
                LineProfile {
                    line: 12,
                    hits: calls,
                    time_ns: line_ns[1],
                    ..LineProfile::default()
                },
            ],
            callers: Vec::new(),
            threads: Vec::new(),
            ..Default::default()
        }
    }

    fn snapshot(functions: Vec<FunctionProfile>, at_ms: u64) -> Snapshot {
        let mut profile = Profile::empty();
        profile.heap_counted = true;
        profile.functions = functions;
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        Snapshot {
            profile,
            sampled: Default::default(),
            stamp: FileStamp::at(t0 + Duration::from_millis(at_ms)),
            seen: Instant::now(),
            requested: None,
        }
    }

    #[test]
    fn the_interval_is_the_difference_and_rates_divide_by_its_length() {
        let before = snapshot(vec![function("f", 10, [100, 200], 640)], 0);
        let after = snapshot(vec![function("f", 30, [400, 500], 1920)], 500);
        let i = Interval::between(Some(&before), &after);
        assert_eq!(i.elapsed, Some(Duration::from_millis(500)));
        assert!(!i.restarted);
        let f = &i.functions[0];
        assert_eq!((f.delta.count, f.delta.time_ns), (20, 600));
        assert_eq!((f.delta.alloc_bytes, f.delta.allocs), (1280, 20));
        assert_eq!((f.total.count, f.total.time_ns), (30, 900));
        assert_eq!(i.per_second(f.delta.count), Some(40.0));
        // Every source line is listed; the brace lines recorded nothing.
        let lines: Vec<(u32, u64, u64)> = f
            .lines
            .iter()
            .map(|l| (l.line, l.delta.count, l.delta.time_ns))
            .collect();
        assert_eq!(
            lines,
            [(10, 0, 0), (11, 20, 300), (12, 20, 300), (13, 0, 0)]
        );
    }

    #[test]
    fn a_time_a_few_ns_lower_is_no_time_not_a_restart() {
        let before = snapshot(vec![function("idle", 5, [1000, 2001], 0)], 0);
        let after = snapshot(vec![function("idle", 5, [999, 2000], 0)], 1000);
        let i = Interval::between(Some(&before), &after);
        assert!(!i.restarted);
        assert_eq!(i.functions[0].delta.time_ns, 0);
        assert_eq!(i.functions[0].lines[1].delta.time_ns, 0);
    }

    #[test]
    fn counts_going_down_or_a_function_gone_count_from_zero() {
        let before = snapshot(vec![function("f", 50, [10, 10], 0)], 0);
        let after = snapshot(vec![function("f", 3, [5, 5], 0)], 1000);
        let i = Interval::between(Some(&before), &after);
        assert!(i.restarted);
        assert_eq!(i.functions[0].delta.count, 3);

        let before = snapshot(
            vec![function("f", 1, [1, 1], 0), function("g", 1, [1, 1], 0)],
            0,
        );
        let after = snapshot(vec![function("f", 2, [2, 2], 0)], 1000);
        let i = Interval::between(Some(&before), &after);
        assert!(i.restarted);
        assert_eq!(i.functions[0].delta.count, 2);
    }

    #[test]
    fn a_single_snapshot_has_no_rates() {
        let only = snapshot(vec![function("f", 3, [1, 1], 0)], 0);
        let i = Interval::between(None, &only);
        assert_eq!(i.elapsed, None);
        assert_eq!(i.per_second(3), None);
        assert_eq!(i.functions[0].delta, i.functions[0].total);
    }

    #[test]
    fn sorting_by_interval_or_total_by_time_or_bytes() {
        let before = snapshot(
            vec![
                function("old", 100, [9000, 0], 0),
                function("busy", 1, [10, 0], 10),
            ],
            0,
        );
        let after = snapshot(
            vec![
                function("old", 100, [9000, 0], 0),
                function("busy", 11, [1010, 0], 1010),
            ],
            1000,
        );
        let order = |by, columns| {
            let mut i = Interval::between(Some(&before), &after);
            i.sort(by, columns);
            i.functions
                .iter()
                .map(|f| f.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(order(SortBy::Interval, Columns::Time), ["busy", "old"]);
        assert_eq!(order(SortBy::Total, Columns::Time), ["old", "busy"]);
        assert_eq!(order(SortBy::Total, Columns::Memory), ["busy", "old"]);
    }

    #[test]
    fn sampled_times_are_differences_too_and_add_up_per_function() {
        let mut before = snapshot(vec![function("f", 1, [10, 10], 0)], 0);
        let mut after = snapshot(vec![function("f", 2, [20, 20], 0)], 1000);
        let times = |cpu, off| SampledLine {
            cpu_ns: Some(cpu),
            off_cpu_ns: Some(off),
        };
        before.sampled.insert(("f".into(), 11), times(100, 50));
        after.sampled.insert(("f".into(), 11), times(400, 60));
        after.sampled.insert(("f".into(), 12), times(30, 0));
        let i = Interval::between(Some(&before), &after);
        assert!(i.sampled);
        let f = &i.functions[0];
        assert_eq!(
            (f.lines[1].delta.cpu_ns, f.lines[1].delta.off_cpu_ns),
            (Some(300), Some(10))
        );
        assert_eq!(
            (f.lines[2].delta.cpu_ns, f.lines[2].delta.off_cpu_ns),
            (Some(30), Some(0))
        );
        assert_eq!(f.lines[0].delta.cpu_ns, None);
        assert_eq!((f.delta.cpu_ns, f.delta.off_cpu_ns), (Some(330), Some(10)));
    }
}
