//! Heap assertions under parallel `cargo test`: one default budget for the whole test binary,
//! a per-test override, and "leaks nothing after N warm-up runs".
//!
//! The tests here run in parallel on their own threads; each checks exact figures on its own
//! thread, whatever the others do at the same time.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use lablink_prof::assertions::{self, HeapBudget};

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

/// The binary's default budget, set by every test (in any order; the same value each time).
const DEFAULT: HeapBudget = HeapBudget::bytes(800);

fn set_default() {
    assertions::set_default_budget(DEFAULT);
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion fails");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn the_default_budget_applies_to_every_test_without_its_own() {
    set_default();
    let stats = lablink_prof::assert_within_budget!(vec![0u64; 100]);
    assert_eq!((stats.alloc_bytes, stats.allocs), (800, 1));
    let message = panic_message(|| {
        lablink_prof::assert_within_budget!(vec![0u64; 101]);
    });
    assert!(
        message.contains("allocated bytes 808, more than the 800 allowed (the default budget)"),
        "{message}"
    );
}

#[test]
fn a_test_overrides_the_default_for_itself_only() {
    set_default();
    let stats = assertions::with_budget(HeapBudget::bytes(4000), || {
        lablink_prof::assert_within_budget!(vec![0u64; 500])
    });
    assert_eq!(stats.alloc_bytes, 4000);
    // The override ended with the closure: the default again.
    assert_eq!(assertions::budget_in_force(), DEFAULT);
    let message = panic_message(|| {
        lablink_prof::assert_within_budget!(vec![0u64; 500]);
    });
    assert!(
        message.contains("allocated bytes 4000, more than the 800 allowed"),
        "{message}"
    );
    // The macro's form with a budget, for one check.
    let stats = lablink_prof::assert_within_budget!(HeapBudget::bytes(4000), vec![0u64; 500]);
    assert_eq!(stats.alloc_bytes, 4000);
}

#[test]
fn every_exceeded_limit_is_named() {
    set_default();
    let budget = HeapBudget::bytes(100).and_allocs(1).and_peak_bytes(50);
    let message = panic_message(|| {
        lablink_prof::assert_within_budget!(budget, (vec![0u8; 60], vec![0u8; 60]));
    });
    assert!(
        message.contains(
            "allocated bytes 120, more than the 100 allowed; allocations 2, more than the 1 \
             allowed; peak bytes 120, more than the 50 allowed (this test's budget)"
        ),
        "{message}"
    );
}

#[test]
fn overrides_on_parallel_threads_are_their_own() {
    set_default();
    let results: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = [1000u64, 2000, 3000]
            .into_iter()
            .map(|limit| {
                s.spawn(move || {
                    assertions::with_budget(HeapBudget::bytes(limit), || {
                        for _ in 0..50 {
                            assert_eq!(assertions::budget_in_force(), HeapBudget::bytes(limit));
                            let stats =
                                lablink_prof::assert_within_budget!(vec![0u8; limit as usize]);
                            assert_eq!(stats.alloc_bytes, limit);
                        }
                        limit
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results, [1000, 2000, 3000]);
}

#[test]
fn a_budget_with_no_limit_never_passes() {
    set_default();
    let message = panic_message(|| {
        assertions::with_budget(HeapBudget::default(), || {
            lablink_prof::assert_within_budget!(());
        });
    });
    assert!(
        message.contains("this test's budget sets no limit"),
        "{message}"
    );
}

static CACHE_A: OnceLock<Vec<u8>> = OnceLock::new();
static CACHE_B: OnceLock<Vec<u8>> = OnceLock::new();

fn cached(cache: &'static OnceLock<Vec<u8>>) -> usize {
    cache.get_or_init(|| vec![1u8; 500]).len()
}

#[test]
fn a_cache_that_fills_once_leaks_nothing_after_one_warm_up() {
    // Without a warm-up run, the cache's first fill is what stays live.
    let message = panic_message(|| {
        lablink_prof::assert_no_leaks_after!(0, cached(&CACHE_A));
    });
    assert!(message.contains("leaked after 0 warm-up runs"), "{message}");
    assert!(
        message.contains("500 bytes in 1 blocks still live"),
        "{message}"
    );
    // After one, the cache is full: the measured run allocates nothing.
    let stats = lablink_prof::assert_no_leaks_after!(1, cached(&CACHE_B));
    assert_eq!((stats.allocs, stats.net_bytes), (0, 0));
}

#[test]
fn a_real_leak_fails_after_any_number_of_warm_ups() {
    let message = panic_message(|| {
        lablink_prof::assert_no_leaks_after!(3, Box::leak(Box::new([0u8; 100])).len());
    });
    assert!(message.contains("leaked after 3 warm-up runs"), "{message}");
    assert!(
        message.contains("100 bytes in 1 blocks still live"),
        "{message}"
    );
}
