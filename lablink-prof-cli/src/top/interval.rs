//! What happened between two snapshots: each function's and line's figures in the interval
//! (the later snapshot's less the earlier's), beside their totals, and per second.

use std::collections::HashMap;
use std::time::Duration;

use lablink_prof_runtime::profile::{FunctionProfile, LineProfile};

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
