//! The counting allocator's figures agree with stats_alloc's `Region`, an independent
//! reference. Its own binary: the global allocator is the counting allocator over stats_alloc's.

use lablink_prof::{CountingAlloc, HeapRegion};
use stats_alloc::{Region, StatsAlloc};

#[global_allocator]
static ALLOC: CountingAlloc<StatsAlloc<std::alloc::System>> =
    CountingAlloc::new(StatsAlloc::system());

#[test]
fn counting_allocator_and_stats_alloc_report_the_same_figures() {
    // stats_alloc counts the whole process: this binary has one test, so one thread allocates.
    let workloads: Vec<(&str, fn())> = vec![
        ("boxes", || {
            let v: Vec<Box<u64>> = (0..1000).map(Box::new).collect();
            drop(std::hint::black_box(v));
        }),
        ("growth by realloc", || {
            let mut s = String::new();
            for i in 0..2000 {
                s.push_str(&i.to_string());
            }
            std::hint::black_box(s);
        }),
        ("a leak", || {
            std::mem::forget(std::hint::black_box(vec![0u8; 12345]));
        }),
    ];
    // A thread's first heap region allocates the entry it keeps its figures in, to reuse: the
    // recorder's memory, not counted here, but seen by stats_alloc, which counts everything.
    drop(HeapRegion::start());
    for (name, workload) in workloads {
        let reference = Region::new(ALLOC.inner());
        let ours = HeapRegion::start();
        workload();
        let ours = ours.finish();
        let theirs = reference.change();
        // stats_alloc counts a realloc apart; this crate counts it as a free and an allocation.
        assert_eq!(
            ours.allocs,
            (theirs.allocations + theirs.reallocations) as u64,
            "{name}: allocations"
        );
        assert_eq!(
            ours.frees,
            (theirs.deallocations + theirs.reallocations) as u64,
            "{name}: frees"
        );
        // stats_alloc adds a realloc's growth to bytes allocated (its shrinking to bytes freed).
        assert_eq!(
            ours.net_bytes,
            theirs.bytes_allocated as i64 - theirs.bytes_deallocated as i64,
            "{name}: net bytes"
        );
        if theirs.reallocations == 0 {
            assert_eq!(ours.alloc_bytes, theirs.bytes_allocated as u64, "{name}");
        }
    }
}
