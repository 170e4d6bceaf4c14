//! The sampler of sampled mode: a thread of the profiler's own that wakes at a fixed rate
//! (`LABLINK_PROFILE_HZ`) and reads every recording thread's published stack of profiled frames.
//!
//! Each reading credits the wall time since the previous one to the stack it found: the whole
//! stack, innermost frame first, is one key, and its figures are the samples, the time and the
//! on-CPU part of that time, which is how far the thread's own CPU clock advanced since the
//! sampler last read it, as a share of the wall time between the two readings. The snapshot
//! turns these stacks into line times: every frame's line gets the stack's time (inclusive), so
//! that time in callees counts on the calling line, as in exact mode.
//!
//! No signal is involved: the program's system calls are never interrupted, and nothing runs
//! inside the profiled threads but the stores of their own statements. A thread that is not in
//! a profiled call costs the sampler one load per tick.
//!
//! Where the figures can be wrong: a line's time is a count of intervals, so it is uncertain by
//! about the square root of its samples, in intervals (the reports give the 95% bound); a run
//! boundary (a call starting or ending between two readings) is off by up to one interval; and
//! a thread descheduled by the system shows that time as off-CPU on the line it was running.

use std::collections::HashMap;
use std::sync::atomic::{
    AtomicBool, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::recorder::calibration;
use crate::recorder::published_stack::{self, MAX_DEPTH};

/// What one stack collected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StackFigures {
    pub(crate) samples: u64,
    pub(crate) time_ns: u64,
    /// The on-CPU part of `time_ns`.
    pub(crate) cpu_ns: u64,
    /// Whether every sample could read the thread's CPU clock (else `cpu_ns` is not known).
    pub(crate) cpu_known: bool,
}

/// Stacks by thread number, then by frames outermost first as (site id, line slot).
type Stacks = HashMap<u32, HashMap<Vec<(u32, u32)>, StackFigures>>;

static STACKS: Mutex<Option<Stacks>> = Mutex::new(None);

/// The sampling interval in nanoseconds, 0 until the sampler starts.
static INTERVAL_NS: AtomicU64 = AtomicU64::new(0);

fn lock() -> MutexGuard<'static, Option<Stacks>> {
    STACKS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether the sampler thread has begun reading.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// Starts the sampler thread, reading stacks every `interval`, and returns once it runs (or
/// after 100 ms), so that the first recorded call is sampled from its start.
pub(crate) fn start(interval: Duration) {
    INTERVAL_NS.store(interval.as_nanos().max(1) as u64, Relaxed);
    crate::heap::uncounted_thread::spawn(c"lablink-prof-sa", move || run(interval));
    let deadline = Instant::now() + Duration::from_millis(100);
    while !RUNNING.load(Acquire) && Instant::now() < deadline {
        std::thread::yield_now();
    }
}

/// The interval the sampler reads at, in nanoseconds; 0 if it is not running.
pub(crate) fn interval_ns() -> u64 {
    INTERVAL_NS.load(Relaxed)
}

/// How often the sampler measures the recorder's costs again, and until when.
const CALIBRATION_EVERY: Duration = Duration::from_millis(100);
const CALIBRATION_UNTIL: Duration = Duration::from_secs(1);

fn run(interval: Duration) {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes the slack in nanoseconds as its one argument and changes
    // only this thread's timer slack (50 µs by default, which would stretch every interval).
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1_000 as libc::c_ulong);
    }
    let origin = Instant::now();
    RUNNING.store(true, Release);
    let mut last = origin;
    let mut frames = Vec::with_capacity(MAX_DEPTH);
    // Over the first second, the sampler measures the recorder's costs again, ten times (about
    // 0.3 ms each), so that reports use the lowest (see `calibration::costs`).
    let mut next_calibration = CALIBRATION_EVERY;
    loop {
        std::thread::sleep(interval);
        if next_calibration <= CALIBRATION_UNTIL && origin.elapsed() >= next_calibration {
            calibration::measure_again();
            next_calibration += CALIBRATION_EVERY;
        }
        let now = Instant::now();
        let elapsed = now.duration_since(last).as_nanos() as u64;
        let wall = now.duration_since(origin).as_nanos() as u64;
        last = now;
        let mut stack = published_stack::first();
        // The lock is taken only when some thread is in a profiled call.
        let mut guard = None;
        while let Some(s) = stack {
            stack = s.next();
            if !s.is_busy() {
                continue;
            }
            s.read(&mut frames);
            if frames.is_empty() {
                continue;
            }
            let cpu = s
                .cpu_time_ns()
                .map(|cpu| on_cpu_part(s, cpu, wall, elapsed));
            let stacks = guard
                .get_or_insert_with(lock)
                .get_or_insert_with(HashMap::new)
                .entry(s.thread)
                .or_default();
            let figures = match stacks.get_mut(frames.as_slice()) {
                Some(figures) => figures,
                None => stacks.entry(frames.clone()).or_insert(StackFigures {
                    cpu_known: true,
                    ..StackFigures::default()
                }),
            };
            figures.samples += 1;
            figures.time_ns += elapsed;
            match cpu {
                Some(cpu) => figures.cpu_ns += cpu,
                None => figures.cpu_known = false,
            }
        }
    }
}

/// The on-CPU part of an interval of `elapsed` ns for the thread of `stack`, whose CPU clock
/// reads `cpu` at `wall` (ns since the sampler started): the share of the wall time since the
/// sampler last read that clock which the thread spent on a CPU. A thread read for the first
/// time counts as on-CPU.
fn on_cpu_part(stack: &published_stack::PublishedStack, cpu: u64, wall: u64, elapsed: u64) -> u64 {
    let share = if stack.seen.load(Relaxed) {
        let cpu_spent = cpu.saturating_sub(stack.last_cpu_ns.load(Relaxed));
        let wall_spent = wall.saturating_sub(stack.last_wall_ns.load(Relaxed)).max(1);
        (cpu_spent as f64 / wall_spent as f64).min(1.0)
    } else {
        1.0
    };
    stack.last_cpu_ns.store(cpu, Relaxed);
    stack.last_wall_ns.store(wall, Relaxed);
    stack.seen.store(true, Relaxed);
    (elapsed as f64 * share).round() as u64
}

/// A stack the sampler found: the thread's number, its frames outermost first as (site id,
/// line slot), and its figures.
pub(crate) type FoundStack = (u32, Vec<(u32, u32)>, StackFigures);

/// Every stack collected so far.
pub(crate) fn stacks() -> Vec<FoundStack> {
    lock().as_ref().map_or_else(Vec::new, |stacks| {
        stacks
            .iter()
            .flat_map(|(thread, stacks)| {
                stacks
                    .iter()
                    .map(|(frames, figures)| (*thread, frames.clone(), *figures))
            })
            .collect()
    })
}

/// Forgets every stack collected.
pub(crate) fn reset() {
    if let Some(stacks) = lock().as_mut() {
        stacks.clear();
    }
}
