//! Per-thread counters of one profiled function: the recorder's storage.
//!
//! Every thread that runs a profiled function gets its own [`LineTable`] for it, allocated on
//! its first call there and kept for the life of the process (so threads that end are still
//! reported). Only the owning thread writes to a table; the counters are atomics so that a report
//! taken on another thread reads them soundly, and they are updated with a relaxed load and a
//! relaxed store, which on x86-64 are plain `mov`s: no `lock` prefix, no contention.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};

use crate::recorder::distribution::HistogramRows;
use crate::recorder::published_stack::PublishedStack;

/// Adds to a counter that only the current thread writes.
#[inline(always)]
pub(crate) fn bump(counter: &AtomicU64, by: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(by), Relaxed);
}

/// Raises a counter that only the current thread writes to at least `value`.
#[inline(always)]
pub(crate) fn raise(counter: &AtomicU64, value: u64) {
    if value > counter.load(Relaxed) {
        counter.store(value, Relaxed);
    }
}

/// Counts one hit of `ticks` on `slot`: its minimum and maximum.
#[inline(always)]
pub(crate) fn min_max(min_inverted: &AtomicU64, max: &AtomicU64, ticks: u64) {
    raise(min_inverted, !ticks);
    raise(max, ticks);
}

/// The counters of one source line.
#[derive(Debug, Default)]
pub(crate) struct LineSlot {
    pub(crate) hits: AtomicU64,
    pub(crate) ticks: AtomicU64,
    pub(crate) alloc_bytes: AtomicU64,
    pub(crate) freed_bytes: AtomicU64,
    pub(crate) allocs: AtomicU64,
    pub(crate) peak_bytes: AtomicU64,
    pub(crate) mem_usage_bytes: AtomicU64,
    /// Time an `async fn` spent suspended at an `.await` on this line.
    pub(crate) wait_ticks: AtomicU64,
    /// The recorder's work inside profiled calls made from this line: their line boundaries
    /// and the calls themselves, all the way down (what nested compensation takes off).
    pub(crate) callee_hits: AtomicU64,
    pub(crate) callee_calls: AtomicU64,
    /// The shortest hit, in ticks, stored bitwise inverted (so that raising it lowers the
    /// minimum, and 0 means no hit yet); exact mode.
    pub(crate) min_ticks_inverted: AtomicU64,
    /// The longest hit, in ticks; exact mode.
    pub(crate) max_ticks: AtomicU64,
    /// In an `async fn`: slices of a poll on this line longer than the blocking threshold, the
    /// longest, and their sum, in ticks.
    pub(crate) blocking: AtomicU64,
    pub(crate) blocking_max_ticks: AtomicU64,
    pub(crate) blocking_ticks: AtomicU64,
}

/// Bytes of one line's counters in a thread's table, without its distribution (see
/// `DISTRIBUTION_BYTES_PER_LINE` for what distributions add).
pub const LINE_SLOT_BYTES: usize = std::mem::size_of::<LineSlot>();

/// How many distinct profiled callers a table tells apart; more are counted as "other callers".
pub(crate) const CALLER_SLOTS: usize = 16;

/// Calls that came from one caller.
#[derive(Debug, Default)]
pub(crate) struct CallerSlot {
    /// The caller's site id plus one; 0 marks an empty slot, 1 a call with no profiled caller.
    pub(crate) caller: AtomicU32,
    /// The caller's source line the calls were made from; 0 if unknown.
    pub(crate) line: AtomicU32,
    pub(crate) calls: AtomicU64,
    pub(crate) ticks: AtomicU64,
    /// Sampled mode: the recorder's work inside these calls, their line boundaries and the
    /// calls themselves, all the way down (what compensation takes off the caller's line; exact
    /// mode counts it on the caller's line slot instead, see `LineSlot::callee_hits`).
    pub(crate) inner_hits: AtomicU64,
    pub(crate) inner_calls: AtomicU64,
}

/// One profiled function's counters on one thread.
#[derive(Debug)]
pub(crate) struct LineTable {
    pub(crate) site_id: u32,
    pub(crate) thread: u32,
    pub(crate) calls: AtomicU64,
    pub(crate) primitive_calls: AtomicU64,
    pub(crate) primitive_ticks: AtomicU64,
    /// Whether a synchronous call of this function is running on this thread right now (set
    /// and cleared by its primitive call).
    pub(crate) running: AtomicBool,
    pub(crate) slots: Box<[LineSlot]>,
    pub(crate) callers: [CallerSlot; CALLER_SLOTS],
    pub(crate) other_callers: CallerSlot,
    /// The shortest call (inverted, as in [`LineSlot`]) and the longest, in ticks, less the
    /// time suspended; exact mode.
    pub(crate) call_min_inverted: AtomicU64,
    pub(crate) call_max_ticks: AtomicU64,
    /// The distributions of single hits and calls, when on.
    pub(crate) histograms: HistogramRows,
    /// In sampled mode, the published stack of the table's thread, where its frames push their
    /// entries (see `Frame::publish`); `None` in exact mode.
    pub(crate) stack: Option<&'static PublishedStack>,
}

impl LineTable {
    pub(crate) fn new(
        site_id: u32,
        thread: u32,
        lines: usize,
        stack: Option<&'static PublishedStack>,
    ) -> Self {
        LineTable {
            site_id,
            thread,
            calls: AtomicU64::new(0),
            primitive_calls: AtomicU64::new(0),
            primitive_ticks: AtomicU64::new(0),
            running: AtomicBool::new(false),
            slots: (0..lines).map(|_| LineSlot::default()).collect(),
            callers: Default::default(),
            other_callers: CallerSlot::default(),
            call_min_inverted: AtomicU64::new(0),
            call_max_ticks: AtomicU64::new(0),
            histograms: HistogramRows::new(lines),
            stack,
        }
    }

    /// Counts a finished call of `ticks` made from line `line` of `caller` (a site id, 0 for
    /// none).
    #[inline]
    pub(crate) fn finish_call(&self, caller: u32, line: u32, ticks: u64, primitive: bool) {
        let slot = self.count_call(caller, line, primitive);
        if primitive {
            bump(&self.primitive_ticks, ticks);
        }
        bump(&slot.ticks, ticks);
    }

    /// Counts a finished call made from line `line` of `caller`, with no time (sampled mode:
    /// the sampler gives calls their time); returns the slot that counted it, `None` if that is
    /// the slot of other callers (beyond [`CALLER_SLOTS`]).
    #[inline]
    pub(crate) fn finish_untimed_call(
        &self,
        caller: u32,
        line: u32,
        primitive: bool,
    ) -> Option<&CallerSlot> {
        let slot = self.count_call(caller, line, primitive);
        (!std::ptr::eq(slot, &self.other_callers)).then_some(slot)
    }

    /// Counts a finished call made from line `line` of `caller`, in the function's calls and
    /// in its caller's slot, which it returns.
    #[inline(always)]
    fn count_call(&self, caller: u32, line: u32, primitive: bool) -> &CallerSlot {
        bump(&self.calls, 1);
        if primitive {
            bump(&self.primitive_calls, 1);
        }
        let slot = self.caller_slot(caller, line);
        bump(&slot.calls, 1);
        slot
    }

    /// The slot counting the calls from line `line` of `caller`, taken if new; the slot of
    /// other callers when every slot is taken.
    #[inline]
    fn caller_slot(&self, caller: u32, line: u32) -> &CallerSlot {
        let key = caller + 1;
        self.callers
            .iter()
            .find(|s| {
                let k = s.caller.load(Relaxed);
                if k == 0 {
                    s.caller.store(key, Relaxed);
                    s.line.store(line, Relaxed);
                    true
                } else {
                    k == key && s.line.load(Relaxed) == line
                }
            })
            .unwrap_or(&self.other_callers)
    }

    /// Sets every counter back to zero.
    pub(crate) fn reset(&self) {
        self.histograms.reset();
        for c in [
            &self.calls,
            &self.primitive_calls,
            &self.primitive_ticks,
            &self.call_min_inverted,
            &self.call_max_ticks,
        ] {
            c.store(0, Relaxed);
        }
        for s in self.slots.iter() {
            for c in [
                &s.hits,
                &s.ticks,
                &s.alloc_bytes,
                &s.freed_bytes,
                &s.allocs,
                &s.peak_bytes,
                &s.mem_usage_bytes,
                &s.wait_ticks,
                &s.callee_hits,
                &s.callee_calls,
                &s.min_ticks_inverted,
                &s.max_ticks,
                &s.blocking,
                &s.blocking_max_ticks,
                &s.blocking_ticks,
            ] {
                c.store(0, Relaxed);
            }
        }
        for s in self.callers.iter().chain([&self.other_callers]) {
            for c in [&s.calls, &s.ticks, &s.inner_hits, &s.inner_calls] {
                c.store(0, Relaxed);
            }
        }
    }
}
