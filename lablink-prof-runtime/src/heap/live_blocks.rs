//! Where still-live blocks were allocated, while a heap check runs on this thread.
//!
//! A tracking [`HeapRegion`](crate::HeapRegion) has a table of live allocations of its own
//! (allocated when the region starts, outside the allocator; see
//! [`open_regions`](crate::heap::open_regions)). While it is open, the counting allocator notes each
//! block allocated on this thread with the profiled function and line running at the time, and
//! forgets it when it is freed on this thread. What is left when the region ends is what leaked,
//! by line. The table is a fixed-size open-addressing hash of [`CAPACITY`] blocks; blocks beyond
//! it are counted but not placed.

use crate::base::function_site::FunctionSite;

/// How many live blocks a region can place by line.
pub const CAPACITY: usize = 1 << 14;

/// One live block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LiveBlock {
    /// The block's address; 0 for an empty entry, 1 for a removed one.
    pub(crate) addr: usize,
    pub(crate) size: u64,
    /// The profiled function running when it was allocated, if any.
    pub(crate) site: Option<&'static FunctionSite>,
    /// Its line slot in that function.
    pub(crate) line: u32,
}

const EMPTY: usize = 0;
const REMOVED: usize = 1;

/// The live blocks of one tracking region.
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
    pub(crate) fn new() -> Self {
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

    pub(crate) fn insert(&mut self, block: LiveBlock) {
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

    pub(crate) fn remove(&mut self, addr: usize) {
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

/// A table taken back from a region that has stopped tracking. It is freed uncounted, as it was
/// allocated (see [`open_regions::open`](crate::heap::open_regions::open)).
pub(crate) struct StoppedTable(Option<Box<LiveTable>>);

impl StoppedTable {
    pub(crate) fn new(table: Box<LiveTable>) -> Self {
        StoppedTable(Some(table))
    }
}

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
