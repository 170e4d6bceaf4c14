//! The profile of the running process: every thread's line tables read into a [`Profile`].
//!
//! Ticks become nanoseconds here (against `Instant`, over the whole run), the recorder's own
//! cost per hit is taken out (see the recorder's calibration), and the threads' figures of a
//! function are added up with the profile model's own rules, the same ones `lablink-prof view`
//! uses to add files up.

use std::collections::BTreeMap;

use crate::base::clock::TickScale;
use crate::model::rules;
use crate::model::{
    CallerProfile, FunctionProfile, LineProfile, OTHER_CALLER, Profile, ROOT_CALLER,
    ThreadFunctionProfile, ThreadInfo,
};
use crate::recorder::line_table::{LineSlot, LineTable};
use crate::recorder::registry;

mod heap_tracking;

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
///
/// Each thread's table is converted on its own (ticks to nanoseconds, compensation with that
/// thread's figures); a function's figures are then its threads' added up by the profile
/// model's rules, the same that add saved profiles up.
pub fn snapshot() -> Profile {
    use std::sync::atomic::Ordering::Relaxed;
    let scale = TickScale::measure();
    let overhead = crate::recorder::calibration::overhead_ticks();
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
            id => registry.sites[id as usize - 1].site.path().to_owned(),
        }
    };

    for (&site_id, tables) in &by_site {
        let site = registry.sites[site_id as usize - 1].site;
        let info = site.info;
        let (mut calls, mut prim_calls, mut cumulative_ns) = (0u64, 0u64, 0u64);
        let mut threads = Vec::new();
        for table in tables {
            let raw: Vec<RawLine> = table.slots.iter().map(RawLine::read).collect();
            let table_calls = table.calls.load(Relaxed);
            calls += table_calls;
            prim_calls += table.primitive_calls.load(Relaxed);
            let lines = convert_lines(info.first_line, &raw, scale, overhead);
            if table_calls == 0 && lines.is_empty() {
                continue;
            }
            // Calls' times (primitive calls, caller edges) are compensated in the same
            // proportion as the lines, so that the edges add up to the total.
            let ratio = compensation_ratio(&raw, overhead);
            let prim_ticks = table.primitive_ticks.load(Relaxed) as f64 * ratio;
            cumulative_ns += scale.ns(prim_ticks.round() as u64);
            threads.push(ThreadFunctionProfile {
                thread: table.thread,
                calls: table_calls,
                total_ns: lines.iter().map(|l| l.time_ns).sum(),
                lines,
                callers: caller_profiles(raw_callers(table), ratio, scale, &site_name),
            });
        }
        if threads.is_empty() {
            continue;
        }
        let lines = rules::add_lines(threads.iter().map(|t| t.lines.as_slice()));
        let callers = rules::add_callers(threads.iter().map(|t| t.callers.as_slice()));
        profile.functions.push(FunctionProfile {
            name: site.path().to_owned(),
            file: info.file.to_owned(),
            line: info.first_line,
            is_async: info.is_async,
            calls,
            primitive_calls: prim_calls,
            total_ns: lines.iter().map(|l| l.time_ns).sum(),
            cumulative_ns,
            own_ns: 0,
            source: info.source.iter().map(|s| (*s).to_owned()).collect(),
            lines,
            callers,
            threads,
        });
    }
    drop(registry);
    rules::set_own_times(&mut profile.functions);
    rules::sort_by_time(&mut profile.functions);
    profile.heap_tracking = heap_tracking::read();
    profile
}
