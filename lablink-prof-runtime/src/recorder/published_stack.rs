//! Each recording thread's stack of profiled frames, published for the sampler (sampled mode).
//!
//! In sampled mode a frame that becomes current pushes an entry here (its table, its running
//! line) and pops it when it stops being current; each statement stores its line into the
//! frame's entry. The sampler thread reads every thread's stack at its own pace. Nothing here
//! locks or allocates after the thread's first recorded call: the stack is a fixed array of
//! atomics, allocated once per thread (the recorder's memory, not counted) and never freed, so
//! the sampler may read a stack whatever its thread is doing, even after the thread has ended.
//!
//! What the sampler reads is a moment's view taken field by field, not a consistent snapshot: a
//! frame that pushes or pops while it reads may show with its caller's line or not at all. Such
//! a sample is rare (a push or pop takes nanoseconds) and credits one interval to a neighbouring
//! line.

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};

use crate::recorder::line_table::LineTable;

/// How many nested profiled frames a stack publishes; deeper frames are counted but not shown
/// (a sample then credits the 64 outermost).
pub(crate) const MAX_DEPTH: usize = 64;

/// One published frame: its table (this thread's, for its function) and its running line slot.
#[derive(Debug)]
pub(crate) struct StackEntry {
    table: AtomicPtr<LineTable>,
    line: AtomicU32,
}

impl StackEntry {
    /// Publishes that line slot `line` now runs.
    #[inline(always)]
    pub(crate) fn set_line(&self, line: u32) {
        self.line.store(line, Ordering::Relaxed);
    }
}

/// One thread's published stack.
#[derive(Debug)]
pub(crate) struct PublishedStack {
    /// The registry's number of the thread.
    pub(crate) thread: u32,
    depth: AtomicU32,
    entries: [StackEntry; MAX_DEPTH],
    /// The thread's CPU-time clock, for the on-CPU/off-CPU split; `None` where there is none.
    cpu_clock: Option<CpuClock>,
    /// The next stack in the process's list (set before the stack is listed, never changed).
    next: *const PublishedStack,
    /// The sampler's own bookkeeping: the thread's CPU time and the wall time when it last read
    /// them, and whether it has. Only the sampler thread writes these.
    pub(crate) last_cpu_ns: AtomicU64,
    pub(crate) last_wall_ns: AtomicU64,
    pub(crate) seen: AtomicBool,
}

// SAFETY: every field but `next` is an atomic or immutable; `next` is written once, before the
// stack is published through `HEAD` (with release ordering), and only read afterwards.
unsafe impl Sync for PublishedStack {}
// SAFETY: as above.
unsafe impl Send for PublishedStack {}

/// The list of every thread's stack, newest first.
static HEAD: AtomicPtr<PublishedStack> = AtomicPtr::new(ptr::null_mut());

/// Bytes of all published stacks (part of the recorder's own memory).
static BYTES: AtomicU64 = AtomicU64::new(0);

impl PublishedStack {
    /// Makes and lists the calling thread's stack. Called once per thread, on its first
    /// recorded call in sampled mode, inside `heap::uncounted`.
    pub(crate) fn new_for_this_thread(thread: u32) -> &'static PublishedStack {
        let stack = PublishedStack::make(thread);
        let mut head = HEAD.load(Ordering::Relaxed);
        loop {
            stack.next = head;
            match HEAD.compare_exchange_weak(head, stack, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return stack,
                Err(now) => head = now,
            }
        }
    }

    /// Makes a stack that the sampler never reads: the calibration's, so that its frames
    /// publish as real ones do.
    pub(crate) fn unlisted(thread: u32) -> &'static PublishedStack {
        PublishedStack::make(thread)
    }

    /// A new stack, leaked (the recorder's memory, never freed).
    fn make(thread: u32) -> &'static mut PublishedStack {
        let stack = Box::leak(Box::new(PublishedStack {
            thread,
            depth: AtomicU32::new(0),
            entries: std::array::from_fn(|_| StackEntry {
                table: AtomicPtr::new(ptr::null_mut()),
                line: AtomicU32::new(0),
            }),
            cpu_clock: CpuClock::of_this_thread(),
            next: ptr::null(),
            last_cpu_ns: AtomicU64::new(0),
            last_wall_ns: AtomicU64::new(0),
            seen: AtomicBool::new(false),
        }));
        BYTES.fetch_add(size_of::<PublishedStack>() as u64, Ordering::Relaxed);
        stack
    }

    /// Pushes a frame recording into `table`, running line slot `line`; returns its entry, or
    /// `None` past [`MAX_DEPTH`] (the frame is counted in the depth all the same).
    #[inline(always)]
    pub(crate) fn push(&self, table: &'static LineTable, line: u32) -> Option<&StackEntry> {
        let depth = self.depth.load(Ordering::Relaxed);
        let entry = self.entries.get(depth as usize);
        if let Some(entry) = entry {
            entry
                .table
                .store(ptr::from_ref(table).cast_mut(), Ordering::Relaxed);
            entry.line.store(line, Ordering::Relaxed);
        }
        // Release: a sampler that sees the new depth sees the entry's fields.
        self.depth.store(depth + 1, Ordering::Release);
        entry
    }

    /// Pops the innermost frame.
    #[inline(always)]
    pub(crate) fn pop(&self) {
        let depth = self.depth.load(Ordering::Relaxed);
        self.depth.store(depth.saturating_sub(1), Ordering::Release);
    }

    /// Sets the stack to `frames` (outermost first): for frames that ended out of order.
    pub(crate) fn rebuild(
        &self,
        frames: impl IntoIterator<Item = (&'static LineTable, u32)>,
    ) -> Vec<Option<&StackEntry>> {
        self.depth.store(0, Ordering::Release);
        frames
            .into_iter()
            .map(|(table, line)| self.push(table, line))
            .collect()
    }

    /// Reads the published frames, outermost first, into `out` as (function's site id, line
    /// slot): nothing if the thread is not in a profiled call.
    pub(crate) fn read(&self, out: &mut Vec<(u32, u32)>) {
        out.clear();
        let depth = self.depth.load(Ordering::Acquire) as usize;
        for entry in self.entries.iter().take(depth) {
            let table = entry.table.load(Ordering::Relaxed);
            // SAFETY: a non-null table pointer comes from a `&'static LineTable` (tables are
            // leaked by the registry and never freed).
            if let Some(table) = unsafe { table.as_ref() } {
                out.push((table.site_id, entry.line.load(Ordering::Relaxed)));
            }
        }
    }

    /// Whether the thread is in a profiled call now.
    pub(crate) fn is_busy(&self) -> bool {
        self.depth.load(Ordering::Relaxed) > 0
    }

    /// The thread's CPU time in nanoseconds, if it can be read.
    pub(crate) fn cpu_time_ns(&self) -> Option<u64> {
        self.cpu_clock.as_ref().and_then(CpuClock::read_ns)
    }

    /// The next stack in the process's list.
    pub(crate) fn next(&self) -> Option<&'static PublishedStack> {
        // SAFETY: `next` is null or a stack leaked by `new_for_this_thread`.
        unsafe { self.next.as_ref() }
    }
}

/// The newest stack in the process's list (then follow `next`).
pub(crate) fn first() -> Option<&'static PublishedStack> {
    // SAFETY: `HEAD` is null or a stack leaked by `new_for_this_thread`.
    unsafe { HEAD.load(Ordering::Acquire).as_ref() }
}

/// Bytes the published stacks take (part of `recorder_bytes`).
pub(crate) fn bytes() -> usize {
    BYTES.load(Ordering::Relaxed) as usize
}

/// A thread's CPU-time clock, readable from any thread.
#[derive(Debug)]
struct CpuClock {
    #[cfg(target_os = "linux")]
    id: libc::clockid_t,
}

impl CpuClock {
    #[cfg(target_os = "linux")]
    fn of_this_thread() -> Option<CpuClock> {
        let mut id: libc::clockid_t = 0;
        // SAFETY: `pthread_self()` is the calling thread; `id` is a valid place for the answer.
        let status = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
        (status == 0).then_some(CpuClock { id })
    }

    #[cfg(not(target_os = "linux"))]
    fn of_this_thread() -> Option<CpuClock> {
        None
    }

    /// The thread's CPU time; `None` once the thread has ended (the clock is then invalid).
    #[cfg(target_os = "linux")]
    fn read_ns(&self) -> Option<u64> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid place for the answer; an ended thread's clock id makes the
        // call fail with EINVAL, nothing worse.
        let status = unsafe { libc::clock_gettime(self.id, &mut ts) };
        (status == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
    }

    #[cfg(not(target_os = "linux"))]
    fn read_ns(&self) -> Option<u64> {
        None
    }
}
