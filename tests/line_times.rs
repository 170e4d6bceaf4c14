//! Times: where the time goes, and that it adds up.

mod common;

use std::time::{Duration, Instant};

use common::{assert_adds_up, function, record};
use lablink_prof::line_profile;

fn busy_wait(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[line_profile]
fn mostly_waiting(d: Duration) -> u64 {
    let mut x = 0u64;
    x += 1;
    busy_wait(d); // L:wait
    x += 2;
    x
}

#[test]
fn a_statement_that_busy_waits_gets_at_least_95_percent_of_its_function() {
    record();
    for _ in 0..5 {
        assert_eq!(mostly_waiting(Duration::from_millis(10)), 3);
    }
    let f = function("mostly_waiting");
    let line = f
        .line(f.line_containing("L:wait").unwrap())
        .cloned()
        .unwrap();
    assert!(
        line.time_ns as f64 >= 0.95 * f.total_ns as f64,
        "{} of {} ns",
        line.time_ns,
        f.total_ns
    );
    // And it is the time that was spent: 5 x 10 ms, give or take scheduling.
    assert!(line.time_ns >= 50_000_000, "{} ns", line.time_ns);
    assert!(line.time_ns < 50_000_000 * 2, "{} ns", line.time_ns);
    assert_adds_up(&f);
}

#[line_profile]
fn callee_time_counts_on_the_calling_line() -> u64 {
    let a = inner_wait(); // L:call
    a + 1
}

#[line_profile]
fn inner_wait() -> u64 {
    busy_wait(Duration::from_millis(5));
    7
}

#[test]
fn time_in_a_callee_counts_on_the_calling_line_and_own_time_excludes_it() {
    record();
    assert_eq!(callee_time_counts_on_the_calling_line(), 8);
    let outer = function("callee_time_counts_on_the_calling_line");
    let inner = function("inner_wait");
    let call = outer
        .line(outer.line_containing("L:call").unwrap())
        .cloned()
        .unwrap();
    assert!(call.time_ns >= inner.total_ns);
    assert!(outer.own_ns < outer.total_ns / 10, "{outer:?}");
    assert!(
        inner
            .callers
            .iter()
            .any(|c| c.caller == outer.name && c.calls == 1)
    );
    assert_adds_up(&outer);
    assert_adds_up(&inner);
}

#[test]
fn the_total_is_the_wall_time_of_the_calls() {
    record();
    let start = Instant::now();
    let _ = mostly_waiting_once();
    let wall = start.elapsed().as_nanos() as u64;
    let f = function("mostly_waiting_once");
    assert!(f.total_ns <= wall, "{} > {}", f.total_ns, wall);
    assert!(f.total_ns >= 20_000_000);
}

#[line_profile]
fn mostly_waiting_once() -> u8 {
    busy_wait(Duration::from_millis(20));
    1
}
