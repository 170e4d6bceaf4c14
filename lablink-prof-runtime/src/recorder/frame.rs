//! One profiled call: the per-statement recording path.
//!
//! The attribute declares a [`Frame`] at the top of every profiled call and calls
//! [`Frame::enter`] before each statement. A line's time runs from its `enter` to the next
//! `enter` of the same call, or to the end of the call, so the lines of a call add up to the
//! call. Each call has its own frame, which makes recursion and threads come out right.
//!
//! `enter` reads the clock once, adds to two counters of the thread's own table, keeps the
//! finished hit's minimum and maximum (and, with distributions on, counts it in the line's
//! histogram; see `distribution` for what one hit's time is) and updates the frame: no
//! allocation, no lock, no atomic read-modify-write. In an `async fn` it also ends the line's
//! slice of the poll, which is counted against the line when it blocked the executor.
//!
//! The recording methods are `inline(always)` in optimised builds (where a call per statement
//! would cost more than the statement's record) and plain `inline` in builds with debug
//! assertions: forcing thousands of copies into one unoptimised function made a 2,000-statement
//! function take 18 s to compile instead of 1 s.

use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, Ordering::Relaxed,
};

use crate::base::clock;
use crate::base::function_site::FunctionSite;
use crate::control::time_mode;
use crate::heap::mem_usage;
use crate::heap::{self, HeapSlot, PeakSave};
use crate::recorder::calibration;
use crate::recorder::distribution::{self, HistogramRows};
use crate::recorder::line_table::{CallerSlot, LineTable, bump, min_max, raise};
use crate::recorder::published_stack::StackEntry;
use crate::recorder::thread_state as thread;

/// The state of one running call of a profiled function.
///
/// Its fields are atomics used with relaxed loads and stores (plain moves on x86-64) so that a
/// frame is `Sync`: an `async fn` holding `&Frame` across an `.await` stays `Send`.
#[derive(Debug)]
pub struct Frame {
    /// This thread's table for the function; null when the frame records nothing.
    table: AtomicPtr<LineTable>,
    site: &'static FunctionSite,
    marker: &'static str,
    /// The line slot now running.
    line: AtomicU32,
    /// When that line started, in ticks.
    since: AtomicU64,
    /// Whether the running line's interval began with a hit (see `distribution` for what one
    /// hit's time is).
    hit: AtomicBool,
    /// In an `async fn`, when the running line's slice of the poll began: its last boundary,
    /// or the task's resumption, whichever is later.
    slice_since: AtomicU64,
    /// The recorder's calibrated work, in ticks, inside the profiled calls the running hit made:
    /// taken off that hit's time, as reports take it off the line's Time.
    hit_callee_ticks: AtomicU64,
    /// The histogram counter of the last hit, plus one (0 for none), counted at the next
    /// boundary: by then its address is known, so the next boundary's loads need not wait for
    /// this clock read to find it.
    pending_count: AtomicU64,
    /// When the call started, in ticks.
    start: u64,
    /// The site id of the profiled caller, 0 if none.
    parent: u32,
    /// The caller's line this call was made from, 0 if unknown.
    caller_line: u32,
    /// Whether no other call of this function was running on this thread when this one began.
    primitive: bool,
    is_async: bool,
    /// This thread's heap counters when memory is recorded (the counting allocator installed;
    /// in an `async fn`, the counters of the thread running it, null while it is suspended)
    /// allocator installed), else null.
    heap: AtomicPtr<HeapSlot>,
    /// The heap counters at the running line's start.
    line_alloc_bytes: AtomicU64,
    line_freed_bytes: AtomicU64,
    line_allocs: AtomicU64,
    line_live: AtomicI64,
    /// The enclosing heap measurement's peak and set-aside peaks, to put back when this call
    /// ends (see `HeapSlot::open_peak`).
    outer_peak: AtomicI64,
    outer_carried: AtomicI64,
    /// The current frame this call replaced (see [`Frame::activate`]), while it is current.
    outer_frame: AtomicPtr<Frame>,
    /// Whether this frame is the thread's current one: from `activate` to the end of the call,
    /// and in an `async fn`, not while it is suspended.
    activated: AtomicBool,
    /// When an awaited future last returned `Pending` (an `async fn` suspended), else 0.
    suspended_at: AtomicU64,
    /// Ticks this call spent suspended at `.await`s.
    waited: AtomicU64,
    /// Whether the call records in sampled mode: no clock read per line (see `line_boundary`).
    sampled: bool,
    /// In sampled mode, while the frame is current, its entry in the thread's published stack
    /// (null past the stack's depth, or in exact mode).
    published: AtomicPtr<StackEntry>,
    /// Line boundaries this call recorded itself, and those of the profiled calls made from it
    /// (all the way down), and those calls: the recorder's own work inside this call, which its
    /// caller's line does not keep (see `add_callee_cost`).
    boundaries: AtomicU64,
    inner_boundaries: AtomicU64,
    inner_calls: AtomicU64,
    /// A current frame's address is kept in a thread-local: it must not move once activated.
    _pinned: PhantomPinned,
}

// SAFETY: `outer_frame` is the previous value of a thread-local, set while the frame becomes
// current and restored by the same thread before the frame stops being current: at the call's
// end, or, in an `async fn`, when it suspends, within the same poll (it is set afresh on the
// thread the task resumes on). A frame that is current and ends on another thread (which only a
// misuse of the hidden API can arrange) aborts the process rather than leave a dangling pointer
// behind (see `stop_being_current`). `heap` points to a static `HeapSlot` (atomics) that
// is written only while the frame runs on that slot's thread: an async frame drops it when it
// suspends and takes the slot of the thread it resumes on.
unsafe impl Send for Frame {}
// SAFETY: as above; every other field is an atomic or immutable.
unsafe impl Sync for Frame {}

impl Frame {
    /// A frame that records nothing.
    pub(crate) const fn inactive(
        site: &'static FunctionSite,
        marker: &'static str,
        is_async: bool,
    ) -> Frame {
        Frame {
            table: AtomicPtr::new(std::ptr::null_mut()),
            site,
            marker,
            line: AtomicU32::new(0),
            since: AtomicU64::new(0),
            hit: AtomicBool::new(false),
            slice_since: AtomicU64::new(0),
            hit_callee_ticks: AtomicU64::new(0),
            pending_count: AtomicU64::new(0),
            start: 0,
            parent: 0,
            caller_line: 0,
            primitive: false,
            is_async,
            heap: AtomicPtr::new(std::ptr::null_mut()),
            line_alloc_bytes: AtomicU64::new(0),
            line_freed_bytes: AtomicU64::new(0),
            line_allocs: AtomicU64::new(0),
            line_live: AtomicI64::new(0),
            outer_peak: AtomicI64::new(0),
            outer_carried: AtomicI64::new(0),
            outer_frame: AtomicPtr::new(std::ptr::null_mut()),
            activated: AtomicBool::new(false),
            suspended_at: AtomicU64::new(0),
            waited: AtomicU64::new(0),
            sampled: false,
            published: AtomicPtr::new(std::ptr::null_mut()),
            boundaries: AtomicU64::new(0),
            inner_boundaries: AtomicU64::new(0),
            inner_calls: AtomicU64::new(0),
            _pinned: PhantomPinned,
        }
    }

    /// Starts recording a call into `table`, this thread's table for `site`. The start-up's
    /// call entry gives it this thread's table; the calibration a table of its own.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn begin_in(
        table: &'static LineTable,
        site: &'static FunctionSite,
        marker: &'static str,
        is_async: bool,
    ) -> Frame {
        // The caller is the thread's current frame (a profiled call running here), if any.
        let (parent, caller_line) = thread::current_frame().map_or((0, 0), |f| {
            (f.site.id(), f.site.info.first_line + f.line_slot())
        });
        // A call is primitive when no other call of the function runs on the thread; the
        // primitive call marks the table as running until it ends. (A flag rather than a depth
        // count: the end of a call then only stores, and the next call's load does not wait on
        // a load made by the previous call's end.)
        let primitive = is_async || {
            let running = table.running.load(Relaxed);
            if !running {
                table.running.store(true, Relaxed);
            }
            !running
        };
        // Slot 0 is the signature line: it is hit once per call and holds the time from here to
        // the first statement.
        if let Some(slot) = table.slots.first() {
            bump(&slot.hits, 1);
        }
        let heap = if heap::is_installed() {
            let slot = heap::this_thread();
            if slot.shared { None } else { Some(slot) }
        } else {
            None
        };
        let reading = heap.map(HeapSlot::read).unwrap_or_default();
        let outer = heap.map(|h| h.open_peak(reading.live)).unwrap_or_default();
        let sampled = time_mode::is_sampled();
        // Sampled mode reads no clock per call or line; the memory columns' Mem usage alone
        // needs one (see `sampled_boundary`).
        let now = if sampled { 0 } else { clock::now() };
        // Every field not set here is as in a frame that records nothing.
        let mut frame = Frame::inactive(site, marker, is_async);
        *frame.table.get_mut() = std::ptr::from_ref(table).cast_mut();
        *frame.since.get_mut() = now;
        *frame.hit.get_mut() = true;
        *frame.slice_since.get_mut() = now;
        frame.start = now;
        frame.parent = parent;
        frame.caller_line = caller_line;
        frame.primitive = primitive;
        *frame.heap.get_mut() =
            heap.map_or(std::ptr::null_mut(), |h| std::ptr::from_ref(h).cast_mut());
        *frame.line_alloc_bytes.get_mut() = reading.alloc_bytes;
        *frame.line_freed_bytes.get_mut() = reading.freed_bytes;
        *frame.line_allocs.get_mut() = reading.allocs;
        *frame.line_live.get_mut() = reading.live;
        *frame.outer_peak.get_mut() = outer.peak;
        *frame.outer_carried.get_mut() = outer.carried;
        frame.sampled = sampled;
        frame
    }

    /// Makes this call the thread's current frame: its running line is then what heap regions
    /// name as an allocation's line, what a profiled callee names as its caller's line, and
    /// where the statements of closures in the function record. The attribute pins the frame
    /// where the call keeps it and calls this once. An `async fn`'s frame stops being current
    /// when the task suspends at an `.await`, and is current again on the thread it resumes on.
    ///
    /// The thread keeps the frame's address until the frame stops being current, at the latest
    /// when it is dropped; pinning is what makes that address stay valid, so a frame cannot be
    /// activated and then moved.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn activate(self: Pin<&mut Self>) -> &Self {
        let frame = self.into_ref().get_ref();
        if frame.table().is_some() && !frame.activated.load(Relaxed) {
            frame.make_current();
        }
        frame
    }

    /// Makes this frame the thread's current one, keeping the one it replaces.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn make_current(&self) {
        let outer = thread::set_current_frame(self);
        self.outer_frame.store(outer.cast_mut(), Relaxed);
        self.activated.store(true, Relaxed);
        if self.sampled {
            self.publish();
        }
    }

    /// Pushes this frame on its table's thread's published stack (sampled mode). Out of line,
    /// so that exact mode's calls do not carry it inlined in every profiled function.
    #[inline(never)]
    fn publish(&self) {
        let entry = match self.table() {
            Some(
                table @ LineTable {
                    stack: Some(stack), ..
                },
            ) => stack
                .push(table, self.line.load(Relaxed))
                .map_or(std::ptr::null_mut(), |e| std::ptr::from_ref(e).cast_mut()),
            _ => std::ptr::null_mut(),
        };
        self.published.store(entry, Relaxed);
    }

    /// Pops this frame off its table's thread's published stack (sampled mode).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn unpublish(&self) {
        self.published.store(std::ptr::null_mut(), Relaxed);
        if let Some(stack) = self.table().and_then(|t| t.stack) {
            stack.pop();
        }
    }

    /// This frame's entry in the thread's published stack, if it has one.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn published(&self) -> Option<&StackEntry> {
        // SAFETY: a non-null `published` points into a thread's published stack, which is
        // leaked and never freed.
        unsafe { self.published.load(Relaxed).as_ref() }
    }

    /// Puts back the current frame this one replaced, if this one is current.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn stop_being_current(&self) {
        // A load and a store, not a swap: only the thread running the call touches the flag,
        // and a swap would be a locked instruction on every call.
        if self.activated.load(Relaxed) {
            self.activated.store(false, Relaxed);
            let outer = self.outer_frame.load(Relaxed);
            if std::ptr::eq(thread::current_frame_ptr(), self) {
                thread::set_current_frame(outer);
                if self.sampled {
                    self.unpublish();
                }
            } else {
                self.unlink_out_of_order(outer);
            }
        }
    }

    /// Takes this frame out of the thread's chain of current frames when it is not the
    /// innermost: frames that end out of order (only the hidden API used by hand does that).
    /// Every frame in the chain is alive (each leaves it before it is dropped), so the walk reads
    /// only live frames. A frame that is current on another thread cannot be reached from here;
    /// rather than leave that thread a dangling pointer, the process aborts.
    #[cold]
    #[inline(never)]
    fn unlink_out_of_order(&self, outer: *mut Frame) {
        let me = std::ptr::from_ref(self).cast_mut();
        let mut at = thread::current_frame_ptr();
        // SAFETY: `at` is null or a frame in this thread's chain, which is alive (see above).
        while let Some(frame) = unsafe { at.as_ref() } {
            if frame.outer_frame.load(Relaxed) == me {
                frame.outer_frame.store(outer, Relaxed);
                if self.sampled {
                    self.published.store(std::ptr::null_mut(), Relaxed);
                    republish_chain();
                }
                return;
            }
            at = frame.outer_frame.load(Relaxed);
        }
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"lablink-prof: a profiled call ended on another thread than the one it was current on; \
              aborting rather than leave that thread a dangling frame\n",
        );
        std::process::abort();
    }

    /// The function this frame records.
    pub(crate) fn site(&self) -> &'static FunctionSite {
        self.site
    }

    /// The line slot running now.
    pub(crate) fn line_slot(&self) -> u32 {
        self.line.load(Relaxed)
    }

    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn heap(&self) -> Option<&'static HeapSlot> {
        // SAFETY: a non-null `heap` is a `&'static HeapSlot` (see `begin` and `resume_heap`).
        unsafe { self.heap.load(Relaxed).as_ref() }
    }

    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn table(&self) -> Option<&'static LineTable> {
        let table = self.table.load(Relaxed);
        // SAFETY: a non-null pointer here always comes from a `&'static LineTable` (tables are
        // leaked by the registry and never freed).
        unsafe { table.as_ref() }
    }

    /// Records that the statement at line slot `line` starts: one hit, and the end of the
    /// previous line's time.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn start_line(&self, line: u32) {
        self.line_boundary(line, true);
    }

    /// Moves the clock to line slot `line` without counting a hit, and returns the frame.
    ///
    /// A `for` statement starts this way: its hits are counted by each fetch of the next item.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn move_to_line(&self, line: u32) -> &Self {
        self.line_boundary(line, false);
        self
    }

    /// The time model's seam: every line boundary of a call comes here, from a statement's
    /// start, a `for` header's fetch, or a closure's statement. The running line's time ends,
    /// `line` becomes the running line, with a hit if `hit`.
    ///
    /// Exact mode reads the clock here, once per boundary, and gives the interval since the
    /// previous boundary to the line that ran in it.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn line_boundary(&self, line: u32, hit: bool) {
        if let Some(table) = self.table() {
            bump(&self.boundaries, 1);
            if self.sampled {
                self.sampled_boundary(table, line, hit);
                return;
            }
            let now = clock::now();
            self.close_line(table, now);
            if self.is_async {
                self.end_slice(table, now);
            }
            if hit && let Some(slot) = table.slots.get(line as usize) {
                bump(&slot.hits, 1);
            }
            self.hit.store(hit, Relaxed);
            self.line.store(line, Relaxed);
        }
    }

    /// Counts the last hit in its histogram, if not yet counted.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn flush_count(&self, table: &LineTable) {
        let pending = self.pending_count.load(Relaxed);
        if pending != 0 {
            table.histograms.count_at(pending as usize - 1);
            self.pending_count.store(0, Relaxed);
        }
    }

    /// Ends the running line's slice of an `async fn`'s poll at `now`: a slice longer than the
    /// blocking threshold is counted against the line.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn end_slice(&self, table: &LineTable, now: u64) {
        let slice = now.wrapping_sub(self.slice_since.load(Relaxed));
        if slice > distribution::blocking_ticks() {
            self.count_blocking(table, slice);
        }
        self.slice_since.store(now, Relaxed);
    }

    /// Counts a slice of `ticks` that blocked the executor against the running line.
    #[cold]
    #[inline(never)]
    fn count_blocking(&self, table: &LineTable, ticks: u64) {
        if let Some(slot) = table.slots.get(self.line.load(Relaxed) as usize) {
            bump(&slot.blocking, 1);
            bump(&slot.blocking_ticks, ticks);
            raise(&slot.blocking_max_ticks, ticks);
        }
    }

    /// A line boundary in sampled mode: the hit, and the new line published where the sampler
    /// reads it; no clock read, except for the memory columns' Mem usage when the counting
    /// allocator is installed and more than 16 threads hold heap slots (see `mem_usage`).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn sampled_boundary(&self, table: &LineTable, line: u32, hit: bool) {
        if let Some(heap) = self.heap()
            && let Some(slot) = table.slots.get(self.line.load(Relaxed) as usize)
        {
            self.close_line_heap(heap, slot, mem_usage::CLOCK_UNREAD);
        }
        if hit && let Some(slot) = table.slots.get(line as usize) {
            bump(&slot.hits, 1);
        }
        self.line.store(line, Relaxed);
        if let Some(entry) = self.published() {
            entry.set_line(line);
        }
    }

    /// Ends the running line at `now`.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn close_line(&self, table: &LineTable, now: u64) {
        let since = self.since.load(Relaxed);
        let line = self.line.load(Relaxed) as usize;
        let slot = table.slots.get(line);
        if let Some(slot) = slot {
            let ticks = now.wrapping_sub(since);
            bump(&slot.ticks, ticks);
            // Most hits call no profiled function: one load, and nothing to take off.
            let callee = self.hit_callee_ticks.load(Relaxed);
            let hit_ticks = if callee == 0 {
                ticks
            } else {
                self.hit_callee_ticks.store(0, Relaxed);
                ticks.saturating_sub(callee)
            };
            if self.hit.load(Relaxed) {
                min_max(&slot.min_ticks_inverted, &slot.max_ticks, hit_ticks);
                if table.histograms.is_on() {
                    self.flush_count(table);
                    let index = HistogramRows::index(line, hit_ticks) as u64;
                    self.pending_count.store(index + 1, Relaxed);
                }
            }
        }
        self.since.store(now, Relaxed);
        if let (Some(heap), Some(slot)) = (self.heap(), slot) {
            self.close_line_heap(heap, slot, now);
        }
    }

    /// Adds the running line's heap figures and starts the next line's.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn close_line_heap(
        &self,
        heap: &'static HeapSlot,
        slot: &crate::recorder::line_table::LineSlot,
        now: u64,
    ) {
        // The thread's counters that lines show (not its frees, which only regions report).
        let alloc_bytes = heap.allocated.bytes.load(Relaxed);
        let freed_bytes = heap.freed.bytes.load(Relaxed);
        let live = alloc_bytes.wrapping_sub(freed_bytes) as i64;
        let peak = heap.end_line_peak(live);
        // Most lines neither allocate nor free: their Alloc, Freed, Allocs and Peak stay as they
        // are (every allocation has a size, so no block was counted either; the peak did not
        // rise above the line's start, which is `live`), and so do the next line's starting
        // figures.
        if alloc_bytes != self.line_alloc_bytes.load(Relaxed)
            || freed_bytes != self.line_freed_bytes.load(Relaxed)
        {
            self.add_line_heap(heap, slot, alloc_bytes, freed_bytes, live, peak);
        }
        // Last, so that nothing but the line's slot is kept across the call.
        raise(
            &slot.mem_usage_bytes,
            mem_usage::after_line(heap, live, now),
        );
    }

    /// Adds what the running line allocated and freed, and its peak, and starts the next line's
    /// figures from the thread's counters `alloc_bytes` and `freed_bytes` (whose difference is
    /// `live`).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn add_line_heap(
        &self,
        heap: &HeapSlot,
        slot: &crate::recorder::line_table::LineSlot,
        alloc_bytes: u64,
        freed_bytes: u64,
        live: i64,
        peak: i64,
    ) {
        let allocs = heap.allocated.blocks.load(Relaxed);
        bump(
            &slot.alloc_bytes,
            alloc_bytes.wrapping_sub(self.line_alloc_bytes.load(Relaxed)),
        );
        bump(
            &slot.freed_bytes,
            freed_bytes.wrapping_sub(self.line_freed_bytes.load(Relaxed)),
        );
        bump(
            &slot.allocs,
            allocs.wrapping_sub(self.line_allocs.load(Relaxed)),
        );
        self.raise_line_peak(slot, peak);
        self.line_alloc_bytes.store(alloc_bytes, Relaxed);
        self.line_freed_bytes.store(freed_bytes, Relaxed);
        self.line_allocs.store(allocs, Relaxed);
        self.line_live.store(live, Relaxed);
    }

    /// Raises the running line's Peak to how far `peak` is above the line's starting level.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn raise_line_peak(&self, slot: &crate::recorder::line_table::LineSlot, peak: i64) {
        // Wrapping: a heap of 2^63 bytes, where the difference could overflow, does not exist.
        // Below zero when a heap region began in the line after memory was freed in it.
        let above = peak.wrapping_sub(self.line_live.load(Relaxed)).max(0);
        raise(&slot.peak_bytes, above as u64);
    }

    /// The enclosing heap measurement's state, saved when this call's began.
    fn outer_heap(&self) -> PeakSave {
        PeakSave {
            peak: self.outer_peak.load(Relaxed),
            carried: self.outer_carried.load(Relaxed),
        }
    }
}

impl Frame {
    /// Counts a finished call of `ticks` in the function's minimum, maximum and distribution,
    /// less the recorder's own work inside it (its boundaries and its profiled calls, all the
    /// way down), as the function's total has it taken out.
    fn record_call_time(&self, table: &LineTable, ticks: u64) {
        let cost = calibration::known_costs();
        let hits = self.boundaries.load(Relaxed) + self.inner_boundaries.load(Relaxed);
        let own =
            hits as f64 * cost.per_hit + self.inner_calls.load(Relaxed) as f64 * cost.per_call;
        let kept = (ticks as f64 - own).max(0.0).round() as u64;
        min_max(&table.call_min_inverted, &table.call_max_ticks, kept);
        table.histograms.record_call(kept);
    }

    /// Counts the recorder's work inside a call made from this frame's running line: `hits`
    /// line boundaries and `calls` calls (the call itself and all below it). Reports take that
    /// work's calibrated cost off the line, so that it means what the line costs unprofiled.
    fn add_callee_cost(&self, hits: u64, calls: u64) {
        if let Some(table) = self.table()
            && let Some(slot) = table.slots.get(self.line.load(Relaxed) as usize)
        {
            bump(&slot.callee_hits, hits);
            bump(&slot.callee_calls, calls);
        }
        self.add_inner_cost(hits, calls);
        if !self.sampled {
            let cost = calibration::known_costs();
            let ticks = hits as f64 * cost.per_hit + calls as f64 * cost.per_call;
            bump(&self.hit_callee_ticks, ticks.round() as u64);
        }
    }

    /// Counts the recorder's work inside a call made from this frame, for this frame's own
    /// caller (see `hand_cost_to_caller`).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn add_inner_cost(&self, hits: u64, calls: u64) {
        bump(&self.inner_boundaries, hits);
        bump(&self.inner_calls, calls);
    }
}

/// Publishes the thread's chain of current frames again, after a frame left it out of order
/// (sampled mode): each frame in the chain gets a fresh entry, outermost first.
#[cold]
fn republish_chain() {
    let Some(stack) = thread::published_stack() else {
        return;
    };
    let mut chain = Vec::new();
    let mut at = thread::current_frame_ptr();
    // SAFETY: every frame in the thread's chain is alive (see `unlink_out_of_order`).
    while let Some(frame) = unsafe { at.as_ref() } {
        chain.push(frame);
        at = frame.outer_frame.load(Relaxed);
    }
    chain.reverse();
    let entries = stack.rebuild(
        chain
            .iter()
            .filter_map(|f| f.table().map(|t| (t, f.line.load(Relaxed)))),
    );
    for (frame, entry) in chain.iter().filter(|f| f.table().is_some()).zip(entries) {
        frame.published.store(
            entry.map_or(std::ptr::null_mut(), |e| std::ptr::from_ref(e).cast_mut()),
            Relaxed,
        );
    }
}

/// What records the lines of a `for` loop's header: a call's frame, or a closure's lines.
pub trait LineCursor {
    /// Records that the statement at line slot `line` starts.
    fn start_line(&self, line: u32);
}

impl LineCursor for Frame {
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn start_line(&self, line: u32) {
        Frame::start_line(self, line);
    }
}

impl Frame {
    /// The task suspends at an `.await`: the running line's heap figures so far are added, the
    /// wait starts, and the frame stops being current, since other tasks run on this thread
    /// until the task comes back.
    pub(crate) fn suspend(&self) {
        if let Some(table) = self.table() {
            self.pause_heap();
            self.flush_count(table);
            let now = clock::now();
            if !self.sampled {
                self.end_slice(table, now);
            }
            self.suspended_at.store(now.max(1), Relaxed);
            self.stop_being_current();
        }
    }

    /// Ends a suspension: its time goes to the running line's Wait, not its Time, and the
    /// frame moves to this thread's table.
    pub(crate) fn resume_from_wait(&self) {
        let suspended = self.suspended_at.swap(0, Relaxed);
        if suspended == 0 {
            return;
        }
        let now = clock::now();
        let wait = now.saturating_sub(suspended);
        let table = thread::table_for(self.site, self.marker);
        self.table
            .store(std::ptr::from_ref(table).cast_mut(), Relaxed);
        if let Some(slot) = table.slots.get(self.line.load(Relaxed) as usize) {
            bump(&slot.wait_ticks, wait);
        }
        self.waited.store(self.waited.load(Relaxed) + wait, Relaxed);
        self.make_current();
        self.resume_heap();
        // The running line's time resumes now, as if the wait had not happened, and so does a
        // new slice of the poll.
        self.since
            .store(self.since.load(Relaxed).wrapping_add(wait), Relaxed);
        self.slice_since.store(now, Relaxed);
    }
}

impl Frame {
    /// An `async fn` suspends: the running line's heap figures so far are added, and the
    /// thread's peak measurement is closed, since other tasks will run on this thread before the
    /// task comes back, perhaps elsewhere.
    fn pause_heap(&self) {
        let (Some(heap), Some(table)) = (self.heap(), self.table()) else {
            return;
        };
        if let Some(slot) = table.slots.get(self.line.load(Relaxed) as usize) {
            self.close_line_heap(heap, slot, clock::now());
        }
        heap.end_peak(self.outer_heap());
        self.heap.store(std::ptr::null_mut(), Relaxed);
    }

    /// The task runs again, on this thread: its heap figures continue from this thread's
    /// counters, so what other tasks allocated meanwhile is not counted.
    fn resume_heap(&self) {
        if !self.is_async || !heap::is_installed() {
            return;
        }
        let slot = heap::this_thread();
        if slot.shared {
            return;
        }
        let reading = slot.read();
        let outer = slot.open_peak(reading.live);
        self.outer_peak.store(outer.peak, Relaxed);
        self.outer_carried.store(outer.carried, Relaxed);
        self.line_alloc_bytes.store(reading.alloc_bytes, Relaxed);
        self.line_freed_bytes.store(reading.freed_bytes, Relaxed);
        self.line_allocs.store(reading.allocs, Relaxed);
        self.line_live.store(reading.live, Relaxed);
        self.heap
            .store(std::ptr::from_ref(slot).cast_mut(), Relaxed);
    }
}

impl Drop for Frame {
    #[inline]
    fn drop(&mut self) {
        if !self.table.load(Relaxed).is_null() {
            self.finish();
        }
    }
}

impl Frame {
    /// Ends the call: its last line, its call counts, the thread's current frame.
    #[inline(never)]
    fn finish(&self) {
        let Some(table) = self.table() else {
            return;
        };
        if self.sampled {
            self.finish_sampled(table);
            return;
        }
        let now = clock::now();
        self.close_line(table, now);
        self.flush_count(table);
        if self.is_async {
            self.end_slice(table, now);
        }
        let ticks = now
            .wrapping_sub(self.start)
            .wrapping_sub(self.waited.load(Relaxed));
        self.record_call_time(table, ticks);
        table.finish_call(self.parent, self.caller_line, ticks, self.primitive);
        self.hand_cost_to_caller(None);
        self.end_common(table);
    }

    /// Ends a call in sampled mode: no clock read, no time to count. Inlined into `finish`,
    /// which is out of line already: a second call cost 1.2 ns a call (10.4 ns against 9.2).
    #[inline(always)]
    fn finish_sampled(&self, table: &'static LineTable) {
        if let Some(heap) = self.heap()
            && let Some(slot) = table.slots.get(self.line.load(Relaxed) as usize)
        {
            self.close_line_heap(heap, slot, mem_usage::CLOCK_UNREAD);
        }
        let called_from = table.finish_untimed_call(self.parent, self.caller_line, self.primitive);
        self.hand_cost_to_caller(called_from);
        self.end_common(table);
    }

    /// Hands the recorder's work inside this call (its boundaries, its entry and exit, and what
    /// it counted for its own callees) to the caller's line. In sampled mode `edge` is the
    /// call-graph edge the call was counted on: the work goes there, and the snapshot adds it to
    /// the caller's line, which is cheaper than finding the caller's line slot here. Exact mode,
    /// and calls from a caller beyond the edges a table tells apart, pass `None`: the work goes
    /// to the caller's line slot now.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn hand_cost_to_caller(&self, edge: Option<&CallerSlot>) {
        if !self.activated.load(Relaxed) {
            return;
        }
        let outer = self.outer_frame.load(Relaxed);
        // SAFETY: the frame this one replaced as current is alive while this one is in the
        // thread's chain (frames leave the chain before they are dropped), and it is this
        // thread's (a frame current elsewhere never gets here: see `stop_being_current`).
        let Some(caller) = (unsafe { outer.as_ref() }) else {
            return;
        };
        let hits = self.boundaries.load(Relaxed) + self.inner_boundaries.load(Relaxed);
        let calls = self.inner_calls.load(Relaxed) + 1;
        match edge {
            Some(edge) => {
                bump(&edge.inner_hits, hits);
                bump(&edge.inner_calls, calls);
                caller.add_inner_cost(hits, calls);
            }
            None => caller.add_callee_cost(hits, calls),
        }
    }

    /// What ends a call in either mode, after its own counts and its cost handed on: the
    /// heap's peak measurement, the running flag, the thread's current frame.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn end_common(&self, table: &'static LineTable) {
        if let Some(heap) = self.heap() {
            heap.end_peak(self.outer_heap());
        }
        if self.primitive && !self.is_async {
            table.running.store(false, Relaxed);
        }
        // An `async fn` dropped while suspended is not current: nothing to put back.
        self.stop_being_current();
    }
}
