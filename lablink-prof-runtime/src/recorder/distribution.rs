//! Distributions of single hits and calls (exact mode), and the threshold above which a slice of
//! an `async fn`'s poll blocks the executor.
//!
//! # One hit's time
//!
//! A hit is one boundary that counts a hit on a line: a statement's start, or a `for` header's
//! fetch of the next item. Its time runs from that boundary to the call's next boundary (or the
//! call's end), less any time the task was suspended at an `.await` in between: the same
//! interval the line's Time adds up. The recorder's calibrated work inside the profiled calls
//! the hit made is taken off it as it ends, and one boundary's cost when the report is made, as
//! both are taken off Time. Two statements on one source line are two hits, each timed
//! on its own. The intervals that begin with a boundary that counts no hit (the moment between a
//! `for` header's start and its first fetch) go to the line's Time but not to its distribution,
//! so a line's distribution counts exactly its hits.
//!
//! # Storage
//!
//! With distributions on, each line table keeps, beside its line slots, a row of
//! [`ROW`] 64-bit counters per line and one more for the function's calls: the log-linear
//! buckets of [`crate::model::histogram`] over ticks, up to `2^40` ticks (about 6 minutes at
//! 3 GHz; longer hits count in the last bucket, and the exact maximum still says how long).
//! That is [`ROW_BYTES`] bytes per line per thread. The minimum and maximum are in the line slot
//! itself, and are kept whether distributions are on or not.
//!
//! # Cost
//!
//! A hit's counter is found from its time, so its address is known only once the clock read
//! is done. Counted at once, the next boundary's loads waited for that address (1.39x to 1.57x a
//! raw clock read per statement); the frame keeps the counter's index instead and counts it at
//! the next boundary, when it is long known (1.04x to 1.09x). A call's last hit is counted as
//! the call ends or suspends; a snapshot taken meanwhile misses at most that one hit per running
//! call.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};

use crate::model::histogram::{SUB_BITS, SUB_BUCKETS, bucket_of};

/// The highest tick value with a bucket of its own: `2^40 - 1`.
const TOP_TICKS: u64 = (1 << 40) - 1;
/// Counters in one line's row: the buckets up to [`TOP_TICKS`].
pub(crate) const ROW: usize = (40 - SUB_BITS as usize + 1) * SUB_BUCKETS as usize;
/// Bytes of one line's row.
pub const ROW_BYTES: usize = ROW * std::mem::size_of::<u64>();

/// The bucket of `ticks` in a row.
#[inline(always)]
pub(crate) fn row_bucket(ticks: u64) -> usize {
    bucket_of(ticks.min(TOP_TICKS))
}

const UNSET: u8 = 0;
const ON: u8 = 1;
const OFF: u8 = 2;
static DISTRIBUTIONS: AtomicU8 = AtomicU8::new(UNSET);

/// Turns distributions on or off for the line tables made from now on (a thread's table for a
/// function is made on the function's first call on that thread). Without a call, the setting
/// `LABLINK_PROFILE_DISTRIBUTIONS` decides.
pub fn set_distributions(on: bool) {
    DISTRIBUTIONS.store(if on { ON } else { OFF }, Relaxed);
}

/// Whether line tables made now keep distributions.
pub fn distributions() -> bool {
    match DISTRIBUTIONS.load(Relaxed) {
        ON => true,
        OFF => false,
        _ => crate::control::settings::settings().distributions,
    }
}

/// A slice of an `async fn`'s poll on one line longer than this many ticks blocks the
/// executor; `u64::MAX` until the start-up has converted the setting.
static BLOCKING_TICKS: AtomicU64 = AtomicU64::new(u64::MAX);

/// The blocking threshold in ticks.
#[inline(always)]
pub(crate) fn blocking_ticks() -> u64 {
    BLOCKING_TICKS.load(Relaxed)
}

/// Converts the blocking threshold (`LABLINK_PROFILE_BLOCKING_US`) to ticks with the tick rate
/// measured over a millisecond's spin (within about 0.01%: the error of two `Instant` reads over
/// a millisecond). Called once, at start-up.
pub(crate) fn set_blocking_threshold() {
    let us = crate::control::settings::settings().blocking_us;
    let ns_per_tick = estimate_ns_per_tick();
    let ticks = (us as f64 * 1000.0 / ns_per_tick).round();
    BLOCKING_TICKS.store(
        if ticks.is_finite() && ticks < u64::MAX as f64 {
            ticks as u64
        } else {
            u64::MAX
        },
        Relaxed,
    );
}

/// Nanoseconds per tick over a spin of one millisecond.
fn estimate_ns_per_tick() -> f64 {
    let (start, start_ticks) = (std::time::Instant::now(), crate::base::clock::now());
    while start.elapsed() < std::time::Duration::from_millis(1) {
        std::hint::spin_loop();
    }
    let ticks = crate::base::clock::now().wrapping_sub(start_ticks);
    let ns = start.elapsed().as_nanos() as f64;
    if ticks == 0 { 1.0 } else { ns / ticks as f64 }
}

/// `len` counters at zero, from zeroed memory (calloc): a table's rows are tens of kilobytes,
/// which one by one took milliseconds in an unoptimised build, on the thread's first call.
fn zeroed_counters(len: usize) -> Box<[AtomicU64]> {
    use std::mem::{align_of, size_of};
    if size_of::<AtomicU64>() != size_of::<u64>() || align_of::<AtomicU64>() != align_of::<u64>() {
        // Targets where `u64` is less aligned than `AtomicU64` (some 32-bit ones).
        return (0..len).map(|_| AtomicU64::new(0)).collect();
    }
    let zeros: Box<[u64]> = vec![0u64; len].into_boxed_slice();
    let raw = Box::into_raw(zeros) as *mut [AtomicU64];
    // SAFETY: `AtomicU64` has the same size, alignment (checked above) and bit validity as
    // `u64`, so the allocation of `len` zeroed `u64`s is one of `len` `AtomicU64`s of value 0,
    // with the same layout for the allocator when the box is freed.
    unsafe { Box::from_raw(raw) }
}

/// One table's histogram rows: one per line, then one for the calls. Empty when distributions
/// were off when the table was made.
#[derive(Debug)]
pub(crate) struct HistogramRows {
    counters: Box<[AtomicU64]>,
    lines: usize,
}

impl HistogramRows {
    /// Rows for a table of `lines` line slots: none in sampled mode (which times no single
    /// hit) or with distributions off.
    pub(crate) fn new(lines: usize) -> Self {
        let len = if distributions() && !crate::control::time_mode::is_sampled() {
            (lines + 1) * ROW
        } else {
            0
        };
        HistogramRows {
            counters: zeroed_counters(len),
            lines,
        }
    }

    /// Counts one hit of `ticks` on line slot `line` (only the owning thread calls this).
    #[inline(always)]
    pub(crate) fn record_line(&self, line: usize, ticks: u64) {
        self.count_at(Self::index(line, ticks));
    }

    /// Whether the table keeps distributions.
    #[inline(always)]
    pub(crate) fn is_on(&self) -> bool {
        !self.counters.is_empty()
    }

    /// The counter of a hit of `ticks` on line slot `line`.
    #[inline(always)]
    pub(crate) fn index(line: usize, ticks: u64) -> usize {
        line * ROW + row_bucket(ticks)
    }

    /// Adds one to counter `index`.
    #[inline(always)]
    pub(crate) fn count_at(&self, index: usize) {
        if let Some(c) = self.counters.get(index) {
            c.store(c.load(Relaxed).wrapping_add(1), Relaxed);
        }
    }

    /// Counts one call of `ticks`.
    #[inline]
    pub(crate) fn record_call(&self, ticks: u64) {
        self.record_line(self.lines, ticks);
    }

    /// The row of line slot `line` (or of the calls, for `line == lines`), if kept.
    pub(crate) fn row(&self, line: usize) -> Option<&[AtomicU64]> {
        self.counters.get(line * ROW..(line + 1) * ROW)
    }

    /// The calls' row, if kept.
    pub(crate) fn calls_row(&self) -> Option<&[AtomicU64]> {
        self.row(self.lines)
    }

    /// Bytes of counters.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of_val(&*self.counters)
    }

    pub(crate) fn reset(&self) {
        for c in self.counters.iter() {
            c.store(0, Relaxed);
        }
    }
}
