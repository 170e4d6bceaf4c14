//! Recording one statement with the memory columns on (the counting allocator installed),
//! beside a raw timestamp-counter read in the same run.
//!
//! `cargo bench --bench line_recording_heap`.

mod common;

use common::{MARKER, SITE, raw_tsc};

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use lablink_prof::__private::Frame;
use lablink_prof::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

fn statement_with_heap(c: &mut Criterion) {
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    drop(black_box(vec![0u8; 16])); // the allocator has served this thread: memory is counted
    assert!(lablink_prof::heap_is_counted());
    let mut g = c.benchmark_group("statement, memory columns on");
    g.bench_function("rdtsc (reference)", |b| b.iter(|| black_box(raw_tsc())));
    let frame = Frame::enter_sync(&SITE, MARKER);
    g.bench_function("record one statement with memory", |b| {
        b.iter(|| frame.enter(black_box(1)))
    });
    g.finish();
    drop(frame);
}

criterion_group!(benches, statement_with_heap);
criterion_main!(benches);
