//! The counting allocator against the system allocator, stats_alloc and dhat, on 1 and 2
//! threads:
//! a 64-byte allocation and its free, through each allocator's `GlobalAlloc` methods inlined
//! into the timing loop, and through entry points made as `#[global_allocator]` makes
//! `__rust_alloc` and `__rust_dealloc` (functions of their own, taking size and alignment), which
//! is how a program reaches its allocator.
//!
//! Three floors run beside them (see `allocators`). `allocator_paired` measures the same pairs in
//! alternating rounds, for ratios finer than this benchmark's run-to-run drift.
//!
//! `cargo bench --bench allocator`.

mod allocators;

use std::time::Duration;

use allocators::{
    CheckedSystemFloor, Counting, CountingDhat, DhatAlone, FourCountersFloor, Installed,
    OneCounterFloor, StatsAllocSystem, SystemAlone, time,
};
use criterion::{Criterion, criterion_group, criterion_main};

/// Time for `iters` pairs through `I` on each of `threads` threads at once, per pair of one
/// thread.
fn on_threads<I: Installed, const VIA_ENTRY_POINTS: bool>(threads: usize, iters: u64) -> Duration {
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                s.spawn(move || {
                    I::pair(); // claim the thread's slot, warm the allocator's caches
                    barrier.wait();
                    time::<I, VIA_ENTRY_POINTS>(iters)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap()
    })
}

fn malloc_free(c: &mut Criterion) {
    for threads in [1, 2] {
        let mut g = c.benchmark_group(format!("malloc+free 64 B, {threads} thread(s)"));
        g.bench_function("System", |b| {
            b.iter_custom(|n| on_threads::<SystemAlone, false>(threads, n))
        });
        g.bench_function("floor: System + one thread-local counter", |b| {
            b.iter_custom(|n| on_threads::<OneCounterFloor, false>(threads, n))
        });
        g.bench_function("floor: System + four thread-local counters", |b| {
            b.iter_custom(|n| on_threads::<FourCountersFloor, false>(threads, n))
        });
        g.bench_function("CountingAlloc<System>", |b| {
            b.iter_custom(|n| on_threads::<Counting, false>(threads, n))
        });
        g.bench_function("stats_alloc StatsAlloc<System>", |b| {
            b.iter_custom(|n| on_threads::<StatsAllocSystem, false>(threads, n))
        });
        g.bench_function("System via entry points", |b| {
            b.iter_custom(|n| on_threads::<SystemAlone, true>(threads, n))
        });
        g.bench_function("floor: System, its answer checked, via entry points", |b| {
            b.iter_custom(|n| on_threads::<CheckedSystemFloor, true>(threads, n))
        });
        g.bench_function("CountingAlloc<System> via entry points", |b| {
            b.iter_custom(|n| on_threads::<Counting, true>(threads, n))
        });
        {
            // dhat records only while its profiler runs (testing mode: no file is written).
            let _profiler = dhat::Profiler::builder().testing().build();
            g.bench_function("dhat::Alloc (profiling)", |b| {
                b.iter_custom(|n| on_threads::<DhatAlone, false>(threads, n))
            });
            g.bench_function("CountingAlloc<dhat::Alloc> (profiling)", |b| {
                b.iter_custom(|n| on_threads::<CountingDhat, false>(threads, n))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, malloc_free);
criterion_main!(benches);
