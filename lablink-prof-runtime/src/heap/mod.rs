//! The heap layer: the counting allocator, its per-thread slots, heap regions with their tables
//! of live blocks, the process's live heap after a line, whole-process tracking of live blocks
//! by line (`LABLINK_PROFILE_HEAP=track`), and the heap assertions.
//!
//! It imports only the base layer. The one thing it needs from above, which profiled line is
//! running when a heap region notes a block, it asks through a hook the start-up registers
//! ([`line_attribution`]).

pub mod assertions;
pub(crate) mod counter_pair;
pub(crate) mod counting_alloc;
pub(crate) mod heap_region;
pub(crate) mod line_attribution;
pub(crate) mod live_blocks;
pub(crate) mod mem_usage;
pub(crate) mod open_regions;
pub(crate) mod process_tracking;
pub(crate) mod slot_release;
pub(crate) mod uncounted_thread;

pub(crate) use counting_alloc::*;
