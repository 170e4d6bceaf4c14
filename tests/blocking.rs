//! Lines of `async fn`s that block the executor, on tokio's multi-threaded runtime: a slice of
//! a poll on one line longer than the threshold (100 µs by default) is counted against it.

mod common;

use std::time::{Duration, Instant};

use common::{function, record};
use lablink_prof::line_profile;
use lablink_prof::{FunctionProfile, LineProfile};

fn line(f: &FunctionProfile, tag: &str) -> LineProfile {
    f.line(f.line_containing(tag).unwrap()).cloned().unwrap()
}

fn busy_wait(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn sleeps_the_thread() {
    tokio::task::yield_now().await; // L:yield
    std::thread::sleep(Duration::from_millis(5)); // L:sleep
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn sleeps_the_task() {
    tokio::time::sleep(Duration::from_millis(5)).await; // L:sleep
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn computes() {
    tokio::task::yield_now().await; // L:yield
    busy_wait(Duration::from_millis(5)); // L:cpu
}

#[line_profile]
fn blocking_helper() {
    std::thread::sleep(Duration::from_millis(2));
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn calls_a_blocking_function() {
    tokio::task::yield_now().await;
    blocking_helper(); // L:call
}

/// Runs `tasks` copies of the future `task` makes on a tokio runtime of 2 worker threads, with
/// its timer.
fn on_two_workers<F>(tasks: usize, task: impl Fn() -> F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let handles: Vec<_> = (0..tasks).map(|_| tokio::spawn(task())).collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

#[test]
fn std_thread_sleep_in_an_async_fn_is_flagged_on_its_line_exactly_once_a_call() {
    record();
    on_two_workers(100, sleeps_the_thread);
    let f = function("sleeps_the_thread");
    assert_eq!(f.calls, 100);
    let sleep = line(&f, "L:sleep");
    assert_eq!(sleep.blocking, 100);
    assert!(
        sleep.blocking_max_ns >= 5_000_000,
        "{}",
        sleep.blocking_max_ns
    );
    assert!(sleep.blocking_ns >= 100 * 5_000_000);
    assert!(sleep.blocking_ns >= sleep.blocking_max_ns);
    let summary = lablink_prof::report::blocking_summary(&lablink_prof::snapshot());
    let expected = format!(
        "blocks the executor: {}:{}, 100 times, longest ",
        f.file, sleep.line
    );
    assert!(summary.contains(&expected), "{summary}");
    let table = lablink_prof::report::table_layout::function_of(&lablink_prof::snapshot(), &f);
    assert!(
        table.contains("Blocking") && table.contains("100×"),
        "{table}"
    );
}

#[test]
fn tokio_time_sleep_is_waiting_not_blocking() {
    record();
    on_two_workers(100, sleeps_the_task);
    let f = function("sleeps_the_task");
    assert_eq!(f.calls, 100);
    let sleep = line(&f, "L:sleep");
    assert_eq!(sleep.blocking, 0);
    assert!(sleep.wait_ns >= 100 * 5_000_000, "{}", sleep.wait_ns);
}

#[test]
fn a_cpu_loop_of_5_ms_is_flagged() {
    record();
    on_two_workers(100, computes);
    let f = function("computes");
    let cpu = line(&f, "L:cpu");
    assert_eq!(cpu.blocking, 100);
    assert!(cpu.blocking_max_ns >= 5_000_000);
}

#[test]
fn a_blocking_profiled_function_called_from_an_async_line_flags_that_line() {
    record();
    on_two_workers(20, calls_a_blocking_function);
    let f = function("calls_a_blocking_function");
    assert_eq!(line(&f, "L:call").blocking, 20);
    // A synchronous function has no slices of its own.
    assert!(
        function("blocking_helper")
            .lines
            .iter()
            .all(|l| l.blocking == 0)
    );
}
