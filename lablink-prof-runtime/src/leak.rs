//! Where still-live blocks were allocated, while a heap check runs on this thread.
//!
//! A [`HeapRegion`](crate::HeapRegion) gives its thread a table of live allocations (allocated
//! when the region starts, outside the allocator). While it is open, the counting allocator
//! notes each block allocated on this thread with the profiled function and line running at the
//! time, and forgets it when it is freed on this thread. What is left when the region ends is
//! what leaked, by line. The table is a fixed-size open-addressing hash of [`CAPACITY`] blocks;
//! blocks beyond it are counted but not placed.

use std::sync::atomic::Ordering::Relaxed;

use crate::heap::HeapSlot;

use crate::site::FunctionSite;

/// How many live blocks a region can place by line.
pub const CAPACITY: usize = 1 << 14;

/// One live block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LiveBlock {
    /// The block's address; 0 for an empty entry, 1 for a removed one.
    addr: usize,
    pub(crate) size: u64,
    /// The profiled function running when it was allocated, if any.
    pub(crate) site: Option<&'static FunctionSite>,
    /// Its line slot in that function.
    pub(crate) line: u32,
}

const EMPTY: usize = 0;
const REMOVED: usize = 1;

/// The live blocks of one thread's open regions.
#[derive(Debug)]
pub(crate) struct LiveTable {
    blocks: Box<[LiveBlock]>,
    /// Blocks that did not fit.
    pub(crate) unplaced: u64,
}

fn hash(addr: usize) -> usize {
    (addr >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16
}

impl LiveTable {
    fn new() -> Self {
        LiveTable {
            blocks: vec![
                LiveBlock {
                    addr: EMPTY,
                    size: 0,
                    site: None,
                    line: 0,
                };
                CAPACITY
            ]
            .into_boxed_slice(),
            unplaced: 0,
        }
    }

    fn insert(&mut self, block: LiveBlock) {
        let mask = CAPACITY - 1;
        let mut i = hash(block.addr) & mask;
        for _ in 0..CAPACITY {
            let e = &mut self.blocks[i];
            if e.addr == EMPTY || e.addr == REMOVED {
                *e = block;
                return;
            }
            i = (i + 1) & mask;
        }
        self.unplaced += 1;
    }

    fn remove(&mut self, addr: usize) {
        let mask = CAPACITY - 1;
        let mut i = hash(addr) & mask;
        for _ in 0..CAPACITY {
            let e = &mut self.blocks[i];
            if e.addr == addr {
                e.addr = REMOVED;
                return;
            }
            if e.addr == EMPTY {
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// The blocks still live.
    pub(crate) fn live(&self) -> impl Iterator<Item = &LiveBlock> {
        self.blocks.iter().filter(|b| b.addr > REMOVED)
    }
}

/// Starts tracking on this thread; returns the table that was there (for nested regions), or
/// `None` when this thread cannot track (it shares the overflow slot with other threads).
pub(crate) fn start() -> Option<*mut LiveTable> {
    let slot = crate::heap::this_thread();
    if slot.shared {
        return None;
    }
    // The table is the recorder's memory (half a mebibyte): not counted as the program's, in
    // the region around this one or on the profiled line that runs it.
    let table = crate::heap::uncounted(|| Box::into_raw(Box::new(LiveTable::new())));
    let previous = slot.live_table.swap(table, Relaxed);
    crate::heap::refresh_fast_path();
    Some(previous)
}

/// Stops tracking; returns the table, and puts back the enclosing region's.
pub(crate) fn stop(previous: *mut LiveTable) -> Option<StoppedTable> {
    let table = crate::heap::this_thread()
        .live_table
        .swap(previous, Relaxed);
    crate::heap::refresh_fast_path();
    // SAFETY: non-null values of a slot's `live_table` come from `Box::into_raw` in `start`
    // (which only ever sets the calling thread's own slot), and this is the only place that
    // takes them back, once each.
    (!table.is_null()).then(|| StoppedTable(Some(unsafe { Box::from_raw(table) })))
}

/// A table taken back from a region that has stopped tracking. It is freed uncounted, as it was
/// allocated (see `start`).
pub(crate) struct StoppedTable(Option<Box<LiveTable>>);

impl std::ops::Deref for StoppedTable {
    type Target = LiveTable;

    fn deref(&self) -> &LiveTable {
        self.0.as_deref().expect("taken only by drop")
    }
}

impl Drop for StoppedTable {
    fn drop(&mut self) {
        if let Some(table) = self.0.take() {
            crate::heap::uncounted(move || drop(table));
        }
    }
}

#[inline(always)]
pub(crate) fn on_alloc(slot: &HeapSlot, ptr: *mut u8, size: usize) {
    let table = slot.live_table.load(Relaxed);
    if table.is_null() {
        return;
    }
    let (site, line) =
        crate::thread::current_frame().map_or((None, 0), |f| (Some(f.site()), f.line_slot()));
    // SAFETY: `table` is this thread's live table (see `start`); nothing else borrows it while
    // the allocator runs, and inserting does not allocate.
    unsafe {
        (*table).insert(LiveBlock {
            addr: ptr as usize,
            size: size as u64,
            site,
            line,
        })
    };
}

#[inline(always)]
pub(crate) fn on_free(slot: &HeapSlot, ptr: *mut u8) {
    let table = slot.live_table.load(Relaxed);
    if !table.is_null() {
        // SAFETY: as in `on_alloc`.
        unsafe { (*table).remove(ptr as usize) };
    }
}
