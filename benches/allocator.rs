//! The counting allocator against the system allocator, stats_alloc and dhat, on 1 and 2
//! threads:
//! a 64-byte allocation and its free, through each allocator's `GlobalAlloc` methods.
//!
//! `cargo bench --bench allocator`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::time::{Duration, Instant};

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use lablink_prof::CountingAlloc;
use stats_alloc::StatsAlloc;

static COUNTING: CountingAlloc = CountingAlloc::system();
static STATS_ALLOC: StatsAlloc<System> = StatsAlloc::system();
static DHAT: dhat::Alloc = dhat::Alloc;
static COUNTING_DHAT: CountingAlloc<dhat::Alloc> = CountingAlloc::new(dhat::Alloc);

const LAYOUT: Layout = match Layout::from_size_align(64, 8) {
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

/// Time for `iters` pairs on each of `threads` threads at once, per pair of one thread.
fn on_threads<A: GlobalAlloc + Sync>(a: &'static A, threads: usize, iters: u64) -> Duration {
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                s.spawn(move || {
                    pair(a); // claim the thread's slot, warm the allocator's caches
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        pair(a);
                    }
                    start.elapsed()
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
            b.iter_custom(|n| on_threads(&System, threads, n))
        });
        g.bench_function("CountingAlloc<System>", |b| {
            b.iter_custom(|n| on_threads(&COUNTING, threads, n))
        });
        g.bench_function("stats_alloc StatsAlloc<System>", |b| {
            b.iter_custom(|n| on_threads(&STATS_ALLOC, threads, n))
        });
        {
            // dhat records only while its profiler runs (testing mode: no file is written).
            let _profiler = dhat::Profiler::builder().testing().build();
            g.bench_function("dhat::Alloc (profiling)", |b| {
                b.iter_custom(|n| on_threads(&DHAT, threads, n))
            });
            g.bench_function("CountingAlloc<dhat::Alloc> (profiling)", |b| {
                b.iter_custom(|n| on_threads(&COUNTING_DHAT, threads, n))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, malloc_free);
criterion_main!(benches);
