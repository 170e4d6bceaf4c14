//! What the allocator benchmarks share: the allocators, the three floors, and one pair (a
//! 64-byte allocation and its free) through each, inlined into the timing loop or through entry
//! points made as `#[global_allocator]` makes `__rust_alloc` and `__rust_dealloc`.
//!
//! Two floors are the system allocator plus thread-local counting and nothing else: one counter
//! of live bytes, or four (bytes and blocks both ways) with no test and no peak. Neither can name
//! a line, find a leak or give a process's live heap; they show what any per-thread counting
//! costs on the machine, against the same system allocator. The third counts nothing and only
//! looks at the system allocator's answer, as an allocator that must not count a refused
//! allocation has to: through entry points, that alone turns the jump to `malloc` into a call.
#![allow(dead_code)] // each benchmark uses its own subset

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use criterion::black_box;
use lablink_prof::CountingAlloc;
use stats_alloc::StatsAlloc;

pub static COUNTING: CountingAlloc = CountingAlloc::system();
pub static STATS_ALLOC: StatsAlloc<System> = StatsAlloc::system();
pub static DHAT: dhat::Alloc = dhat::Alloc;
pub static COUNTING_DHAT: CountingAlloc<dhat::Alloc> = CountingAlloc::new(dhat::Alloc);

thread_local! {
    // Atomics, read and written with relaxed loads and stores (plain moves, as `Cell`s would
    // be), so that every pair really updates them in memory: the compiler knows that `malloc`
    // and `free` do not read a `Cell` of this thread, and would keep `Cell`s in registers for the
    // whole timing loop, which no program's `__rust_alloc` can do.
    static COUNTERS: [AtomicU64; 4] = const { [const { AtomicU64::new(0) }; 4] };
}

#[inline(always)]
fn add_to(counter: usize, by: u64) {
    COUNTERS.with(|c| {
        let c = &c[counter];
        c.store(c.load(Relaxed).wrapping_add(by), Relaxed);
    });
}

/// Floor: the system allocator, plus thread-local counting and nothing else. With `FOUR`, bytes
/// and blocks both ways (four counters); without, one counter of live bytes.
pub struct Floor<const FOUR: bool>;

// SAFETY: forwards to the system allocator unchanged.
unsafe impl<const FOUR: bool> GlobalAlloc for Floor<FOUR> {
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add_to(0, layout.size() as u64);
        if FOUR {
            add_to(1, 1);
        }
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(layout) }
    }

    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if FOUR {
            add_to(2, layout.size() as u64);
            add_to(3, 1);
        } else {
            add_to(0, (layout.size() as u64).wrapping_neg());
        }
        // SAFETY: the caller's block and layout, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Floor of a wrapper that checks the system allocator's answer and counts nothing: a counting
/// allocator that must take back a refused allocation has to look at the answer, so its
/// allocation calls `malloc` and returns, where the system allocator's own entry point ends in a
/// jump to it.
pub struct CheckedFloor;

#[cold]
#[inline(never)]
fn refused(size: usize) {
    black_box(size);
}

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for CheckedFloor {
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, passed on.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            refused(layout.size());
        }
        p
    }

    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's block and layout, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

pub const LAYOUT: Layout = match Layout::from_size_align(64, 8) {
    Ok(l) => l,
    Err(_) => panic!("valid layout"),
};

#[inline(always)]
fn pair<A: GlobalAlloc>(a: &A) {
    // SAFETY: LAYOUT has a non-zero size; the block is freed with the layout it was made with.
    unsafe {
        let p = a.alloc(LAYOUT);
        black_box(p);
        if !p.is_null() {
            a.dealloc(p, LAYOUT);
        }
    }
}

/// An allocator's static, named in code as the `#[global_allocator]` shim names it, so that its
/// settings are known at compile time here as they are in a program.
pub trait Installed: Sync {
    /// One pair through it, inlined into the timing loop for every allocator alike.
    fn pair();
    /// One pair through its entry points.
    fn pair_via_entry_points();
}

macro_rules! installed {
    ($($name:ident: $alloc:expr;)*) => {$(
        pub struct $name;
        impl Installed for $name {
            #[inline(always)]
            fn pair() {
                pair($alloc)
            }

            #[inline(always)]
            fn pair_via_entry_points() {
                #[inline(never)]
                fn alloc(size: usize, align: usize) -> *mut u8 {
                    // SAFETY: called with LAYOUT's size and alignment only.
                    unsafe { $alloc.alloc(Layout::from_size_align_unchecked(size, align)) }
                }
                #[inline(never)]
                fn dealloc(p: *mut u8, size: usize, align: usize) {
                    // SAFETY: `p` came from `alloc` with this size and alignment.
                    unsafe { $alloc.dealloc(p, Layout::from_size_align_unchecked(size, align)) }
                }
                let (size, align) = (black_box(LAYOUT.size()), black_box(LAYOUT.align()));
                let p = alloc(size, align);
                black_box(p);
                if !p.is_null() {
                    dealloc(p, size, align);
                }
            }
        }
    )*};
}

installed! {
    SystemAlone: &System;
    OneCounterFloor: &Floor::<false>;
    FourCountersFloor: &Floor::<true>;
    CheckedSystemFloor: &CheckedFloor;
    Counting: &COUNTING;
    StatsAllocSystem: &STATS_ALLOC;
    DhatAlone: &DHAT;
    CountingDhat: &COUNTING_DHAT;
}

/// Time for `pairs` pairs through `I`, inlined or through its entry points.
pub fn time<I: Installed, const VIA_ENTRY_POINTS: bool>(pairs: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..pairs {
        if VIA_ENTRY_POINTS {
            I::pair_via_entry_points();
        } else {
            I::pair();
        }
    }
    start.elapsed()
}
