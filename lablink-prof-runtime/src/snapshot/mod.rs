//! The profile of the running process: every thread's line tables read into a [`Profile`].
//!
//! A line's time comes from the recorder's ticks (exact mode) or from the sampler's stacks
//! (sampled mode); either way the recorder's own work is taken out (compensation, see the
//! recorder's calibration): each line loses its own hits' cost and the cost of the recorder's
//! work inside the profiled calls it made, all the way down. Ticks become nanoseconds against
//! `Instant`, over the whole run. A function's threads are added up by the profile model's
//! rules, the same ones `lablink-prof view` uses to add files up.

use std::collections::{BTreeMap, HashMap};

use crate::base::clock::TickScale;
use crate::control::time_mode;
use crate::model::histogram::{Histogram, bucket_middle};
use crate::model::rules;
use crate::model::{
    CallerProfile, FunctionProfile, LineProfile, OTHER_CALLER, Profile, ROOT_CALLER, SampledStack,
    StackFrame, ThreadFunctionProfile, ThreadInfo, TimeMode,
};
use crate::recorder::calibration::{self, RecorderCost};
use crate::recorder::line_table::{LineSlot, LineTable};
use crate::recorder::registry::{self, Registry};
use crate::sampler;

mod heap_tracking;

/// One line's counters, read once.
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
    callee_hits: u64,
    callee_calls: u64,
    /// The shortest and longest hit, in ticks (exact mode; `None` without a timed hit).
    min_max: Option<(u64, u64)>,
    blocking: u64,
    blocking_max_ticks: u64,
    blocking_ticks: u64,
}

impl RawLine {
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
            callee_hits: slot.callee_hits.load(Relaxed),
            callee_calls: slot.callee_calls.load(Relaxed),
            min_max: read_min_max(&slot.min_ticks_inverted, &slot.max_ticks),
            blocking: slot.blocking.load(Relaxed),
            blocking_max_ticks: slot.blocking_max_ticks.load(Relaxed),
            blocking_ticks: slot.blocking_ticks.load(Relaxed),
        }
    }

    fn is_empty(&self) -> bool {
        self.hits == 0
            && self.ticks == 0
            && self.allocs == 0
            && self.freed_bytes == 0
            && self.wait_ticks == 0
    }

    /// The recorder's own work on this line, in ticks: its hits, and what it counted inside
    /// the profiled calls made from it.
    fn recorder_ticks(&self, cost: RecorderCost) -> f64 {
        (self.hits + self.callee_hits) as f64 * cost.per_hit
            + self.callee_calls as f64 * cost.per_call
    }
}

/// A minimum stored inverted and a maximum, in ticks, if anything was counted.
fn read_min_max(
    min_inverted: &std::sync::atomic::AtomicU64,
    max: &std::sync::atomic::AtomicU64,
) -> Option<(u64, u64)> {
    use std::sync::atomic::Ordering::Relaxed;
    let inverted = min_inverted.load(Relaxed);
    (inverted != 0).then(|| (!inverted, max.load(Relaxed)))
}

/// Converts a time of `ticks` to nanoseconds, less `minus` ticks of the recorder's own work.
fn kept_ns(ticks: u64, minus: f64, scale: TickScale) -> u64 {
    scale.ns((ticks as f64 - minus).max(0.0).round() as u64)
}

/// A histogram row of tick buckets as a nanosecond histogram: each bucket's count goes to the
/// nanosecond bucket of its middle, less `minus` ticks of the recorder's own work (see
/// `model::histogram` for the error this adds).
fn ns_histogram(row: &[std::sync::atomic::AtomicU64], minus: f64, scale: TickScale) -> Histogram {
    use std::sync::atomic::Ordering::Relaxed;
    let mut hist = Histogram::new();
    for (bucket, count) in row.iter().enumerate() {
        let count = count.load(Relaxed);
        if count > 0 {
            hist.record(kept_ns(bucket_middle(bucket), minus, scale), count);
        }
    }
    hist
}

/// The exact-mode figures of line slot `i` of `table`: its shortest and longest hit, its
/// distribution, its blocking slices.
fn timed_figures(
    table: &LineTable,
    i: usize,
    r: &RawLine,
    scale: TickScale,
    cost: RecorderCost,
) -> LineProfile {
    LineProfile {
        min_ns: r.min_max.map(|(min, _)| kept_ns(min, cost.per_hit, scale)),
        max_ns: r.min_max.map(|(_, max)| kept_ns(max, cost.per_hit, scale)),
        hist: table
            .histograms
            .row(i)
            .map(|row| ns_histogram(row, cost.per_hit, scale))
            .unwrap_or_default(),
        blocking: r.blocking,
        blocking_max_ns: scale.ns(r.blocking_max_ticks),
        blocking_ns: scale.ns(r.blocking_ticks),
        ..LineProfile::default()
    }
}

/// What the sampler found for one line of one thread's table.
#[derive(Debug, Default, Clone, Copy)]
struct SampledLine {
    samples: u64,
    time_ns: u64,
    cpu_ns: u64,
    cpu_known: bool,
}

/// The sampler's stacks, taken apart by function and thread.
#[derive(Debug, Default)]
struct SampledTimes {
    /// By (site id, thread, line slot).
    lines: HashMap<(u32, u32, u32), SampledLine>,
    /// Caller edges by (callee site id, thread): (caller site id or 0, caller's line) → ns.
    edges: HashMap<(u32, u32), BTreeMap<(u32, u32), u64>>,
    /// By (site id, thread): the time and samples of stacks the function is on (once per
    /// stack: pstats' cumulative time).
    on_stack: HashMap<(u32, u32), (u64, u64)>,
    stacks: Vec<sampler::FoundStack>,
}

impl SampledTimes {
    fn take_apart(registry: &Registry) -> Self {
        let mut times = SampledTimes {
            stacks: sampler::stacks(),
            ..SampledTimes::default()
        };
        let first_line = |site: u32| {
            registry
                .sites
                .get((site as usize).wrapping_sub(1))
                .map_or(0, |s| s.site.info.first_line)
        };
        for (thread, frames, figures) in &times.stacks {
            let mut seen: Vec<u32> = Vec::with_capacity(frames.len());
            for (i, &(site, slot)) in frames.iter().enumerate() {
                let line = times
                    .lines
                    .entry((site, *thread, slot))
                    .or_insert(SampledLine {
                        cpu_known: true,
                        ..SampledLine::default()
                    });
                line.samples += figures.samples;
                line.time_ns += figures.time_ns;
                line.cpu_ns += figures.cpu_ns;
                line.cpu_known &= figures.cpu_known;
                let from = match i.checked_sub(1).map(|c| frames[c]) {
                    Some((caller, caller_slot)) => (caller, first_line(caller) + caller_slot),
                    None => (0, 0),
                };
                *times
                    .edges
                    .entry((site, *thread))
                    .or_default()
                    .entry(from)
                    .or_default() += figures.time_ns;
                if !seen.contains(&site) {
                    seen.push(site);
                    let e = times.on_stack.entry((site, *thread)).or_default();
                    e.0 += figures.time_ns;
                    e.1 += figures.samples;
                }
            }
        }
        times
    }
}

/// One table's lines, converted and compensated, with the ratio of kept to raw time.
struct ConvertedLines {
    lines: Vec<LineProfile>,
    /// The lines' time before compensation, in ns.
    raw_ns: u64,
    /// Kept time over raw time (1 when there was none).
    ratio: f64,
}

/// Converts one table's raw lines, in exact mode: ticks less the recorder's ticks.
fn exact_lines(
    table: &LineTable,
    first_line: u32,
    raw: &[RawLine],
    scale: TickScale,
    cost: RecorderCost,
) -> ConvertedLines {
    let kept: Vec<u64> = raw
        .iter()
        .map(|r| (r.ticks as f64 - r.recorder_ticks(cost)).max(0.0).round() as u64)
        .collect();
    let raw_ticks: u64 = raw.iter().map(|r| r.ticks).sum();
    let kept_ticks: u64 = kept.iter().sum();
    let nanos = scale.ns_parts(&kept);
    let lines = raw
        .iter()
        .zip(nanos)
        .enumerate()
        .filter(|(_, (r, _))| !r.is_empty())
        .map(|(i, (r, time_ns))| {
            let timed = timed_figures(table, i, r, scale, cost);
            LineProfile {
                line: first_line + i as u32,
                time_ns,
                min_ns: timed.min_ns,
                max_ns: timed.max_ns,
                hist: timed.hist,
                blocking: timed.blocking,
                blocking_max_ns: timed.blocking_max_ns,
                blocking_ns: timed.blocking_ns,
                ..line_figures(r, scale)
            }
        })
        .collect();
    ConvertedLines {
        lines,
        raw_ns: scale.ns(raw_ticks),
        ratio: ratio(kept_ticks as f64, raw_ticks as f64),
    }
}

/// Converts one table's raw lines, in sampled mode: the sampler's time less the recorder's.
fn sampled_lines(
    site: u32,
    thread: u32,
    first_line: u32,
    raw: &[RawLine],
    times: &SampledTimes,
    scale: TickScale,
    cost: RecorderCost,
) -> ConvertedLines {
    let (mut raw_ns, mut kept_ns) = (0u64, 0u64);
    let lines = raw
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let sampled = times
                .lines
                .get(&(site, thread, i as u32))
                .copied()
                .unwrap_or_default();
            if r.is_empty() && sampled.samples == 0 {
                return None;
            }
            // Sampled mode takes off the recorder's work inside the profiled calls made from
            // the line: their entry and exit and their statements, all the way down. The line's
            // own statements stay in: under a nanosecond each, and a loop bounded by a deadline
            // would lose time it spends anyway.
            let call_ticks =
                r.callee_hits as f64 * cost.per_hit + r.callee_calls as f64 * cost.per_call;
            let cost_ns = (scale.ns_per_tick() * call_ticks).round() as u64;
            let taken = cost_ns.min(sampled.time_ns);
            raw_ns += sampled.time_ns;
            kept_ns += sampled.time_ns - taken;
            Some(LineProfile {
                line: first_line + i as u32,
                time_ns: sampled.time_ns - taken,
                samples: sampled.samples,
                // The recorder's work is on-CPU time.
                cpu_ns: (sampled.cpu_known && sampled.samples > 0)
                    .then(|| sampled.cpu_ns.saturating_sub(taken)),
                ..line_figures(r, scale)
            })
        })
        .collect();
    ConvertedLines {
        lines,
        raw_ns,
        ratio: ratio(kept_ns as f64, raw_ns as f64),
    }
}

/// A line's figures other than its time.
fn line_figures(r: &RawLine, scale: TickScale) -> LineProfile {
    LineProfile {
        hits: r.hits,
        alloc_bytes: r.alloc_bytes,
        freed_bytes: r.freed_bytes,
        net_bytes: r.alloc_bytes as i64 - r.freed_bytes as i64,
        allocs: r.allocs,
        peak_bytes: r.peak_bytes,
        mem_usage_bytes: r.mem_usage_bytes,
        wait_ns: scale.ns(r.wait_ticks),
        ..LineProfile::default()
    }
}

fn ratio(kept: f64, raw: f64) -> f64 {
    if raw > 0.0 { kept / raw } else { 1.0 }
}

/// Sampled mode: the recorder's work inside the calls made from each line, from the call-graph
/// edges that counted it: line boundaries and calls, by (thread, caller's site id, caller's
/// line).
fn inner_costs_by_caller_line<'a>(
    tables: impl IntoIterator<Item = &'a &'static LineTable>,
) -> HashMap<(u32, u32, u32), (u64, u64)> {
    use std::sync::atomic::Ordering::Relaxed;
    let mut costs: HashMap<(u32, u32, u32), (u64, u64)> = HashMap::new();
    for table in tables {
        for slot in table.callers.iter() {
            // Key 0 is an empty slot, 1 the calls with no profiled caller.
            let key = slot.caller.load(Relaxed);
            if key > 1 {
                let e = costs
                    .entry((table.thread, key - 1, slot.line.load(Relaxed)))
                    .or_default();
                e.0 += slot.inner_hits.load(Relaxed);
                e.1 += slot.inner_calls.load(Relaxed);
            }
        }
    }
    costs
}

/// Caller edges by (caller site id, caller line): calls and time (ticks in exact mode, ns in
/// sampled mode). `u32::MAX` stands for the callers beyond the ones a table tells apart.
type RawCallers = BTreeMap<(u32, u32), (u64, u64)>;

/// One table's caller edges: calls as counted, times from the table (exact) or the sampler.
fn raw_callers(table: &LineTable, sampled: Option<&BTreeMap<(u32, u32), u64>>) -> RawCallers {
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
    if let Some(sampled) = sampled {
        for e in callers.values_mut() {
            e.1 = 0;
        }
        for (&from, &ns) in sampled {
            callers.entry(from).or_default().1 += ns;
        }
    }
    callers
}

/// Caller edges as reported: named, with compensated times.
fn caller_profiles(
    callers: RawCallers,
    ratio: f64,
    to_ns: &dyn Fn(u64) -> u64,
    site_name: &dyn Fn(u32) -> String,
) -> Vec<CallerProfile> {
    callers
        .into_iter()
        .map(|((caller, line), (calls, time))| CallerProfile {
            caller: match caller {
                u32::MAX => OTHER_CALLER.to_owned(),
                id => site_name(id),
            },
            line: (line != 0).then_some(line),
            calls,
            time_ns: to_ns((time as f64 * ratio).round() as u64),
        })
        .collect()
}

/// Reads every table into a [`Profile`].
///
/// Each thread's table is converted on its own; a function's figures are then its threads'
/// added up by the profile model's rules, the same that add saved profiles up.
pub fn snapshot() -> Profile {
    use std::sync::atomic::Ordering::Relaxed;
    let scale = TickScale::measure();
    let cost = calibration::costs();
    let mode = time_mode::time_mode();
    let registry = registry::lock();
    let mut profile = Profile::empty();
    profile.mode = mode;
    profile.heap_counted = crate::heap::is_installed();
    profile.overhead_ns_per_hit = cost.per_hit * scale.ns_per_tick();
    profile.overhead_ns_per_call = cost.per_call * scale.ns_per_tick();
    if mode == TimeMode::Exact {
        profile.blocking_threshold_ns = crate::control::settings::settings().blocking_us * 1000;
    }
    profile.threads = registry
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| ThreadInfo {
            index: i as u32,
            name: t.name.clone(),
        })
        .collect();
    let sampled = (mode == TimeMode::Sampled).then(|| SampledTimes::take_apart(&registry));
    if sampled.is_some() {
        profile.sample_interval_ns = sampler::interval_ns();
    }

    // Tables by site, in registration order.
    let mut by_site: BTreeMap<u32, Vec<&LineTable>> = BTreeMap::new();
    for table in registry.tables.iter() {
        by_site.entry(table.site_id).or_default().push(table);
    }
    let site_name = |id: u32| -> String {
        match id {
            0 => ROOT_CALLER.to_owned(),
            id => registry.sites[id as usize - 1].site.path().to_owned(),
        }
    };
    // Sampled mode counts the recorder's work inside calls on the call-graph edges they came by
    // (see `CallerSlot::inner_hits`): by (thread, caller's site, caller's line).
    let edge_costs = if sampled.is_some() {
        inner_costs_by_caller_line(&registry.tables)
    } else {
        HashMap::new()
    };
    // The compensation ratio of each (site, thread), for the sampled stacks.
    let mut line_ratios: HashMap<(u32, u32, u32), f64> = HashMap::new();

    for (&site_id, tables) in &by_site {
        let site = registry.sites[site_id as usize - 1].site;
        let info = site.info;
        let (mut calls, mut prim_calls, mut cumulative_ns, mut measured_ns, mut samples) =
            (0u64, 0u64, 0u64, 0u64, 0u64);
        // Calls' shortest, longest and distribution (exact mode), over threads.
        let mut call_times = FunctionProfile::default();
        let mut threads = Vec::new();
        for table in tables {
            let mut raw: Vec<RawLine> = table.slots.iter().map(RawLine::read).collect();
            for (i, r) in raw.iter_mut().enumerate() {
                let line = info.first_line + i as u32;
                if let Some(&(hits, calls)) = edge_costs.get(&(table.thread, site_id, line)) {
                    r.callee_hits += hits;
                    r.callee_calls += calls;
                }
            }
            let table_calls = table.calls.load(Relaxed);
            calls += table_calls;
            prim_calls += table.primitive_calls.load(Relaxed);
            let converted = match &sampled {
                None => exact_lines(table, info.first_line, &raw, scale, cost),
                Some(times) => sampled_lines(
                    site_id,
                    table.thread,
                    info.first_line,
                    &raw,
                    times,
                    scale,
                    cost,
                ),
            };
            if table_calls == 0 && converted.lines.is_empty() {
                continue;
            }
            measured_ns += converted.raw_ns;
            if sampled.is_none() {
                // A call's time was recorded with the recorder's work already taken out.
                if let Some((min, max)) =
                    read_min_max(&table.call_min_inverted, &table.call_max_ticks)
                {
                    call_times.add(FunctionProfile {
                        min_ns: Some(scale.ns(min)),
                        max_ns: Some(scale.ns(max)),
                        hist: table
                            .histograms
                            .calls_row()
                            .map(|row| ns_histogram(row, 0.0, scale))
                            .unwrap_or_default(),
                        ..FunctionProfile::default()
                    });
                }
            }
            // Calls' times (primitive calls, caller edges) keep the same share as the lines, so
            // that the edges add up to the total.
            let ratio = converted.ratio;
            let (callers, to_ns): (RawCallers, &dyn Fn(u64) -> u64) = match &sampled {
                None => {
                    let prim = table.primitive_ticks.load(Relaxed) as f64 * ratio;
                    cumulative_ns += scale.ns(prim.round() as u64);
                    (raw_callers(table, None), &|t| scale.ns(t))
                }
                Some(times) => {
                    let key = (site_id, table.thread);
                    let (on_stack_ns, on_stack_samples) =
                        times.on_stack.get(&key).copied().unwrap_or_default();
                    cumulative_ns += (on_stack_ns as f64 * ratio).round() as u64;
                    samples += on_stack_samples;
                    for line in &converted.lines {
                        let slot = line.line - info.first_line;
                        let raw_ns = times
                            .lines
                            .get(&(site_id, table.thread, slot))
                            .map_or(0, |l| l.time_ns);
                        line_ratios.insert(
                            (site_id, table.thread, slot),
                            ratio_of(line.time_ns, raw_ns),
                        );
                    }
                    (raw_callers(table, times.edges.get(&key)), &|t| t)
                }
            };
            threads.push(ThreadFunctionProfile {
                thread: table.thread,
                calls: table_calls,
                total_ns: converted.lines.iter().map(|l| l.time_ns).sum(),
                lines: converted.lines,
                callers: caller_profiles(callers, ratio, to_ns, &site_name),
            });
        }
        if threads.is_empty() {
            continue;
        }
        let lines = rules::add_lines(threads.iter().map(|t| t.lines.as_slice()));
        let callers = rules::add_callers(threads.iter().map(|t| t.callers.as_slice()));
        let total_ns = lines.iter().map(|l| l.time_ns).sum();
        profile.functions.push(FunctionProfile {
            name: site.path().to_owned(),
            file: info.file.to_owned(),
            line: info.first_line,
            is_async: info.is_async,
            calls,
            primitive_calls: prim_calls,
            total_ns,
            cumulative_ns,
            own_ns: 0,
            source: info.source.iter().map(|s| (*s).to_owned()).collect(),
            lines,
            callers,
            threads,
            samples,
            measured_ns: if measured_ns != total_ns {
                measured_ns
            } else {
                0
            },
            min_ns: call_times.min_ns,
            max_ns: call_times.max_ns,
            hist: call_times.hist,
        });
    }
    if let Some(times) = &sampled {
        profile.stacks = sampled_stacks(times, &line_ratios, &site_name, &|site| {
            registry.sites[site as usize - 1].site.info.first_line
        });
    }
    drop(registry);
    rules::set_own_times(&mut profile.functions);
    rules::sort_by_time(&mut profile.functions);
    profile.heap_tracking = heap_tracking::read();
    profile
}

fn ratio_of(kept: u64, raw: u64) -> f64 {
    ratio(kept as f64, raw as f64)
}

/// The sampler's stacks, named, each with the compensation of its innermost line (the line
/// whose own work the stack's time is).
fn sampled_stacks(
    times: &SampledTimes,
    line_ratios: &HashMap<(u32, u32, u32), f64>,
    site_name: &dyn Fn(u32) -> String,
    first_line: &dyn Fn(u32) -> u32,
) -> Vec<SampledStack> {
    let mut stacks: Vec<SampledStack> = times
        .stacks
        .iter()
        .map(|(thread, frames, figures)| {
            let ratio = frames
                .last()
                .and_then(|&(site, slot)| line_ratios.get(&(site, *thread, slot)))
                .copied()
                .unwrap_or(1.0);
            let time_ns = (figures.time_ns as f64 * ratio).round() as u64;
            let taken = figures.time_ns - time_ns.min(figures.time_ns);
            SampledStack {
                thread: *thread,
                frames: frames
                    .iter()
                    .map(|&(site, slot)| StackFrame {
                        function: site_name(site),
                        line: first_line(site) + slot,
                    })
                    .collect(),
                samples: figures.samples,
                time_ns,
                cpu_ns: figures
                    .cpu_known
                    .then(|| figures.cpu_ns.saturating_sub(taken)),
            }
        })
        .collect();
    stacks.sort_by(|a, b| {
        b.time_ns
            .cmp(&a.time_ns)
            .then(a.frames.len().cmp(&b.frames.len()))
    });
    stacks
}
