//! Heap assertions for tests: a closure leaks nothing, stays within a budget, allocates nothing.
//!
//! Each runs the closure in a [`HeapRegion`] on the current thread (so parallel tests do not
//! disturb each other), drops the closure's result inside the region (a returned value is not a
//! leak), and panics with the figures, and the profiled lines that allocated what is still
//! live, when the assertion fails. Without the counting allocator installed, or on a thread
//! beyond [`THREAD_SLOTS`](crate::THREAD_SLOTS) alive at once, they panic and say so: an
//! assertion that cannot measure never passes.

use crate::heap::heap_region::{HeapRegion, HeapStats};

#[track_caller]
fn measured<R>(f: impl FnOnce() -> R) -> HeapStats {
    let region = HeapRegion::start_tracking();
    drop(f());
    let stats = region.finish();
    if !stats.counted {
        panic!("heap assertion: nothing is counted.\n{stats}");
    }
    stats
}

/// Measures `f` and panics with the figures if `failure` finds a problem with them.
#[track_caller]
fn check<R>(
    f: impl FnOnce() -> R,
    failure: impl FnOnce(&HeapStats) -> Option<String>,
) -> HeapStats {
    let stats = measured(f);
    if let Some(problem) = failure(&stats) {
        panic!("heap assertion failed: {problem}: {stats}");
    }
    stats
}

/// Panics unless `f` leaves nothing allocated on this thread. Returns the figures.
#[track_caller]
pub fn assert_no_leaks<R>(f: impl FnOnce() -> R) -> HeapStats {
    check(f, |s| (!s.leaked_nothing()).then(|| "leaked".to_owned()))
}

/// Panics if `f` allocates more than `limit` bytes in all. Returns the figures.
#[track_caller]
pub fn assert_max_bytes<R>(limit: u64, f: impl FnOnce() -> R) -> HeapStats {
    check(f, |s| {
        (s.alloc_bytes > limit).then(|| {
            format!(
                "allocated {} bytes, more than the {limit} allowed",
                s.alloc_bytes
            )
        })
    })
}

/// Panics if `f` allocates more than `limit` times. Returns the figures.
#[track_caller]
pub fn assert_max_allocs<R>(limit: u64, f: impl FnOnce() -> R) -> HeapStats {
    check(f, |s| {
        (s.allocs > limit)
            .then(|| format!("{} allocations, more than the {limit} allowed", s.allocs))
    })
}

/// Panics if `f` allocates at all. Returns the figures.
#[track_caller]
pub fn assert_no_alloc<R>(f: impl FnOnce() -> R) -> HeapStats {
    check(f, |s| {
        (s.allocs > 0).then(|| format!("expected no allocation, got {}", s.allocs))
    })
}
