//! Threads beyond [`THREAD_SLOTS`] keep exact memory columns once earlier threads have ended:
//! an ended thread's heap slot goes to the next thread, its counts with it. Its own binary (it
//! installs the counting allocator and reads the process's live heap).

mod common;

use common::{function, record};
use lablink_prof::{CountingAlloc, THREAD_SLOTS, line_profile, process_live_bytes, recorder_bytes};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

const KIB: usize = 1024;

#[rustfmt::skip] // the `// L:` tag must stay on its line
#[line_profile]
fn a_kibibyte() -> Box<[u8]> {
    vec![7u8; KIB].into_boxed_slice() // L:alloc
}

#[test]
fn threads_started_one_after_another_beyond_the_slot_count_are_all_counted() {
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
        .copied()
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
