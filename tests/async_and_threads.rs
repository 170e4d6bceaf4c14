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
    let results = common::on_two_workers(8, || hops(100));
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
        .cloned()
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

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn cube(x: u64) -> u64 {
    x * x * x // L:cube
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn closures_between_awaits(n: u64) -> u64 {
    let mut total = 0;
    for round in 0..n {
        tokio::task::yield_now().await;
        total += (0..4).map(|x| {
            let y = x + round; // L:closure
            cube(y) // L:call
        }).sum::<u64>();
    }
    total
}

#[test]
fn closures_and_callees_of_an_async_fn_record_as_its_lines_on_any_worker() {
    record();
    let results = common::on_two_workers(4, || closures_between_awaits(50));
    let expected: u64 = (0..50u64)
        .map(|r| (0..4u64).map(|x| (x + r).pow(3)).sum::<u64>())
        .sum();
    assert_eq!(results, vec![expected; 4]);
    let f = function("closures_between_awaits");
    assert_eq!(hits(&f, "L:closure"), 4 * 50 * 4);
    assert_eq!(hits(&f, "L:call"), 4 * 50 * 4);
    common::assert_adds_up(&f);
    // The async fn is the caller of the function its closure calls, from the closure's line.
    let cube = function("cube");
    let line = f.line_containing("L:call").unwrap();
    let from_async: Vec<_> = cube
        .callers
        .iter()
        .filter(|c| c.caller.ends_with("::closures_between_awaits"))
        .collect();
    assert_eq!(from_async.len(), 1, "{:?}", cube.callers);
    assert_eq!(
        (from_async[0].line, from_async[0].calls),
        (Some(line), 4 * 50 * 4)
    );
}

#[line_profile]
async fn never_resumed() {
    std::future::pending::<()>().await;
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn after_a_cancelled_task() -> u32 {
    7 // L:after
}

#[test]
fn a_suspended_async_fn_is_not_the_current_frame_nor_left_as_it_when_dropped() {
    record();
    common::block_on(async {
        let mut suspended = std::pin::pin!(never_resumed());
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(suspended.as_mut().poll(&mut cx).is_pending());
        // Other code runs on this thread while the task waits...
        assert_eq!(after_a_cancelled_task(), 7);
    });
    // ... and after it was dropped, suspended.
    assert_eq!(after_a_cancelled_task(), 7);
    let f = function("after_a_cancelled_task");
    assert_eq!(f.calls, 2);
    // Called from no profiled function's line both times.
    assert!(
        f.callers.iter().all(|c| c.caller == "<root>"),
        "{:?}",
        f.callers
    );
}
