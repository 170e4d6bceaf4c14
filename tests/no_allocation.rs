//! Nothing is allocated on the recording path after a function's first call on a thread.
//! Its own test binary: it installs a global allocator that counts this thread's allocations.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use lablink_prof::line_profile;

struct CountingSystem;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for CountingSystem {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: CountingSystem = CountingSystem;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[line_profile]
fn arithmetic(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        if i % 3 == 0 {
            acc = acc.wrapping_mul(31);
        } else {
            acc ^= i;
        }
        let mut j = 0;
        while j < 2 {
            j += 1;
        }
    }
    match acc % 2 {
        0 => acc,
        _ => acc + 1,
    }
}

#[line_profile]
fn recursive(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    recursive(n - 1) + 1
}

#[test]
fn recording_statements_and_calls_allocates_nothing_after_the_first_call() {
    common::record();
    // First calls: the thread's tables are allocated and registered.
    let _ = arithmetic(3);
    let _ = recursive(3);
    let before = allocations();
    let recorder = lablink_prof::diagnostics::recorder_bytes();
    for _ in 0..1000 {
        std::hint::black_box(arithmetic(std::hint::black_box(50)));
        std::hint::black_box(recursive(std::hint::black_box(20)));
    }
    let after = allocations();
    assert_eq!(after - before, 0, "the recording path allocated");
    // The recorder's memory depends on functions and threads, not hits.
    assert_eq!(lablink_prof::diagnostics::recorder_bytes(), recorder);
    // And it recorded: this is not the disabled path.
    let f = common::function("arithmetic");
    assert_eq!(f.calls, 1001);
    assert_eq!(common::function("recursive").calls, 4 + 1000 * 21);
}

#[test]
fn the_counting_allocator_of_this_test_sees_allocations() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 100]);
    assert_eq!(allocations() - before, 1);
    drop(v);
}
