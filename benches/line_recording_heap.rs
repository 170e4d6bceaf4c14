//! Recording one statement with the memory columns on (the counting allocator installed),
//! beside a raw timestamp-counter read in the same run: with no other thread, and with 256 other
//! threads alive, each holding a heap slot (the Mem usage column sums the threads' live heap).
//!
//! `cargo bench --bench line_recording_heap`.

mod common;

use common::{MARKER, SITE, raw_tsc};

use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use lablink_prof::__private::{Frame, begin_sync};
use lablink_prof::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

fn statement_with_heap(c: &mut Criterion) {
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    drop(black_box(vec![0u8; 16])); // the allocator has served this thread: memory is counted
    assert!(lablink_prof::diagnostics::heap_is_counted());
    let mut g = c.benchmark_group("statement, memory columns on");
    g.bench_function("rdtsc (reference)", |b| b.iter(|| black_box(raw_tsc())));
    let frame = std::pin::pin!(begin_sync(&SITE, MARKER));
    let frame = Frame::activate(frame);
    g.bench_function("record one statement with memory", |b| {
        b.iter(|| frame.start_line(black_box(1)))
    });
    let (stop, threads) = idle_threads(256);
    g.bench_function("the same, 256 other threads alive", |b| {
        b.iter(|| frame.start_line(black_box(1)))
    });
    g.finish();
    drop(stop);
    threads.into_iter().for_each(|t| t.join().unwrap());
}

/// `n` threads that have each allocated (and so hold a heap slot) and wait until the returned
/// sender is dropped.
fn idle_threads(n: usize) -> (Sender<()>, Vec<JoinHandle<()>>) {
    let (stop, stopped) = channel::<()>();
    let stopped = Arc::new(Mutex::new(stopped));
    let (ready, all_ready) = channel();
    let threads = (0..n)
        .map(|_| {
            let (stopped, ready) = (Arc::clone(&stopped), ready.clone());
            std::thread::spawn(move || {
                drop(black_box(vec![0u8; 8]));
                ready.send(()).unwrap();
                let _ = stopped.lock().unwrap().recv();
            })
        })
        .collect();
    (0..n).for_each(|_| all_ready.recv().unwrap());
    (stop, threads)
}

criterion_group!(benches, statement_with_heap);
criterion_main!(benches);
