//! Heap assertions for tests: a closure leaks nothing (after warm-up runs if it fills a cache),
//! stays within a budget (its own, or one default for the whole test binary), allocates nothing.
//!
//! Each runs the closure in a [`HeapRegion`] on the current thread (so parallel tests do not
//! disturb each other), drops the closure's result inside the region (a returned value is not a
//! leak), and panics with the figures, and the profiled lines that allocated what is still
//! live, when the assertion fails. Without the counting allocator installed, or on a thread
//! beyond [`THREAD_SLOTS`](crate::diagnostics::THREAD_SLOTS) alive at once, they panic and say so: an
//! assertion that cannot measure never passes.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

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

/// Panics unless `f` leaves nothing allocated on this thread once it has run `warm_ups` times
/// unmeasured: for code that fills a cache on its first runs (pytest-memray's `limit_leaks` with
/// warm-ups). Each run's result is dropped. Returns the figures of the measured run.
///
/// ```should_panic
/// // (Panics here because the doc test installs no counting allocator.)
/// use std::sync::OnceLock;
/// static CACHE: OnceLock<Vec<u8>> = OnceLock::new();
/// lablink_prof_runtime::assertions::assert_no_leaks_after(1, || CACHE.get_or_init(|| vec![0; 64]).len());
/// ```
///
/// # Panics
///
/// If the measured run leaves something allocated, or nothing is counted.
#[track_caller]
pub fn assert_no_leaks_after<R>(warm_ups: usize, mut f: impl FnMut() -> R) -> HeapStats {
    for _ in 0..warm_ups {
        drop(f());
    }
    check(f, |s| {
        (!s.leaked_nothing()).then(|| format!("leaked after {warm_ups} warm-up runs"))
    })
}

/// Limits on what a closure may allocate on its thread, for [`assert_within_budget`]. A limit
/// left `None` is not checked.
///
/// ```
/// use lablink_prof_runtime::assertions::HeapBudget;
/// let budget = HeapBudget::bytes(64 * 1024).and_allocs(100).and_peak_bytes(16 * 1024);
/// assert_eq!(budget.max_allocs, Some(100));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeapBudget {
    /// Bytes allocated in all.
    pub max_bytes: Option<u64>,
    /// Allocations.
    pub max_allocs: Option<u64>,
    /// How far the thread's live heap may rise above its level at the start.
    pub max_peak_bytes: Option<u64>,
}

impl HeapBudget {
    /// A budget of `limit` bytes allocated in all.
    pub const fn bytes(limit: u64) -> Self {
        HeapBudget {
            max_bytes: Some(limit),
            max_allocs: None,
            max_peak_bytes: None,
        }
    }

    /// This budget, with at most `limit` allocations.
    pub const fn and_allocs(self, limit: u64) -> Self {
        HeapBudget {
            max_allocs: Some(limit),
            ..self
        }
    }

    /// This budget, with the live heap rising at most `limit` bytes.
    pub const fn and_peak_bytes(self, limit: u64) -> Self {
        HeapBudget {
            max_peak_bytes: Some(limit),
            ..self
        }
    }

    fn is_unlimited(&self) -> bool {
        self.max_bytes.is_none() && self.max_allocs.is_none() && self.max_peak_bytes.is_none()
    }

    /// What `stats` exceeds, if anything.
    fn exceeded_by(&self, stats: &HeapStats) -> Option<String> {
        let over = |limit: Option<u64>, value: u64, what: &str| {
            limit
                .filter(|&l| value > l)
                .map(|l| format!("{what} {value}, more than the {l} allowed"))
        };
        let problems: Vec<String> = [
            over(self.max_bytes, stats.alloc_bytes, "allocated bytes"),
            over(self.max_allocs, stats.allocs, "allocations"),
            over(self.max_peak_bytes, stats.peak_bytes, "peak bytes"),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!problems.is_empty()).then(|| problems.join("; "))
    }
}

/// The default budget's limits, `u64::MAX` for none (a limit of `u64::MAX` bytes is no limit).
static DEFAULT_BYTES: AtomicU64 = AtomicU64::new(u64::MAX);
static DEFAULT_ALLOCS: AtomicU64 = AtomicU64::new(u64::MAX);
static DEFAULT_PEAK: AtomicU64 = AtomicU64::new(u64::MAX);

thread_local! {
    /// This thread's budget while [`with_budget`] runs.
    static OVERRIDE: Cell<Option<HeapBudget>> = const { Cell::new(None) };
}

/// Sets the budget [`assert_within_budget`] checks on every thread that has no budget of its
/// own: one limit for a whole test binary (pytest-memray's global limit). Setting it again
/// replaces it; setting the same budget from every test (tests run in parallel, in any order) is
/// harmless.
///
/// ```
/// use lablink_prof_runtime::assertions::{HeapBudget, default_budget, set_default_budget};
/// set_default_budget(HeapBudget::bytes(1 << 20));
/// assert_eq!(default_budget(), HeapBudget::bytes(1 << 20));
/// ```
pub fn set_default_budget(budget: HeapBudget) {
    let store = |at: &AtomicU64, limit: Option<u64>| at.store(limit.unwrap_or(u64::MAX), Relaxed);
    store(&DEFAULT_BYTES, budget.max_bytes);
    store(&DEFAULT_ALLOCS, budget.max_allocs);
    store(&DEFAULT_PEAK, budget.max_peak_bytes);
}

/// The default budget (no limits until [`set_default_budget`] is called).
pub fn default_budget() -> HeapBudget {
    let load = |at: &AtomicU64| Some(at.load(Relaxed)).filter(|&l| l != u64::MAX);
    HeapBudget {
        max_bytes: load(&DEFAULT_BYTES),
        max_allocs: load(&DEFAULT_ALLOCS),
        max_peak_bytes: load(&DEFAULT_PEAK),
    }
}

/// Runs `f` with `budget` as this thread's budget instead of the default: a per-test override.
/// Other threads (other tests) keep theirs. Nested calls restore the outer budget when they end,
/// on a panic too.
///
/// ```should_panic
/// // (Panics here because the doc test installs no counting allocator.)
/// use lablink_prof_runtime::assertions::{HeapBudget, assert_within_budget, with_budget};
/// with_budget(HeapBudget::bytes(4096), || assert_within_budget(|| vec![0u8; 100]));
/// ```
pub fn with_budget<R>(budget: HeapBudget, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<HeapBudget>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.set(self.0);
        }
    }
    let _restore = Restore(OVERRIDE.replace(Some(budget)));
    f()
}

/// The budget in force on this thread: its own ([`with_budget`]), else the default.
pub fn budget_in_force() -> HeapBudget {
    OVERRIDE.get().unwrap_or_else(default_budget)
}

/// Panics if `f` exceeds the budget in force on this thread ([`with_budget`]'s, else the
/// default [`set_default_budget`] set). Returns the figures.
///
/// # Panics
///
/// If `f` exceeds a limit (all exceeded limits are named), if the budget in force sets no limit
/// (an assertion that checks nothing never passes), or if nothing is counted.
#[track_caller]
pub fn assert_within_budget<R>(f: impl FnOnce() -> R) -> HeapStats {
    let budget = budget_in_force();
    let source = if OVERRIDE.get().is_some() {
        "this test's budget"
    } else {
        "the default budget"
    };
    if budget.is_unlimited() {
        panic!(
            "heap assertion: {source} sets no limit; set one with \
             assertions::set_default_budget or assertions::with_budget"
        );
    }
    check(f, |s| {
        budget.exceeded_by(s).map(|p| format!("{p} ({source})"))
    })
}
