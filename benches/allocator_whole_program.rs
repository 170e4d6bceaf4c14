//! The counting allocator on whole allocation-heavy workloads, against the system allocator and
//! stats_alloc, in pairs, on 1 and 2 threads.
//!
//! A program has one global allocator, so this binary installs one that dispatches each call, on
//! a static the harness sets before each timed run, to `System`, to `CountingAlloc::system()` or
//! to stats_alloc's `StatsAlloc<System>`. All three hand blocks to the same `malloc`, so a block
//! may be freed under another variant than the one that allocated it (only the counts of a
//! variant that is not being timed drift). The dispatch is one load of the static and a
//! predicted branch per call, the same for the three; its cost is measured and printed: a
//! 64-byte `alloc` and `dealloc` pair through `std::alloc` (the shim, the dispatch, `System`)
//! against the same pair through `System` directly.
//!
//! A fourth variant runs the counting allocator with the workload called from a
//! `#[line_profile]` function, recording on: the path allocations take inside profiled code.
//!
//! The workloads, each unlike the others:
//! - **strings**: a map of 60,000 string keys with vector values is built, cloned, regrouped in a
//!   `HashMap`, its upper-cased keys sorted, and everything dropped;
//! - **parser**: a 1.3 MB JSON text (made once, outside the timing) is parsed into a
//!   `serde_json::Value` tree, walked, and dropped;
//! - **cross-thread**: a producer thread allocates 40,000 blocks of 8 to 4,096 bytes (strings and
//!   vectors) and sends them over a channel to a consumer thread that frees them.
//!
//! Each round times every variant once for every workload, the variants one right after the
//! other in an order that rotates from round to round. With 2 threads both threads run the same
//! variant at once (the cross-thread workload: two producer-consumer pairs) and the round takes
//! the slower. A figure is the median of the rounds' ratios to `System`, with a 95% bootstrap
//! interval.
//!
//! With `LABLINK_PROFILING=1 LABLINK_PROFILE_HEAP=track` in the environment, the counting
//! variant also tracks every block by line for the whole process: the cost of tracking.
//!
//! `cargo bench --bench allocator_whole_program` (about 45 seconds on 2 cores). Run without `--bench`
//! (as `cargo test --benches` does), it runs two rounds as a check, which also asserts that the
//! counting allocator counted the workload's allocations.

mod paired;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::time::{Duration, Instant};

use lablink_prof::CountingAlloc;
use paired::{median, ratio_with_interval};
use stats_alloc::StatsAlloc;

static COUNTING: CountingAlloc = CountingAlloc::system();
static STATS_ALLOC: StatsAlloc<System> = StatsAlloc::system();

/// The variant the global allocator dispatches to: an index into `VARIANTS`.
static VARIANT: AtomicU8 = AtomicU8::new(0);

const VARIANTS: [&str; 4] = [
    "System",
    "CountingAlloc::system()",
    "stats_alloc",
    "CountingAlloc, profiled call",
];
/// `VARIANTS.len()`.
const V: usize = VARIANTS.len();

/// The global allocator: `System`, `COUNTING` or `STATS_ALLOC`, as `VARIANT` says.
struct Dispatch;

// SAFETY: every method forwards its arguments unchanged to one of three allocators that all hand
// out and take back `System`'s blocks, and returns its answer unchanged.
unsafe impl GlobalAlloc for Dispatch {
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe {
            match VARIANT.load(Relaxed) {
                0 => System.alloc(layout),
                1 | 3 => COUNTING.alloc(layout),
                _ => STATS_ALLOC.alloc(layout),
            }
        }
    }

    #[inline(always)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe {
            match VARIANT.load(Relaxed) {
                0 => System.alloc_zeroed(layout),
                1 | 3 => COUNTING.alloc_zeroed(layout),
                _ => STATS_ALLOC.alloc_zeroed(layout),
            }
        }
    }

    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on; every variant frees `System`'s blocks.
        unsafe {
            match VARIANT.load(Relaxed) {
                0 => System.dealloc(ptr, layout),
                1 | 3 => COUNTING.dealloc(ptr, layout),
                _ => STATS_ALLOC.dealloc(ptr, layout),
            }
        }
    }

    #[inline(always)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on; every variant reallocates `System`'s blocks.
        unsafe {
            match VARIANT.load(Relaxed) {
                0 => System.realloc(ptr, layout, new_size),
                1 | 3 => COUNTING.realloc(ptr, layout, new_size),
                _ => STATS_ALLOC.realloc(ptr, layout, new_size),
            }
        }
    }
}

#[global_allocator]
static GLOBAL: Dispatch = Dispatch;

/// A deterministic generator (xorshift64*), so that every variant gets the same work.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Collections of strings: build, clone, regroup, sort upper-cased keys, drop. Returns a checksum.
fn strings(seed: u64) -> u64 {
    let mut rng = Rng(seed | 1);
    let mut map: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for i in 0..60_000u32 {
        let key = format!("key-{:x}-{i}", rng.next() % 100_000);
        let values = (0..(rng.next() % 8) as u32).map(|v| v * i).collect();
        map.insert(key, values);
    }
    let copy = map.clone();
    let mut groups: HashMap<usize, Vec<(String, Vec<u32>)>> = HashMap::new();
    for (k, v) in copy {
        groups.entry(k.len() % 13).or_default().push((k, v));
    }
    let mut upper: Vec<String> = map.keys().map(|k| k.to_uppercase()).collect();
    upper.sort_unstable();
    let sum = upper.len() as u64 + groups.values().map(Vec::len).sum::<usize>() as u64;
    black_box((map, groups, upper));
    sum
}

/// A JSON document of about 1.3 MB: an array of records with strings, numbers and nested arrays.
fn json_text() -> String {
    let mut rng = Rng(0x5eed);
    let mut out = String::from("[");
    for i in 0..6_000 {
        if i > 0 {
            out.push(',');
        }
        let tags: Vec<String> = (0..rng.next() % 6)
            .map(|t| format!("\"tag-{t}-{}\"", rng.next() % 1000))
            .collect();
        out.push_str(&format!(
            "{{\"id\":{i},\"name\":\"instrument {}\",\"reading\":{}.{},\"tags\":[{}],\
             \"meta\":{{\"serial\":\"SN{:08x}\",\"channels\":[{},{},{}]}}}}",
            rng.next() % 10_000,
            rng.next() % 1000,
            rng.next() % 1000,
            tags.join(","),
            rng.next() as u32,
            rng.next() % 16,
            rng.next() % 16,
            rng.next() % 16,
        ));
    }
    out.push(']');
    out
}

/// A parser building a tree: the JSON text parsed into a `Value`, walked, dropped.
fn parser(text: &str) -> u64 {
    fn walk(v: &serde_json::Value) -> u64 {
        match v {
            serde_json::Value::Array(items) => 1 + items.iter().map(walk).sum::<u64>(),
            serde_json::Value::Object(fields) => {
                1 + fields
                    .iter()
                    .map(|(k, v)| k.len() as u64 + walk(v))
                    .sum::<u64>()
            }
            serde_json::Value::String(s) => s.len() as u64,
            _ => 1,
        }
    }
    let tree: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
    walk(&tree)
}

/// Many blocks allocated on one thread and freed on another.
fn cross_thread(seed: u64) -> u64 {
    enum Block {
        Text(String),
        Bytes(Vec<u8>),
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Block>>(64);
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut rng = Rng(seed | 1);
            for _ in 0..1_000 {
                let batch = (0..40)
                    .map(|_| {
                        let size = 8 << (rng.next() % 10);
                        if rng.next().is_multiple_of(2) {
                            Block::Text("x".repeat(size))
                        } else {
                            Block::Bytes(vec![1u8; size])
                        }
                    })
                    .collect();
                tx.send(batch).expect("the consumer waits");
            }
        });
        let consumer = s.spawn(move || {
            let mut total = 0u64;
            for batch in rx {
                for block in batch {
                    total += match block {
                        Block::Text(t) => t.len() as u64,
                        Block::Bytes(b) => b.len() as u64,
                    };
                }
            }
            total
        });
        consumer.join().expect("the consumer finishes")
    })
}

const WORKLOADS: [&str; 3] = ["strings", "parser", "cross-thread"];

/// A workload run from a `#[line_profile]` function with recording on: the calling thread's
/// allocations take the counting allocator's path inside profiled code, which keeps the heap's
/// peak for the line (threads the workload starts are not in a profiled call).
#[lablink_prof::line_profile]
fn profiled_workload(workload: usize, text: &str, seed: u64) -> u64 {
    run_workload(workload, text, seed)
}

fn run_workload(workload: usize, text: &str, seed: u64) -> u64 {
    match workload {
        0 => strings(seed),
        1 => parser(text),
        _ => cross_thread(seed),
    }
}

/// One round: each workload under each variant on `threads` threads at once, in an order that
/// rotates with `round`. Returns `[workload][variant]` times, the slowest thread's.
fn round(threads: usize, round: usize, text: &str) -> [[Duration; V]; 3] {
    let mut times = [[Duration::ZERO; V]; 3];
    let barrier = Barrier::new(threads);
    for (workload, row) in times.iter_mut().enumerate() {
        for k in 0..VARIANTS.len() {
            let variant = (round + k) % VARIANTS.len();
            VARIANT.store(variant as u8, Relaxed);
            let slowest = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let barrier = &barrier;
                        s.spawn(move || {
                            barrier.wait();
                            let start = Instant::now();
                            let seed = (round * 7 + t) as u64;
                            if variant == 3 {
                                black_box(profiled_workload(workload, text, seed));
                            } else {
                                black_box(run_workload(workload, text, seed));
                            }
                            start.elapsed()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a workload thread"))
                    .max()
                    .expect("at least one thread")
            });
            row[variant] = slowest;
        }
    }
    VARIANT.store(0, Relaxed);
    times
}

/// The dispatch's own cost: nanoseconds per 64-byte pair through `std::alloc` (the shim, the
/// dispatch, `System`) and through `System` directly, the median of 41 alternating rounds.
fn dispatch_cost() -> (f64, f64) {
    const PAIRS: u32 = 200_000;
    let layout = Layout::from_size_align(64, 8).expect("valid");
    VARIANT.store(0, Relaxed);
    let time = |through_shim: bool| {
        let start = Instant::now();
        for _ in 0..PAIRS {
            // SAFETY: a non-zero layout; each block is freed once with it, by the allocator
            // that made it (both end in `System`).
            unsafe {
                let p = if through_shim {
                    std::alloc::alloc(black_box(layout))
                } else {
                    System.alloc(black_box(layout))
                };
                black_box(p);
                if through_shim {
                    std::alloc::dealloc(p, layout)
                } else {
                    System.dealloc(p, layout)
                }
            }
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(PAIRS)
    };
    let (mut shim, mut direct) = (Vec::new(), Vec::new());
    for i in 0..41 {
        if i % 2 == 0 {
            shim.push(time(true));
            direct.push(time(false));
        } else {
            direct.push(time(false));
            shim.push(time(true));
        }
    }
    (median(shim), median(direct))
}

/// `LP_WHOLE_PROGRAM_ONLY=VARIANT,WORKLOAD,THREADS,RUNS` (indexes into `VARIANTS` and
/// `WORKLOADS`): runs that alone, for `perf stat` / `perf record` of one variant.
fn only(spec: &str, text: &str) {
    let n: Vec<usize> = spec
        .split(',')
        .map(|x| x.trim().parse().expect("VARIANT,WORKLOAD,THREADS,RUNS"))
        .collect();
    let [variant, workload, threads, runs] = n[..] else {
        panic!("LP_WHOLE_PROGRAM_ONLY=VARIANT,WORKLOAD,THREADS,RUNS");
    };
    VARIANT.store(variant as u8, Relaxed);
    let start = Instant::now();
    for run in 0..runs {
        std::thread::scope(|s| {
            for t in 0..threads {
                s.spawn(move || {
                    let seed = (run * 7 + t) as u64;
                    if variant == 3 {
                        black_box(profiled_workload(workload, text, seed))
                    } else {
                        black_box(run_workload(workload, text, seed))
                    }
                });
            }
        });
    }
    println!(
        "{} {} on {threads} thread(s): {runs} runs in {:.1} ms",
        VARIANTS[variant],
        WORKLOADS[workload],
        start.elapsed().as_secs_f64() * 1e3
    );
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    let text = json_text();
    if let Ok(spec) = std::env::var("LP_WHOLE_PROGRAM_ONLY") {
        return only(&spec, &text);
    }
    let rounds = if measuring { 61 } else { 2 };
    let warm_up = if measuring { 3 } else { 0 };
    if !measuring {
        // The check: the counting variant counts what a workload allocates on this thread.
        VARIANT.store(1, Relaxed);
        let (_, stats) = lablink_prof::measure(|| strings(1));
        VARIANT.store(0, Relaxed);
        assert!(
            stats.counted && stats.allocs > 60_000,
            "the counting variant counted the strings workload: {stats}"
        );
        assert_eq!(stats.net_bytes, 0, "the workload drops everything: {stats}");
    }
    if lablink_prof::diagnostics::heap_is_tracked() {
        println!(
            "LABLINK_PROFILE_HEAP=track: the counting variant tracks every block by line \
             (outside profiled code here)"
        );
    }
    let (shim, direct) = dispatch_cost();
    println!(
        "dispatch: a 64 B alloc+dealloc through the shim and the dispatch {shim:.2} ns, through \
         System directly {direct:.2} ns (median of 41 alternating runs)"
    );
    for threads in [1, 2] {
        let all: Vec<[[Duration; V]; 3]> = (0..warm_up + rounds)
            .map(|r| round(threads, r, &text))
            .skip(warm_up)
            .collect();
        println!("{threads} thread(s), {rounds} rounds:");
        for (w, name) in WORKLOADS.iter().enumerate() {
            let ms = |v: usize| median(all.iter().map(|r| r[w][v].as_secs_f64() * 1e3).collect());
            let ratios = |v: usize| -> Vec<f64> {
                all.iter()
                    .map(|r| r[w][v].as_secs_f64() / r[w][0].as_secs_f64())
                    .collect()
            };
            println!("  {name:<13} System {:8.2} ms", ms(0));
            for (v, variant) in VARIANTS.iter().enumerate().skip(1) {
                println!(
                    "  {:<13} {variant:<28} {:8.2} ms  {}",
                    "",
                    ms(v),
                    ratio_with_interval(&ratios(v))
                );
            }
        }
    }
}
