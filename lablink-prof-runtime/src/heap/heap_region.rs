//! Heap figures of a closure or a region of code on the current thread, for tests.

use std::collections::BTreeMap;
use std::fmt;

use crate::heap::live_blocks::LiveTable;
use crate::heap::open_regions::{self, OpenRegion};
use crate::heap::{self, HeapReading};

/// What the current thread allocated and freed while a region ran.
///
/// Per thread, so tests running in parallel do not disturb each other. Memory the region frees
/// on another thread counts as not freed (it is freed there); memory allocated elsewhere and
/// freed here counts as freed here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Allocations (a `realloc` counts as one allocation and one free).
    pub allocs: u64,
    /// Frees.
    pub frees: u64,
    /// Bytes allocated.
    pub alloc_bytes: u64,
    /// Bytes freed.
    pub freed_bytes: u64,
    /// `alloc_bytes - freed_bytes`: what the region left allocated (negative if it freed more).
    pub net_bytes: i64,
    /// `allocs - frees`.
    pub net_blocks: i64,
    /// The most the thread's live heap rose above its level at the start.
    pub peak_bytes: u64,
    /// Still-live blocks by the profiled line that allocated them (only with
    /// [`HeapRegion::start_tracking`] / [`measure`]); blocks allocated outside profiled functions
    /// are under "outside profiled functions".
    pub live_by_line: Vec<LiveLine>,
    /// Whether the figures were counted: the counting allocator is installed, and the thread had
    /// a heap slot of its own (it was not one of the threads beyond
    /// [`THREAD_SLOTS`](crate::heap::THREAD_SLOTS) alive at once, which share one). Otherwise every
    /// figure is 0, and the display says why.
    pub counted: bool,
}

/// Still-live blocks allocated on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveLine {
    /// `path::to::function (file:line)`, or "outside profiled functions".
    pub place: String,
    /// Live blocks.
    pub blocks: u64,
    /// Their bytes.
    pub bytes: u64,
}

impl HeapStats {
    /// Whether the region left nothing allocated on this thread.
    pub fn leaked_nothing(&self) -> bool {
        self.net_bytes <= 0 && self.net_blocks <= 0
    }
}

impl fmt::Display for HeapStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.counted && heap::is_installed() {
            return write!(
                f,
                "Heap figures: not measured. More than {} threads were alive at once, and this \
                 thread was one of those beyond, which share one heap slot: its figures would be \
                 theirs too.",
                crate::heap::THREAD_SLOTS
            );
        }
        if !self.counted {
            return f.write_str(crate::base::NO_HEAP_NOTE);
        }
        write!(
            f,
            "{} bytes in {} blocks still live ({} allocations of {} bytes, {} frees of {} bytes, \
             peak +{} bytes)",
            self.net_bytes,
            self.net_blocks,
            self.allocs,
            self.alloc_bytes,
            self.frees,
            self.freed_bytes,
            self.peak_bytes
        )?;
        for l in &self.live_by_line {
            write!(
                f,
                "\n  {} bytes in {} blocks allocated at {}",
                l.bytes, l.blocks, l.place
            )?;
        }
        Ok(())
    }
}

/// A region of code whose heap figures on this thread are measured, from [`HeapRegion::start`]
/// to [`HeapRegion::finish`] (or its drop).
///
/// Regions need not nest, with each other or with profiled calls: one may start in a
/// `#[line_profile]` function and finish after it returns, or in another one; stay open across
/// an `.await`; or finish before a region started after it. Each keeps its own figures, exactly.
/// While one is open, the thread's allocations take the counting allocator's general path (out
/// of line, and through every open region's entry). A region that is never finished or dropped
/// (`mem::forget`) stays open, and keeps the thread on that path.
#[derive(Debug)]
#[must_use = "call finish() to read the figures"]
pub struct HeapRegion {
    start: HeapReading,
    /// Whether the thread has a slot of its own, whose figures are its alone.
    own_slot: bool,
    /// Its entry in this thread's open regions; the raw pointer also keeps the region on its
    /// thread (not `Send`).
    open: *mut OpenRegion,
    finished: bool,
}

impl HeapRegion {
    /// Starts measuring.
    pub fn start() -> Self {
        Self::open(false)
    }

    /// Starts measuring, and notes which profiled line allocates each block, to name the lines
    /// of what is still live at the end. Costs a hash-table insert per allocation, in each
    /// tracking region open.
    pub fn start_tracking() -> Self {
        Self::open(true)
    }

    fn open(tracking: bool) -> Self {
        let slot = heap::this_thread();
        let start = slot.read();
        // A thread sharing the overflow slot cannot tell its blocks from other threads'.
        let open = open_regions::open(start.live, tracking && !slot.shared);
        HeapRegion {
            start,
            own_slot: !slot.shared,
            open,
            finished: false,
        }
    }

    /// Ends the region and returns its figures.
    pub fn finish(mut self) -> HeapStats {
        self.finished = true;
        let end = heap::this_thread().read();
        // SAFETY: `open` came from `open_regions::open` on this thread (the region is not
        // `Send`), and `finished` keeps it from being closed again on drop.
        let closed = unsafe { open_regions::close(self.open) };
        if !(heap::is_installed() && self.own_slot) {
            return HeapStats::default();
        }
        let peak_bytes = closed.high.saturating_sub(self.start.live).max(0) as u64;
        let table = closed.table;
        let mut stats = HeapStats {
            allocs: end.allocs - self.start.allocs,
            frees: end.frees - self.start.frees,
            alloc_bytes: end.alloc_bytes - self.start.alloc_bytes,
            freed_bytes: end.freed_bytes - self.start.freed_bytes,
            net_bytes: end.live - self.start.live,
            net_blocks: (end.allocs - self.start.allocs) as i64
                - (end.frees - self.start.frees) as i64,
            peak_bytes,
            live_by_line: Vec::new(),
            counted: true,
        };
        if let Some(table) = table {
            stats.live_by_line = live_by_line(&table);
        }
        stats
    }
}

impl Drop for HeapRegion {
    /// A region left without `finish` (a panic in the measured code) closes itself.
    fn drop(&mut self) {
        if !self.finished {
            // SAFETY: as in `finish`, which did not run.
            drop(unsafe { open_regions::close(self.open) });
        }
    }
}

fn live_by_line(table: &LiveTable) -> Vec<LiveLine> {
    let mut by_place: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for block in table.live() {
        let place = match block.site {
            Some(site) => format!(
                "{} ({}:{})",
                site.path(),
                site.info.file,
                site.info.first_line + block.line
            ),
            None => "outside profiled functions".to_owned(),
        };
        let e = by_place.entry(place).or_default();
        e.0 += 1;
        e.1 += block.size;
    }
    if table.unplaced > 0 {
        by_place.insert(
            "blocks beyond the tracking table's capacity".to_owned(),
            (table.unplaced, 0),
        );
    }
    let mut lines: Vec<LiveLine> = by_place
        .into_iter()
        .map(|(place, (blocks, bytes))| LiveLine {
            place,
            blocks,
            bytes,
        })
        .collect();
    lines.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.place.cmp(&b.place)));
    lines
}

/// Runs `f` and returns its result with the heap figures of this thread while it ran, live
/// blocks named by line.
///
/// ```
/// let (v, stats) = lablink_prof_runtime::measure(|| vec![0u8; 100]);
/// drop(v);
/// // With the counting allocator installed: stats.alloc_bytes == 100, stats.net_bytes == 100.
/// # let _ = stats;
/// ```
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, HeapStats) {
    let region = HeapRegion::start_tracking();
    let result = f();
    (result, region.finish())
}
