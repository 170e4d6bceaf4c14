//! Threads beyond [`THREAD_SLOTS`] keep exact memory columns once earlier threads have ended:
//! an ended thread's heap slot goes to the next thread, its counts with it. With more alive at
//! once, heap regions on the threads beyond say they cannot measure. Its own binary (it installs
//! the counting allocator and reads the process's live heap).

mod common;

use std::sync::{Arc, Barrier, Mutex};

use common::{function, record};
use lablink_prof::diagnostics::{THREAD_SLOTS, process_live_bytes, recorder_bytes};
use lablink_prof::{CountingAlloc, HeapStats, line_profile};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

const KIB: usize = 1024;

/// Held by each test: one keeps more threads alive than there are slots, which the other must
/// not see.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[rustfmt::skip] // the `// L:` tag must stay on its line
#[line_profile]
fn a_kibibyte() -> Box<[u8]> {
    vec![7u8; KIB].into_boxed_slice() // L:alloc
}

#[test]
fn threads_started_one_after_another_beyond_the_slot_count_are_all_counted() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    record();
    // Set up once for the process: the recorder by a first call, thread spawning by a first
    // thread.
    drop(a_kibibyte());
    std::thread::spawn(|| ()).join().unwrap();
    let threads = THREAD_SLOTS + 100;
    let (live_before, recorder_before) = (process_live_bytes(), recorder_bytes());
    for _ in 0..threads {
        let leaked: &'static mut [u8] = std::thread::spawn(|| Box::leak(a_kibibyte()))
            .join()
            .unwrap();
        assert_eq!(leaked.len(), KIB);
    }
    let (live_after, recorder_after) = (process_live_bytes(), recorder_bytes());

    let f = function("a_kibibyte");
    let alloc = f
        .line(f.line_containing("L:alloc").unwrap())
        .cloned()
        .unwrap();
    assert_eq!(alloc.hits, threads as u64 + 1);
    // Every thread's figures, the last 100 included: none fell into the overflow slot.
    assert_eq!(alloc.allocs, threads as u64 + 1);
    assert_eq!(alloc.alloc_bytes, ((threads + 1) * KIB) as u64);
    // The leaked kibibytes still count in the process's live heap after their threads' slots
    // went to later threads, to the byte. What the recorder keeps of each thread does not: it
    // is the profiler's memory, not the program's, and `recorder_bytes` reports it.
    assert_eq!(live_after - live_before, (threads * KIB) as u64);
    assert!(recorder_after > recorder_before);
}

/// Threads beyond the slots share one, with the figures of all of them: a heap region there
/// reports nothing counted, and says why, rather than other threads' allocations as its own
/// (and a heap assertion there fails rather than passes).
#[test]
fn a_region_on_a_thread_beyond_the_slots_says_it_cannot_measure() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let beyond = 8;
    let alive = THREAD_SLOTS + beyond;
    let all_claimed = Arc::new(Barrier::new(alive));
    let threads: Vec<_> = (0..alive)
        .map(|_| {
            let all_claimed = Arc::clone(&all_claimed);
            std::thread::Builder::new()
                .stack_size(64 * KIB)
                .spawn(move || {
                    // Its first allocation claims the thread a slot, or the shared one.
                    drop(std::hint::black_box(Box::new(1u8)));
                    all_claimed.wait();
                    lablink_prof::measure(|| std::hint::black_box(vec![0u8; 100])).1
                })
                .expect("a thread")
        })
        .collect();
    let stats: Vec<HeapStats> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let (counted, not): (Vec<_>, Vec<_>) = stats.iter().partition(|s| s.counted);
    assert!(
        not.len() >= beyond,
        "{} threads beyond the slots",
        not.len()
    );
    for s in counted {
        assert_eq!((s.allocs, s.alloc_bytes, s.net_bytes), (1, 100, 100), "{s}");
    }
    for s in not {
        assert_eq!(*s, HeapStats::default());
        assert!(s.to_string().contains("share one heap slot"), "{s}");
    }
}
