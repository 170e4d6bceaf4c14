//! Async functions on a multi-threaded runtime, composition with `#[tokio::test]`, and rayon's
//! worker threads calling profiled functions.

mod common;

use common::{function, hits, record};
use lablink_prof::line_profile;
use rayon::prelude::*;

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn hops(n: u32) -> u32 {
    let mut total = 0;
    for i in 0..n { // L:loop
        tokio::task::yield_now().await; // L:yield
        total += i; // L:add
    }
    total
}

#[test]
fn a_task_that_moves_between_worker_threads_is_counted_exactly() {
    record();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..8).map(|_| tokio::spawn(hops(100))).collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        results
    });
    assert_eq!(results, vec![4950; 8]);
    let f = function("hops");
    assert_eq!(f.calls, 8);
    assert_eq!(hits(&f, "L:loop"), 8 * 101);
    assert_eq!(hits(&f, "L:yield"), 800);
    assert_eq!(hits(&f, "L:add"), 800);
    common::assert_adds_up(&f);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[tokio::test]
async fn line_profile_over_tokio_test() {
    record();
    let v = double_later(3).await; // L:await
    assert_eq!(v, 6);
    let f = function("double_later");
    assert_eq!(f.calls, 1);
    assert_eq!(hits(&f, "L:sleep"), 1);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn double_later(x: u32) -> u32 {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await; // L:sleep
    x * 2
}

#[line_profile]
fn square(x: u64) -> u64 {
    x * x
}

#[test]
fn rayon_workers_calling_a_profiled_function_are_all_counted() {
    record();
    let sum: u64 = (0..10_000u64).into_par_iter().map(square).sum();
    assert_eq!(sum, (0..10_000u64).map(|x| x * x).sum::<u64>());
    let f = function("square");
    assert_eq!(f.calls, 10_000);
    assert_eq!(hits(&f, "x * x"), 10_000);
    assert_eq!(f.threads.iter().map(|t| t.calls).sum::<u64>(), 10_000);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn sleeps_then_works() -> u64 {
    tokio::time::sleep(std::time::Duration::from_millis(30)).await; // L:sleep
    let mut x = 0u64; // L:work
    for i in 0..1000 {
        x = x.wrapping_add(std::hint::black_box(i));
    }
    x
}

#[test]
fn time_suspended_at_an_await_is_the_lines_wait_not_its_time() {
    record();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(sleeps_then_works()), 499_500);
    let f = function("sleeps_then_works");
    let sleep = f
        .line(f.line_containing("L:sleep").unwrap())
        .copied()
        .unwrap();
    assert_eq!(sleep.hits, 1);
    assert!(sleep.wait_ns >= 30_000_000, "{sleep:?}");
    assert!(sleep.time_ns < 10_000_000, "running time only: {sleep:?}");
    // The function's total is its running time: the lines add up to it, the wait is apart.
    common::assert_adds_up(&f);
    assert!(f.total_ns < 20_000_000, "{}", f.total_ns);
    let table =
        lablink_prof::report::render(&lablink_prof::snapshot(), lablink_prof::ReportFormat::Table);
    assert!(table.contains(" Wait "), "{table}");
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[tokio::test]
#[line_profile]
async fn tokio_test_over_line_profile() {
    // tokio::test expands first: the attribute profiles the sync test function it makes, whose
    // body runs this block inside tokio's block_on; the block's own statements are not entered.
    let v = async { 21 * 2 }.await;
    assert_eq!(v, 42);
}
