//! The heap regions open on this thread, each with figures of its own.
//!
//! Every open [`HeapRegion`](crate::HeapRegion) has an entry here, made when it starts and
//! removed when it ends: the highest the thread's live heap has been since it started, and, for
//! a tracking region, its own table of live blocks. While any is open, the thread's allocations
//! and frees take the counting allocator's general path, which raises every entry's mark and
//! notes the block in every table.
//!
//! No entry depends on another, or on the profiled calls' peaks (`HeapSlot::open_peak`), so
//! regions need not nest: a region may start in one profiled call and end after it returns or
//! in another call, stay open across an `.await` of a profiled `async fn`, or end before a
//! region started after it, and its figures stay exact. An outer tracking region names the
//! lines of blocks allocated inside an inner one.
//!
//! Entries are the recorder's memory, made uncounted. A thread keeps the entries of regions that
//! have ended, to reuse: once a thread has had as many regions open at once as it will have,
//! starting one allocates nothing (what an independent reference such as dhat sees). A tracking
//! region's table is made and freed with it, uncounted.

use std::cell::Cell;
use std::ptr;

use crate::heap;
use crate::heap::live_blocks::{LiveBlock, LiveTable, StoppedTable};

/// One open region's own figures, linked to the regions opened before and after it.
#[derive(Debug)]
pub(crate) struct OpenRegion {
    /// The highest the thread's live heap has been since the region started.
    high: i64,
    /// Where its still-live blocks were allocated, for a tracking region.
    table: Option<Box<LiveTable>>,
    older: *mut OpenRegion,
    newer: *mut OpenRegion,
}

thread_local! {
    // Const-initialised, no destructor: the allocator reads it at any point of the thread's
    // life, and reading it never allocates.
    /// The region opened last of those still open on this thread, else null.
    static NEWEST: Cell<*mut OpenRegion> = const { Cell::new(ptr::null_mut()) };
    /// Entries of regions that have ended, linked through `older`, to reuse.
    static SPARE: Cell<*mut OpenRegion> = const { Cell::new(ptr::null_mut()) };
}

/// Whether a region is open on this thread.
#[inline(always)]
pub(crate) fn any_open() -> bool {
    !NEWEST.get().is_null()
}

/// Opens a region on this thread, whose live heap is `live` now; with a table of live blocks if
/// `tracking`. The result is this thread's, to [`close`] on it once.
pub(crate) fn open(live: i64, tracking: bool) -> *mut OpenRegion {
    let older = NEWEST.get();
    // The entry and the table (half a mebibyte) are the recorder's: not counted as the program's,
    // in any region or on the profiled line that opens it.
    let table = tracking.then(|| heap::uncounted(|| Box::new(LiveTable::new())));
    let entry = OpenRegion {
        high: live,
        table,
        older,
        newer: ptr::null_mut(),
    };
    let region = SPARE.get();
    // SAFETY: spare entries are boxes of this thread's that no region holds (see `close`).
    let region = match unsafe { region.as_mut() } {
        Some(spare) => {
            SPARE.set(spare.older);
            *spare = entry;
            region
        }
        None => heap::uncounted(|| Box::into_raw(Box::new(entry))),
    };
    if !older.is_null() {
        // SAFETY: entries in this thread's list are live boxes only this thread touches, and
        // no reference to one outlives the function that makes it.
        unsafe { (*older).newer = region };
    }
    NEWEST.set(region);
    heap::refresh_fast_path();
    region
}

/// What a region's entry held when it closed.
pub(crate) struct Closed {
    /// The highest the thread's live heap was while it was open.
    pub(crate) high: i64,
    /// Its table of live blocks, if it tracked them.
    pub(crate) table: Option<StoppedTable>,
}

/// Closes a region opened on this thread, whatever regions opened before or after it are still
/// open.
///
/// # Safety
///
/// `region` comes from [`open`] on this thread and has not been closed.
pub(crate) unsafe fn close(region: *mut OpenRegion) -> Closed {
    // SAFETY: the caller's promise: a live entry of this thread's list, closed once, here.
    let entry = unsafe { &mut *region };
    // SAFETY: its neighbours are live entries of the same list (as in `open`).
    unsafe {
        match entry.newer.as_mut() {
            Some(newer) => newer.older = entry.older,
            None => NEWEST.set(entry.older),
        }
        if let Some(older) = entry.older.as_mut() {
            older.newer = entry.newer;
        }
    }
    heap::refresh_fast_path();
    let closed = Closed {
        high: entry.high,
        table: entry.table.take().map(StoppedTable::new),
    };
    entry.older = SPARE.get();
    SPARE.set(region);
    closed
}

/// An allocation of `size` bytes at `ptr` has brought the thread's live heap to `live`: raises
/// every open region's mark, and notes the block, with the profiled line running now, in every
/// table.
#[inline]
pub(crate) fn on_alloc(live: i64, ptr: *mut u8, size: usize) {
    let mut region = NEWEST.get();
    if region.is_null() {
        return;
    }
    let (site, line) = crate::heap::line_attribution::running_line()
        .map_or((None, 0), |(site, line)| (Some(site), line));
    // SAFETY: as in `open`; the allocator does not allocate while it walks the list, so no
    // region opens or closes meanwhile.
    while let Some(entry) = unsafe { region.as_mut() } {
        entry.high = entry.high.max(live);
        if let Some(table) = &mut entry.table {
            table.insert(LiveBlock {
                addr: ptr as usize,
                size: size as u64,
                site,
                line,
            });
        }
        region = entry.older;
    }
}

/// The block at `ptr` has been freed on this thread: no table holds it any longer.
#[inline]
pub(crate) fn on_free(ptr: *mut u8) {
    let mut region = NEWEST.get();
    // SAFETY: as in `on_alloc`.
    while let Some(entry) = unsafe { region.as_mut() } {
        if let Some(table) = &mut entry.table {
            table.remove(ptr as usize);
        }
        region = entry.older;
    }
}
