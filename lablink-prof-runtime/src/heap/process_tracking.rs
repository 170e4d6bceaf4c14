//! Leaks and peak by line for the whole process (`LABLINK_PROFILE_HEAP=track`).
//!
//! While tracking is on, every block the counting allocator counts is noted in one process-wide
//! table with the line that allocated it: the profiled line running on the allocating thread,
//! or "outside profiled code". Each line has counters of its live bytes and blocks; a free, on
//! whatever thread, finds the block by its address and takes it off its line. So at exit a
//! line's live figures are what it allocated and nothing ever freed (dhat's t-end, memray's
//! leaks), and blocks freed on another thread are matched like any others.
//!
//! The process's live heap is kept in one shared counter too, with its high-water mark. When a
//! free is about to lower the heap from a new high (or at the report, if the heap ended at its
//! high) every line's live bytes are copied aside: the lines' figures at the process's peak
//! (dhat's t-gmax). With one thread allocating this is the peak's exact composition. With
//! several, the copy is made while other threads may be allocating and freeing: each line's
//! figure is the one it had at some instant of the copy, and the copied total is reported beside
//! the peak so the two can be compared.
//!
//! Neither table is allocated through the program's allocator: both are anonymous memory
//! mappings made when tracking starts, of fixed size, touched only where used. Blocks are noted
//! with compare-and-swap, lines counted with atomic adds, and the copy at a peak is taken by the
//! thread that wins a flag, the others going on without waiting: no lock, nothing allocated, on
//! the allocation path. A block that finds no room in the table (within [`PROBES`] entries of its
//! place) is counted as allocated outside profiled code, and the number of such blocks reported.
//!
//! Tracking is for the threads that allocate after it starts: the start-up starts it before
//! `main` when the setting asks for it, so every thread does.

use std::ptr;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};

use crate::base::function_site::FunctionSite;

/// How many blocks the table can hold (live at once, with room to probe).
pub const BLOCK_CAPACITY: usize = 1 << 22;
/// How many source lines can have blocks of their own.
pub const LINE_CAPACITY: usize = 1 << 18;
/// How many entries from its place a block is looked for, or room for it.
pub(crate) const PROBES: usize = 128;

/// The line index of blocks allocated outside profiled code (and of blocks that found no room).
const OUTSIDE: u32 = 0;
/// The first index given to profiled lines.
const FIRST_LINE: u32 = 1;

const EMPTY: usize = 0;
const REMOVED: usize = 1;
/// Sizes are kept in the low 40 bits of an entry's `meta`, the line index above them.
const SIZE_BITS: u32 = 40;
const SIZE_MASK: u64 = (1 << SIZE_BITS) - 1;

/// One block: its address (or `EMPTY`, `REMOVED`) and its line index and size.
#[repr(C)]
struct BlockEntry {
    addr: AtomicUsize,
    meta: AtomicU64,
}

/// One line's counters.
#[repr(C)]
struct LineCounters {
    live_bytes: AtomicI64,
    live_blocks: AtomicI64,
    at_peak_bytes: AtomicI64,
    site: AtomicPtr<FunctionSite>,
    slot: AtomicU32,
}

static ON: AtomicBool = AtomicBool::new(false);
static BLOCKS: AtomicPtr<BlockEntry> = AtomicPtr::new(ptr::null_mut());
static LINES: AtomicPtr<LineCounters> = AtomicPtr::new(ptr::null_mut());
/// The next free line index.
static NEXT_LINE: AtomicU32 = AtomicU32::new(FIRST_LINE);
/// The process's live heap, as tracking sees it, and its high-water mark. (Its blocks are the
/// lines' added up when read: one atomic add fewer per allocation and per free.)
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);
/// Whether `PEAK` has risen since the lines' figures were last copied aside.
static PEAK_PENDING: AtomicBool = AtomicBool::new(false);
/// Held by the thread copying the lines' figures at a peak.
static COPYING: AtomicBool = AtomicBool::new(false);
/// The sum of the figures copied at the last peak.
static COPIED_TOTAL: AtomicI64 = AtomicI64::new(0);
/// Blocks that found no room in the table.
static UNPLACED: AtomicU64 = AtomicU64::new(0);

/// Whether the whole process's heap is tracked by line (`LABLINK_PROFILE_HEAP=track`).
///
/// ```
/// // Off unless the environment asked for it before the program started.
/// let _ = lablink_prof_runtime::diagnostics::heap_is_tracked();
/// ```
#[inline(always)]
pub fn is_on() -> bool {
    ON.load(Relaxed)
}

/// Maps `bytes` of zeroed anonymous memory, outside the program's allocator.
fn map(bytes: usize) -> Option<*mut u8> {
    #[cfg(unix)]
    {
        // SAFETY: an anonymous private mapping at an address the kernel picks; no file, no
        // existing memory involved. MAP_NORESERVE: pages are committed only when touched.
        let p = unsafe {
            libc::mmap(
                ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        (p != libc::MAP_FAILED).then_some(p.cast())
    }
    #[cfg(not(unix))]
    {
        let _ = bytes;
        None
    }
}

/// Starts tracking, with the process's live heap now, `live_bytes` in `live_blocks` blocks,
/// counted as allocated outside profiled code. Returns why not if it cannot (no memory mapping
/// on this platform, or none granted).
///
/// # Errors
///
/// The reason tracking could not start.
pub(crate) fn start(live_bytes: i64, live_blocks: i64) -> Result<(), String> {
    if is_on() {
        return Ok(());
    }
    let blocks = map(BLOCK_CAPACITY * size_of::<BlockEntry>())
        .ok_or("no anonymous memory mapping for the block table")?;
    let lines = map(LINE_CAPACITY * size_of::<LineCounters>())
        .ok_or("no anonymous memory mapping for the line table")?;
    // Zeroed memory is a table of empty entries and zero counters (all atomics of zero).
    BLOCKS.store(blocks.cast(), Release);
    LINES.store(lines.cast(), Release);
    let outside = line(OUTSIDE);
    outside.live_bytes.store(live_bytes, Relaxed);
    outside.live_blocks.store(live_blocks, Relaxed);
    LIVE.store(live_bytes, Relaxed);
    PEAK.store(live_bytes, Relaxed);
    PEAK_PENDING.store(true, Relaxed);
    ON.store(true, Release);
    crate::heap::refresh_fast_path();
    Ok(())
}

#[inline(always)]
fn line(index: u32) -> &'static LineCounters {
    // SAFETY: `LINES` is set before `ON`, to a mapping of `LINE_CAPACITY` zeroed entries that is
    // never unmapped; callers pass indexes below `LINE_CAPACITY`.
    unsafe { &*LINES.load(Relaxed).add(index as usize) }
}

#[inline(always)]
fn block(index: usize) -> &'static BlockEntry {
    // SAFETY: as for `line`, with `BLOCK_CAPACITY` entries; callers mask the index.
    unsafe { &*BLOCKS.load(Relaxed).add(index) }
}

/// A block's place in the table: its 16-byte granule within its 64 MiB window of the address
/// space, moved by a scrambled number of that window. Blocks near each other in memory stay near
/// each other in the table, so the table is read in the order the heap is (scrambling every
/// address measured 2.2x to 3.4x `System` on whole programs, nearly all of it in the cache miss
/// on the entry); glibc's thread arenas, which start on 64 MiB boundaries, do not fall on the
/// same places.
#[inline(always)]
fn place_of(addr: usize) -> usize {
    const WINDOW_BITS: u32 = BLOCK_CAPACITY.trailing_zeros() + 4;
    let window = (addr >> WINDOW_BITS).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 24;
    ((addr >> 4) ^ window) & (BLOCK_CAPACITY - 1)
}

/// The line index of line slot `slot` of `site`, giving the function its range of indexes on
/// first use; `OUTSIDE` if the line table is full.
fn line_index(site: &'static FunctionSite, slot: u32) -> u32 {
    let count = site.line_count() as u32;
    let slot = slot.min(count - 1);
    let mut base = site.tracked_lines.load(Acquire);
    if base == 0 {
        let start = NEXT_LINE.fetch_add(count, Relaxed);
        if start as usize + count as usize > LINE_CAPACITY {
            return OUTSIDE;
        }
        for i in 0..count {
            let l = line(start + i);
            l.site.store(ptr::from_ref(site).cast_mut(), Relaxed);
            l.slot.store(i, Relaxed);
        }
        base = match site
            .tracked_lines
            .compare_exchange(0, start, AcqRel, Acquire)
        {
            Ok(_) => start,
            // Another thread gave the function its range first; this one stays unused.
            Err(theirs) => theirs,
        };
    }
    base + slot
}

/// A block of `size` bytes at `addr` has been allocated on this thread, while `running` (the
/// profiled function and line slot, if any) ran.
pub(crate) fn on_alloc(addr: usize, size: usize, running: Option<(&'static FunctionSite, u32)>) {
    let index = running.map_or(OUTSIDE, |(site, slot)| line_index(site, slot));
    on_alloc_by(addr, size, index);
}

/// A block of `size` bytes at `addr` has been allocated by the line of index `index`.
fn on_alloc_by(addr: usize, size: usize, index: u32) {
    let index = if note(addr, size as u64, index) {
        index
    } else {
        UNPLACED.fetch_add(1, Relaxed);
        OUTSIDE
    };
    let l = line(index);
    l.live_bytes.fetch_add(size as i64, Relaxed);
    l.live_blocks.fetch_add(1, Relaxed);
    let live = LIVE.fetch_add(size as i64, Relaxed) + size as i64;
    if live > PEAK.load(Relaxed) {
        PEAK.fetch_max(live, Relaxed);
        PEAK_PENDING.store(true, Relaxed);
    }
}

/// Notes a block in the table; false if there is no room for it near its place.
fn note(addr: usize, size: u64, index: u32) -> bool {
    if size > SIZE_MASK {
        return false;
    }
    let meta = (u64::from(index) << SIZE_BITS) | size;
    let mut at = place_of(addr);
    for _ in 0..PROBES {
        let entry = block(at);
        let current = entry.addr.load(Relaxed);
        if (current == EMPTY || current == REMOVED)
            && entry
                .addr
                .compare_exchange(current, addr, Acquire, Relaxed)
                .is_ok()
        {
            // The block is not handed out yet, so no free looks for it before this store; the
            // hand-over to a freeing thread orders it before that thread's load.
            entry.meta.store(meta, Release);
            return true;
        }
        at = (at + 1) & (BLOCK_CAPACITY - 1);
    }
    false
}

/// Takes the block at `addr` out of the table: its line index and size, if it was there.
fn take(addr: usize) -> Option<(u32, u64)> {
    let mut at = place_of(addr);
    for _ in 0..PROBES {
        let entry = block(at);
        match entry.addr.load(Relaxed) {
            EMPTY => return None,
            a if a == addr => {
                let meta = entry.meta.load(Acquire);
                entry.addr.store(REMOVED, Release);
                return Some(((meta >> SIZE_BITS) as u32, meta & SIZE_MASK));
            }
            _ => at = (at + 1) & (BLOCK_CAPACITY - 1),
        }
    }
    None
}

/// The block at `addr`, of `size` bytes, is about to be freed (on any thread): takes it off the
/// line that allocated it. Called before the block goes back to the allocator, so that no other
/// thread can be given its address meanwhile. Returns the line index it was counted on, to
/// [`put_back`] it if a reallocation fails.
pub(crate) fn on_free(addr: usize, size: usize) -> u32 {
    if PEAK_PENDING.load(Relaxed) && LIVE.load(Relaxed) >= PEAK.load(Relaxed) {
        copy_at_peak();
    }
    let (index, size) = take(addr).unwrap_or((OUTSIDE, size as u64));
    let l = line(index);
    l.live_bytes.fetch_sub(size as i64, Relaxed);
    l.live_blocks.fetch_sub(1, Relaxed);
    LIVE.fetch_sub(size as i64, Relaxed);
    index
}

/// Notes again a block [`on_free`] took out before a reallocation that failed: the block is
/// still there, on the line `index` it was on.
pub(crate) fn put_back(addr: usize, size: usize, index: u32) {
    on_alloc_by(addr, size, index);
}

/// Copies every line's live bytes aside: the heap is at its highest so far.
#[cold]
fn copy_at_peak() {
    if COPYING.swap(true, Acquire) {
        return; // another thread is copying
    }
    PEAK_PENDING.store(false, Relaxed);
    let used = NEXT_LINE.load(Relaxed).min(LINE_CAPACITY as u32);
    let mut total = 0;
    for i in 0..used {
        let l = line(i);
        let bytes = l.live_bytes.load(Relaxed);
        l.at_peak_bytes.store(bytes, Relaxed);
        total += bytes;
    }
    COPIED_TOTAL.store(total, Relaxed);
    COPYING.store(false, Release);
}

/// What tracking has found, read for a report.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrackedHeap {
    /// The process's live heap now, as tracking counted it, and its blocks.
    pub(crate) live_bytes: i64,
    pub(crate) live_blocks: i64,
    /// The counting allocator's own figure for the process's live heap, read at the same moment.
    pub(crate) counted_live_bytes: i64,
    /// The highest the process's live heap has been.
    pub(crate) peak_bytes: i64,
    /// The sum of the lines' figures copied at the peak (equal to `peak_bytes` when one thread
    /// allocated at the time).
    pub(crate) at_peak_total: i64,
    /// Blocks allocated outside profiled code (or that found no room): live now, and at peak.
    pub(crate) outside: TrackedLine,
    /// Blocks that found no room in the table, counted as outside.
    pub(crate) unplaced_blocks: u64,
    /// The profiled lines with blocks live now or at the peak.
    pub(crate) lines: Vec<TrackedLine>,
}

/// One line's figures.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TrackedLine {
    /// The profiled function and its line slot (none for outside).
    pub(crate) site: Option<&'static FunctionSite>,
    pub(crate) slot: u32,
    pub(crate) live_bytes: i64,
    pub(crate) live_blocks: i64,
    pub(crate) at_peak_bytes: i64,
}

/// What tracking has found so far, if it is on. If the heap is at its peak now, the lines'
/// figures are copied first. The result is built uncounted (it is the profiler's memory).
pub(crate) fn read() -> Option<TrackedHeap> {
    if !is_on() {
        return None;
    }
    if PEAK_PENDING.load(Relaxed) && LIVE.load(Relaxed) >= PEAK.load(Relaxed) {
        copy_at_peak();
    }
    let read_line = |i: u32| {
        let l = line(i);
        let site = l.site.load(Relaxed);
        TrackedLine {
            // SAFETY: non-null values are `&'static FunctionSite`s stored by `line_index`.
            site: unsafe { site.as_ref() },
            slot: l.slot.load(Relaxed),
            live_bytes: l.live_bytes.load(Relaxed),
            live_blocks: l.live_blocks.load(Relaxed),
            at_peak_bytes: l.at_peak_bytes.load(Relaxed),
        }
    };
    let used = NEXT_LINE.load(Relaxed).min(LINE_CAPACITY as u32);
    let counted_live_bytes = crate::heap::process_live_bytes() as i64;
    let live_blocks = (OUTSIDE..used)
        .map(|i| line(i).live_blocks.load(Relaxed))
        .sum();
    Some(crate::heap::uncounted(|| TrackedHeap {
        counted_live_bytes,
        live_bytes: LIVE.load(Relaxed),
        live_blocks,
        peak_bytes: PEAK.load(Relaxed),
        at_peak_total: COPIED_TOTAL.load(Relaxed),
        outside: read_line(OUTSIDE),
        unplaced_blocks: UNPLACED.load(Relaxed),
        lines: (FIRST_LINE..used)
            .map(read_line)
            .filter(|l| {
                l.site.is_some()
                    && (l.live_bytes != 0 || l.live_blocks != 0 || l.at_peak_bytes != 0)
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_near_each_other_in_memory_are_near_each_other_in_the_table() {
        // 1,024 granules (16 KiB of heap, aligned) take 1,024 places in one aligned run of
        // 1,024 entries (16 KiB of table).
        let base = 0x5555_0000_4000usize;
        let places: std::collections::BTreeSet<usize> = (0..1024)
            .map(|granule| place_of(base + 16 * granule))
            .collect();
        assert_eq!(places.len(), 1024);
        let runs: std::collections::BTreeSet<usize> = places.iter().map(|p| p / 1024).collect();
        assert_eq!(runs.len(), 1, "{runs:?}");
    }

    #[test]
    fn windows_64_mib_apart_do_not_fall_on_the_same_places() {
        // glibc's thread arenas start on 64 MiB boundaries.
        let window = 1usize << (BLOCK_CAPACITY.trailing_zeros() + 4);
        let arena = 0x7f00_0000_0000usize;
        let places: std::collections::BTreeSet<usize> = (0..64)
            .map(|i| place_of(arena + i * window + 0x8b0))
            .collect();
        assert_eq!(places.len(), 64);
    }
}
