//! Exact heap figures per line, and the heap assertions. Its own binary: it installs the
//! counting allocator.

mod common;

use common::{function, record};
use lablink_prof::{CountingAlloc, LineProfile, line_profile};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

fn line(f: &lablink_prof::FunctionProfile, tag: &str) -> LineProfile {
    let n = f.line_containing(tag).unwrap_or_else(|| panic!("no {tag}"));
    f.line(n).cloned().unwrap_or_default()
}

const MIB: usize = 1 << 20;

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn one_mebibyte() -> usize {
    let v = vec![0u8; 1 << 20]; // L:alloc
    let n = v.len(); // L:len
    drop(v); // L:drop
    n
}

#[test]
fn a_mebibyte_is_a_mebibyte_exactly_even_with_another_thread_allocating() {
    record();
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
    static STOP: AtomicBool = AtomicBool::new(false);
    static NOISE: AtomicU64 = AtomicU64::new(0);
    let noise = std::thread::spawn(|| {
        while !STOP.load(Relaxed) {
            NOISE.fetch_add(std::hint::black_box(vec![1u8; 4096]).len() as u64, Relaxed);
        }
    });
    while NOISE.load(Relaxed) < 100 * 4096 {
        std::thread::yield_now();
    }
    let before = NOISE.load(Relaxed);
    for _ in 0..20 {
        assert_eq!(one_mebibyte(), MIB);
    }
    let during = NOISE.load(Relaxed) - before;
    STOP.store(true, Relaxed);
    noise.join().unwrap();
    eprintln!("the other thread allocated {during} bytes meanwhile");

    let f = function("one_mebibyte");
    let alloc = line(&f, "L:alloc");
    assert_eq!(alloc.alloc_bytes, 20 * MIB as u64);
    assert_eq!(alloc.freed_bytes, 0);
    assert_eq!(alloc.net_bytes, 20 * MIB as i64);
    assert_eq!(alloc.allocs, 20);
    assert_eq!(alloc.peak_bytes, MIB as u64);
    assert!(alloc.mem_usage_bytes >= MIB as u64);
    let len = line(&f, "L:len");
    assert_eq!((len.alloc_bytes, len.freed_bytes, len.allocs), (0, 0, 0));
    let dropped = line(&f, "L:drop");
    assert_eq!(dropped.net_bytes, -20 * MIB as i64);
    assert_eq!(dropped.freed_bytes, 20 * MIB as u64);
    assert_eq!(dropped.peak_bytes, 0);
    let profile = lablink_prof::snapshot();
    assert!(profile.heap_counted);
}

#[line_profile]
fn spike_in_a_callee() -> usize {
    let n = make_and_drop(); // L:spike
    n
}

fn make_and_drop() -> usize {
    let big = vec![1u8; 3 * MIB];
    big.iter().filter(|&&b| b == 1).count()
}

#[test]
fn a_spike_that_comes_and_goes_within_a_line_shows_as_peak_not_increment() {
    record();
    assert_eq!(spike_in_a_callee(), 3 * MIB);
    let f = function("spike_in_a_callee");
    let l = line(&f, "L:spike");
    assert_eq!(l.alloc_bytes, 3 * MIB as u64);
    assert_eq!(l.net_bytes, 0);
    assert_eq!(l.peak_bytes, 3 * MIB as u64);
}

#[line_profile]
fn grows(n: usize) -> Vec<u64> {
    let mut v = Vec::new();
    for i in 0..n {
        v.push(i as u64); // L:push
    }
    v
}

#[test]
fn realloc_growth_of_a_vec_is_counted_as_its_capacities() {
    record();
    // The capacities a Vec<u64> goes through, found with the same pushes.
    let mut caps = Vec::new();
    let mut probe: Vec<u64> = Vec::new();
    for i in 0..1000 {
        probe.push(i);
        if caps.last() != Some(&probe.capacity()) {
            caps.push(probe.capacity());
        }
    }
    let allocated: u64 = caps.iter().map(|c| *c as u64 * 8).sum();
    let freed: u64 = caps[..caps.len() - 1].iter().map(|c| *c as u64 * 8).sum();

    // The first call on a thread allocates its table; that is not the function's.
    let _ = grows(0);
    let (v, stats) = lablink_prof::measure(|| grows(1000));
    assert_eq!(v.capacity(), *caps.last().unwrap());
    assert_eq!(stats.alloc_bytes, allocated);
    assert_eq!(stats.freed_bytes, freed);
    assert_eq!(stats.net_bytes, v.capacity() as i64 * 8);
    assert_eq!(stats.allocs, caps.len() as u64);

    let f = function("grows");
    let push = line(&f, "L:push");
    assert_eq!(push.alloc_bytes, allocated);
    assert_eq!(push.freed_bytes, freed);
    assert_eq!(push.allocs, caps.len() as u64);
}

static CACHE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn leaky(kind: u8) -> usize {
    match kind {
        0 => Box::leak(Box::new([7u8; 100])).len(), // L:boxleak
        1 => {
            let v = vec![1u32; 50]; // L:forget
            let n = v.len();
            std::mem::forget(v);
            n
        }
        _ => {
            let entry = format!("entry {kind:>40}"); // L:cache
            let mut cache = CACHE.lock().unwrap();
            cache.push(entry);
            cache.len()
        }
    }
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).unwrap_err();
    err.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn planted_leaks_are_caught_and_named_by_line() {
    record();
    // Warm up: the first call allocates the thread's tables, which are not leaks of `leaky`.
    let _ = leaky(0);
    let _ = leaky(2);
    let file = file!();

    let msg = panic_message(|| {
        lablink_prof::assert_no_leaks!(leaky(0));
    });
    let line = function("leaky").line_containing("L:boxleak").unwrap();
    assert!(msg.contains("100 bytes in 1 blocks still live"), "{msg}");
    assert!(
        msg.contains(&format!("heap_lines::leaky ({file}:{line})")),
        "{msg}"
    );

    let msg = panic_message(|| {
        lablink_prof::assert_no_leaks!(leaky(1));
    });
    let line = function("leaky").line_containing("L:forget").unwrap();
    assert!(msg.contains("200 bytes in 1 blocks"), "{msg}");
    assert!(msg.contains(&format!("({file}:{line})")), "{msg}");

    let msg = panic_message(|| {
        lablink_prof::assert_no_leaks!(leaky(3));
    });
    let line = function("leaky").line_containing("L:cache").unwrap();
    assert!(msg.contains(&format!("({file}:{line})")), "{msg}");
}

#[test]
fn clean_code_passes_the_leak_check_and_budgets_are_enforced() {
    record();
    let stats = lablink_prof::assert_no_leaks!({
        let v: Vec<u64> = (0..100).collect();
        v.iter().sum::<u64>()
    });
    assert_eq!(stats.allocs, 1);
    assert_eq!(stats.alloc_bytes, 800);
    assert_eq!(stats.net_bytes, 0);

    lablink_prof::assert_max_bytes!(800, vec![0u64; 100]);
    let msg = panic_message(|| {
        lablink_prof::assert_max_bytes!(799, vec![0u64; 100]);
    });
    assert!(
        msg.contains("allocated 800 bytes, more than the 799 allowed"),
        "{msg}"
    );

    lablink_prof::assert_max_allocs!(2, (vec![1u8], vec![2u8]));
    let msg = panic_message(|| {
        lablink_prof::assert_max_allocs!(1, (vec![1u8], vec![2u8]));
    });
    assert!(
        msg.contains("2 allocations, more than the 1 allowed"),
        "{msg}"
    );

    lablink_prof::assert_no_alloc!(std::hint::black_box(2u64).pow(10));
    let msg = panic_message(|| {
        lablink_prof::assert_no_alloc!(String::from("x"));
    });
    assert!(msg.contains("expected no allocation, got 1"), "{msg}");
}

#[test]
fn parallel_tests_do_not_disturb_each_other() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                for _ in 0..200 {
                    let stats = lablink_prof::assert_no_leaks!(vec![0u8; 1000 + i]);
                    assert_eq!(stats.alloc_bytes, 1000 + i as u64);
                    assert_eq!(stats.allocs, 1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn memory_freed_on_another_thread_counts_there() {
    // Allocated here, freed on another thread: here it is still live...
    let (_, here) = lablink_prof::measure(|| {
        let v = vec![0u8; 4096];
        std::thread::spawn(move || drop(v)).join().unwrap();
    });
    assert!(here.alloc_bytes >= 4096);
    assert!(here.net_bytes >= 4096, "{here:?}");
    // ...and the thread that frees it sees a negative net.
    let v = vec![0u8; 8192];
    let there = std::thread::spawn(move || lablink_prof::measure(move || drop(v)).1)
        .join()
        .unwrap();
    assert_eq!(there.freed_bytes, 8192);
    assert_eq!(there.net_bytes, -8192);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn for_the_layouts() -> usize {
    let v = vec![0u8; 1 << 20]; // L:mpalloc
    let n = v.len();
    drop(v); // L:mpdrop
    n
}

#[test]
fn the_memory_profiler_layout_shows_exact_mebibytes() {
    record();
    for _ in 0..3 {
        let _ = for_the_layouts();
    }
    let profile = lablink_prof::snapshot();
    let text = lablink_prof::report::render(&profile, lablink_prof::ReportFormat::MemoryProfiler);
    let header = "Line #    Mem usage    Increment  Occurrences   Line Contents";
    assert!(
        text.contains(&format!("{header}\n{}\n", "=".repeat(61))),
        "{text}"
    );
    // Summed over hits, as memory_profiler sums: +1 MiB, then -1 MiB, per call.
    let row = |tag: &str| text.lines().find(|l| l.ends_with(tag)).unwrap().to_owned();
    assert!(
        row("L:mpalloc").contains("      3.0 MiB           3   "),
        "{text}"
    );
    assert!(
        row("L:mpdrop").contains("     -3.0 MiB           3   "),
        "{text}"
    );
    let table = lablink_prof::report::render(&profile, lablink_prof::ReportFormat::Table);
    let f = function("for_the_layouts");
    let by_number = |tag: &str| {
        let n = format!("{} ", f.line_containing(tag).unwrap());
        table
            .lines()
            .find(|l| l.trim_start().starts_with(&n))
            .unwrap()
            .to_owned()
    };
    let alloc_row = by_number("L:mpalloc");
    assert!(
        alloc_row.contains("3.00 MiB") && alloc_row.contains("+3.00 MiB"),
        "{alloc_row}"
    );
    let drop_row = by_number("L:mpdrop");
    assert!(drop_row.contains("-3.00 MiB"), "{drop_row}");
}

/// Allocations made before `main`: this runs from the ELF constructor list.
#[cfg(target_os = "linux")]
mod before_main {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    pub static ALLOCATED_BEFORE_MAIN: AtomicU64 = AtomicU64::new(0);

    extern "C" fn allocate_before_main() {
        let region = lablink_prof::HeapRegion::start();
        drop(std::hint::black_box(vec![0u8; 777]));
        ALLOCATED_BEFORE_MAIN.store(region.finish().alloc_bytes, Relaxed);
    }

    #[used]
    #[unsafe(link_section = ".init_array")]
    static CONSTRUCTOR: extern "C" fn() = allocate_before_main;
}

#[cfg(target_os = "linux")]
#[test]
fn allocations_before_main_are_counted() {
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!(before_main::ALLOCATED_BEFORE_MAIN.load(Relaxed), 777);
}

#[test]
fn allocations_in_thread_local_destructors_are_counted_without_panicking() {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    static FREED_AT_EXIT: AtomicU64 = AtomicU64::new(0);

    struct AllocatesOnDrop;
    impl Drop for AllocatesOnDrop {
        fn drop(&mut self) {
            // The thread's other locals may be gone; the counting allocator still counts.
            let region = lablink_prof::HeapRegion::start();
            drop(std::hint::black_box(vec![1u8; 333]));
            FREED_AT_EXIT.store(region.finish().freed_bytes, Relaxed);
        }
    }
    thread_local! {
        static GUARD: AllocatesOnDrop = const { AllocatesOnDrop };
    }
    std::thread::spawn(|| GUARD.with(|_| ())).join().unwrap();
    assert_eq!(FREED_AT_EXIT.load(Relaxed), 333);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn allocates_across_awaits(rounds: usize) -> usize {
    let mut kept = 0;
    for _ in 0..rounds {
        let v = vec![7u8; 1000]; // L:async_alloc
        tokio::task::yield_now().await; // L:async_yield
        kept += v.len(); // L:async_use
    }
    kept
}

#[test]
fn an_async_fn_hopping_between_workers_counts_its_own_memory_exactly() {
    record();
    let kept: usize = common::on_two_workers(8, || allocates_across_awaits(50))
        .into_iter()
        .sum();
    assert_eq!(kept, 8 * 50 * 1000);
    let f = function("allocates_across_awaits");
    let alloc = line(&f, "L:async_alloc");
    assert_eq!(alloc.hits, 400);
    assert_eq!(alloc.alloc_bytes, 400 * 1000);
    assert_eq!(alloc.allocs, 400);
    // The other tasks' 1000-byte buffers, allocated while this one waited, are not on its
    // lines (tokio's own bookkeeping when the yield is first polled is: a few small blocks).
    let yielded = line(&f, "L:async_yield");
    assert!(yielded.alloc_bytes < 1000, "{yielded:?}");
    assert!(yielded.wait_ns > 0);
}

#[line_profile]
fn spike_in_another_callee() -> usize {
    make_and_drop()
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn spike_after_a_profiled_callee() -> usize {
    let a = spike_in_another_callee(); // L:inner_call
    let b = make_and_drop(); // L:after_inner
    a + b
}

/// As `allocates_across_awaits`, for another test: each test reads its own functions' totals.
#[line_profile]
async fn awaits_a_few_times(rounds: usize) -> usize {
    let mut kept = 0;
    for _ in 0..rounds {
        let v = vec![7u8; 1000];
        tokio::task::yield_now().await;
        kept += v.len();
    }
    kept
}

#[line_profile]
fn panics_in_a_profiled_callee() {
    panic!("on purpose");
}

/// The allocator keeps the heap's peak only while a profiled call is open on the thread (or a
/// region, which keeps its own). Every way a profiled call ends gives its measurement back, and
/// only its own: a spike after one, inside a region still open, is still seen.
#[test]
fn a_spike_after_a_profiled_call_ends_is_still_seen_by_the_measurement_around_it() {
    record();
    assert_eq!(spike_after_a_profiled_callee(), 6 * MIB);
    let f = function("spike_after_a_profiled_callee");
    assert_eq!(line(&f, "L:inner_call").peak_bytes, 3 * MIB as u64);
    assert_eq!(line(&f, "L:after_inner").peak_bytes, 3 * MIB as u64);

    let (_, unwound) = lablink_prof::measure(|| {
        assert!(std::panic::catch_unwind(panics_in_a_profiled_callee).is_err());
        make_and_drop()
    });
    assert!(unwound.peak_bytes >= 3 * MIB as u64, "{unwound:?}");

    let (_, awaited) = lablink_prof::measure(|| {
        assert_eq!(common::block_on(awaits_a_few_times(3)), 3000);
        make_and_drop()
    });
    assert!(awaited.peak_bytes >= 3 * MIB as u64, "{awaited:?}");
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn region_across_lines() -> lablink_prof::HeapStats {
    let region = { drop(vec![1u8; 2 * MIB]); lablink_prof::HeapRegion::start() }; // L:region_start
    let v = vec![1u8; MIB]; // L:region_alloc
    drop(v); // L:region_drop
    let stats = region.finish(); // L:region_finish
    drop(vec![1u8; MIB / 2]); // L:after_region
    stats
}

#[test]
fn a_region_across_lines_of_a_profiled_function_sees_its_peak() {
    record();
    let stats = region_across_lines();
    assert_eq!(stats.alloc_bytes, MIB as u64);
    assert_eq!(stats.net_bytes, 0);
    assert_eq!(stats.peak_bytes, MIB as u64);
    let f = function("region_across_lines");
    // The spike before the region began in its line is the line's, not the region's.
    assert_eq!(line(&f, "L:region_start").peak_bytes, 2 * MIB as u64);
    assert_eq!(line(&f, "L:region_alloc").peak_bytes, MIB as u64);
    assert_eq!(line(&f, "L:region_drop").peak_bytes, 0);
    assert_eq!(line(&f, "L:region_finish").peak_bytes, 0);
    assert_eq!(line(&f, "L:after_region").peak_bytes, MIB as u64 / 2);
    // The call as a whole, seen from a measurement around it, rose by its highest spike.
    let (_, around) = lablink_prof::measure(region_across_lines);
    assert_eq!(around.peak_bytes, 2 * MIB as u64);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn quiet_lines_between() -> (lablink_prof::HeapStats, usize) {
    let kept = vec![1u8; MIB]; // L:q_alloc
    let n = std::hint::black_box(kept.len()); // L:q_quiet_1
    let region = lablink_prof::HeapRegion::start(); // L:q_region_start
    let m = std::hint::black_box(n + 1); // L:q_quiet_2
    let stats = { drop(vec![2u8; MIB / 4]); region.finish() }; // L:q_region_finish
    let k = std::hint::black_box(m + 1); // L:q_quiet_3
    drop(kept); // L:q_free
    (stats, k)
}

/// Lines that neither allocate nor free take a shorter path at their end: the lines around them,
/// and a region across them, keep their exact figures.
#[test]
fn lines_that_neither_allocate_nor_free_leave_every_figure_exact() {
    record();
    let (stats, k) = quiet_lines_between();
    assert_eq!(k, MIB + 2);
    assert_eq!(
        (
            stats.alloc_bytes,
            stats.freed_bytes,
            stats.allocs,
            stats.peak_bytes
        ),
        (MIB as u64 / 4, MIB as u64 / 4, 1, MIB as u64 / 4)
    );
    let f = function("quiet_lines_between");
    let figures = |tag: &str| {
        let l = line(&f, tag);
        (l.hits, l.alloc_bytes, l.freed_bytes, l.allocs, l.peak_bytes)
    };
    let quarter = MIB as u64 / 4;
    assert_eq!(figures("L:q_alloc"), (1, MIB as u64, 0, 1, MIB as u64));
    for quiet in [
        "L:q_quiet_1",
        "L:q_region_start",
        "L:q_quiet_2",
        "L:q_quiet_3",
    ] {
        assert_eq!(figures(quiet), (1, 0, 0, 0, 0), "{quiet}");
    }
    assert_eq!(
        figures("L:q_region_finish"),
        (1, quarter, quarter, 1, quarter)
    );
    assert_eq!(figures("L:q_free"), (1, 0, MIB as u64, 0, 0));
}

#[line_profile]
fn sets_up_recording() {}

#[line_profile]
fn never_called_before(n: usize) -> usize {
    let v = vec![0u8; n];
    v.len()
}

#[line_profile]
fn never_called_before_either(n: usize) -> Vec<u8> {
    vec![0u8; n]
}

#[rustfmt::skip] // the `// L:` tag must stay on its line
#[line_profile]
fn calls_a_function_the_first_time() -> usize {
    let v = never_called_before_either(100); // L:first_call
    v.len()
}

/// A profiled function's first call on a thread registers its line table: the recorder's own
/// memory, which shows on no line of the program and in no heap region or assertion.
#[test]
fn a_profiled_functions_first_call_shows_only_the_programs_memory() {
    record();
    // The process's first recorded call also sets up the report at exit, once: counted.
    sets_up_recording();
    let (n, first) = lablink_prof::measure(|| never_called_before(10));
    assert_eq!(n, 10);
    assert_eq!((first.allocs, first.frees), (1, 1));
    assert_eq!((first.alloc_bytes, first.net_bytes), (10, 0));
    assert_eq!(first.peak_bytes, 10);
    lablink_prof::assert_no_leaks!(calls_a_function_the_first_time());
    let f = function("calls_a_function_the_first_time");
    let call = line(&f, "L:first_call");
    assert_eq!((call.allocs, call.alloc_bytes), (1, 100));
    assert!(lablink_prof::diagnostics::recorder_bytes() > 0);
}

#[rustfmt::skip] // the `// L:` tag must stay on its line
#[line_profile]
fn measures_inside() -> u64 {
    let (_, inner) = lablink_prof::measure(|| drop(vec![0u8; 100])); // L:measure_inside
    inner.alloc_bytes
}

/// A heap region tracks live blocks in a table of half a mebibyte: the recorder's memory, which
/// shows neither in the region around it nor on the profiled line that runs it.
#[test]
fn a_heap_region_inside_a_measurement_shows_only_the_programs_memory() {
    record();
    sets_up_recording();
    let (inner_bytes, outer) = lablink_prof::measure(measures_inside);
    assert_eq!(inner_bytes, 100);
    assert_eq!(
        (outer.allocs, outer.alloc_bytes, outer.net_bytes),
        (1, 100, 0)
    );
    assert_eq!(outer.peak_bytes, 100);
    let f = function("measures_inside");
    let l = line(&f, "L:measure_inside");
    assert_eq!((l.allocs, l.alloc_bytes, l.peak_bytes), (1, 100, 100));
}
