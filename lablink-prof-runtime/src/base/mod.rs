//! The base layer: the clock, what the attribute knows about a profiled function, and the one
//! message every layer may print about the counting allocator. It imports nothing from the
//! crate; every other layer may import it.

#[cfg(feature = "recorder")]
pub(crate) mod clock;
#[cfg(feature = "recorder")]
pub(crate) mod function_site;

/// What the memory columns (and heap regions) say when the counting allocator is not installed.
pub const NO_HEAP_NOTE: &str = "Memory columns: not measured. Install the counting allocator with one line in your \
binary:\n    #[global_allocator]\n    static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();";
