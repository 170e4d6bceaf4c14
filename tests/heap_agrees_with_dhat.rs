//! The counting allocator's figures agree with dhat's, an independent reference, on the same
//! workloads. Its own binary: the global allocator is the counting allocator over dhat's.

use std::collections::BTreeMap;

use lablink_prof::{CountingAlloc, HeapRegion, HeapStats};

#[global_allocator]
static ALLOC: CountingAlloc<dhat::Alloc> = CountingAlloc::new(dhat::Alloc);

fn workloads() -> Vec<(&'static str, fn())> {
    vec![
        ("one mebibyte", || {
            drop(std::hint::black_box(vec![0u8; 1 << 20]))
        }),
        ("vec growth by realloc", || {
            let mut v = Vec::new();
            for i in 0..5000u32 {
                v.push(i);
            }
            std::hint::black_box(v);
        }),
        ("strings and a map", || {
            let mut m = BTreeMap::new();
            for i in 0..300 {
                m.insert(format!("key {i}"), i.to_string().repeat(i % 7));
            }
            std::hint::black_box(m);
        }),
        ("a leak", || {
            std::hint::black_box(Box::leak(Box::new([1u64; 64])));
        }),
        ("kept and freed halves", || {
            let kept: Vec<Box<[u8; 100]>> = (0..50).map(|_| Box::new([0; 100])).collect();
            std::mem::forget(std::hint::black_box(kept));
        }),
    ]
}

/// Both sets of figures for one run of a workload: (ours, dhat's), each as
/// (allocations, bytes allocated, net bytes, net blocks).
type Figures = ((u64, u64, i64, i64), (u64, u64, i64, i64));

fn run(workload: fn()) -> Figures {
    let before = dhat::HeapStats::get();
    let region = HeapRegion::start();
    workload();
    let ours: HeapStats = region.finish();
    let after = dhat::HeapStats::get();
    assert!(ours.counted);
    assert!(ours.alloc_bytes > 0, "the workload allocates");
    (
        (
            ours.allocs,
            ours.alloc_bytes,
            ours.net_bytes,
            ours.net_blocks,
        ),
        (
            after.total_blocks - before.total_blocks,
            after.total_bytes - before.total_bytes,
            after.curr_bytes as i64 - before.curr_bytes as i64,
            after.curr_blocks as i64 - before.curr_blocks as i64,
        ),
    )
}

#[test]
fn counting_allocator_and_dhat_report_the_same_figures() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // A thread's first heap region allocates the entry it keeps its figures in, to reuse: the
    // recorder's memory, not counted here, but seen by dhat, which counts everything.
    drop(HeapRegion::start());
    for (name, workload) in workloads() {
        // dhat counts the whole process, this crate the thread: the test harness's own thread
        // may allocate at the same moment, so a workload gets three tries to run alone.
        let runs: Vec<Figures> = (0..3).map(|_| run(workload)).collect();
        assert!(
            runs.iter().any(|(ours, dhat)| ours == dhat),
            "{name}: (allocations, bytes, net bytes, net blocks) ours vs dhat: {runs:?}"
        );
    }
}
