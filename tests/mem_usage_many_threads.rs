//! Mem usage with more threads alive than a line end sums every time (16 slots): the line's own
//! thread counts exactly at once, and the other threads' live heap is summed again once a short
//! time has passed (a few dozen clock ticks per slot in use). Its own binary without the test
//! harness, so that no thread but these allocates while the figures are compared. It runs in
//! exact mode, then again in sampled mode in a process of its own.

mod common;

use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use common::{function, record};
use lablink_prof::diagnostics::process_live_bytes;
use lablink_prof::{CountingAlloc, TimeMode, line_profile};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

const MIB: usize = 1 << 20;

/// Idle threads alive: each has allocated (so holds a slot) and waits.
const THREADS: usize = 64;

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn first_look(size: usize) -> (Vec<u8>, u64) {
    let block = vec![1u8; size]; // L:alloc
    let live = process_live_bytes(); // L:read
    (block, live)
}

// `first_look`'s twin: a line's Mem usage is the largest over its hits, so each look needs a
// line of its own that runs once.
#[rustfmt::skip]
#[line_profile]
fn second_look(size: usize) -> (Vec<u8>, u64) {
    let block = vec![2u8; size]; // L:alloc
    let live = process_live_bytes(); // L:read
    (block, live)
}

#[rustfmt::skip]
#[line_profile]
fn two_lines_in_a_row() -> (Vec<u8>, Vec<u8>) {
    let one = vec![3u8; MIB]; // L:one
    let two = vec![4u8; 2 * MIB]; // L:two
    (one, two)
}

/// The Mem usage of the line of `name` tagged `tag`.
fn mem_usage(name: &str, tag: &str) -> u64 {
    let f = function(name);
    f.line(f.line_containing(tag).unwrap())
        .unwrap()
        .mem_usage_bytes
}

/// An idle thread that leaks the bytes it is asked for and says when it has.
fn idle_thread() -> (Sender<usize>, Receiver<()>) {
    let (ask, asked) = channel::<usize>();
    let (done, said) = channel::<()>();
    std::thread::spawn(move || {
        drop(std::hint::black_box(vec![0u8; 8])); // claim a slot
        done.send(()).unwrap();
        for bytes in asked {
            Box::leak(vec![5u8; bytes].into_boxed_slice());
            done.send(()).unwrap();
        }
    });
    said.recv().unwrap();
    (ask, said)
}

fn main() {
    record();
    let threads: Vec<_> = (0..THREADS).map(|_| idle_thread()).collect();

    // The other threads are idle: the line's Mem usage is the process's live heap, exactly.
    let (block, live) = first_look(MIB);
    assert_eq!(mem_usage("first_look", "L:alloc"), live);
    drop(block);

    // Another thread leaks 1 MiB; some time later a line here sees it.
    let (ask, said) = &threads[THREADS / 2];
    ask.send(MIB).unwrap();
    said.recv().unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let (block, live) = second_look(1024);
    assert_eq!(mem_usage("second_look", "L:alloc"), live);
    assert!(live > MIB as u64);
    drop(block);

    // Back to back, the second line sees this thread's 2 MiB at once.
    let kept = two_lines_in_a_row();
    assert_eq!(
        mem_usage("two_lines_in_a_row", "L:two") - mem_usage("two_lines_in_a_row", "L:one"),
        2 * MIB as u64
    );
    drop(kept);
    let mode = lablink_prof::time_mode();
    println!(
        "Mem usage with {THREADS} threads alive, {mode:?} mode: exact for this thread, others seen"
    );

    // The same in sampled mode, whose lines read the clock only when the other threads' sum is
    // due: in a process of its own (the time mode is per process).
    if std::env::var_os("LABLINK_PROFILE_MODE").is_none() {
        assert_eq!(mode, TimeMode::Exact);
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .env("LABLINK_PROFILE_MODE", "sampled")
            .output()
            .expect("this test runs itself");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "the sampled run failed: {out:?}");
        assert!(
            said.contains("Sampled mode"),
            "the sampled run said: {said}"
        );
        print!("{said}");
    }
}
