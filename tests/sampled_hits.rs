//! Sampled mode counts hits exactly, as exact mode does: loops, branches, recursion, threads and
//! a panic give the same counts (derived here from the code, as tests/line_hits.rs does for
//! exact mode), and the memory columns stay exact.

use lablink_prof::{FunctionProfile, TimeMode, line_profile};

fn sampled() {
    // Every test of this binary asks for the same mode: whichever comes first fixes it.
    lablink_prof::set_time_mode(TimeMode::Sampled).expect("sampled mode");
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
}

fn function(suffix: &str) -> FunctionProfile {
    let profile = lablink_prof::snapshot();
    assert_eq!(profile.mode, TimeMode::Sampled);
    profile
        .functions
        .into_iter()
        .find(|f| f.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} recorded"))
}

#[line_profile]
fn loop_and_branches(n: u64) -> u64 {
    let mut acc = 0;
    for i in 0..n {
        if i % 3 == 0 {
            acc += i;
        } else {
            acc ^= i;
        }
    }
    acc
}

#[test]
fn sampled_mode_has_no_single_hit_figures() {
    sampled();
    std::hint::black_box(loop_and_branches(1000));
    let f = function("::loop_and_branches");
    assert!(f.hits(f.line + 4) > 0);
    for l in &f.lines {
        assert_eq!((l.min_ns, l.max_ns), (None, None), "line {}", l.line);
        assert!(l.hist.is_empty() && l.blocking == 0, "line {}", l.line);
    }
    assert_eq!((f.min_ns, f.max_ns, f.hist.is_empty()), (None, None, true));
}

#[test]
fn loops_and_branches_count_every_hit() {
    sampled();
    let n = 10_000;
    std::hint::black_box(loop_and_branches(n));
    let f = function("::loop_and_branches");
    let header = f.line_containing("for i in").unwrap();
    let thirds = n.div_ceil(3);
    assert_eq!(f.calls, 1);
    assert_eq!(f.hits(f.line_containing("let mut acc").unwrap()), 1);
    assert_eq!(f.hits(header), n + 1);
    assert_eq!(f.hits(f.line_containing("if i % 3").unwrap()), n);
    assert_eq!(f.hits(f.line_containing("acc += i").unwrap()), thirds);
    assert_eq!(f.hits(f.line_containing("acc ^= i").unwrap()), n - thirds);
    assert_eq!(
        f.hits(f.line_containing("    acc\n").unwrap_or(header + 7)),
        1
    );
}

#[line_profile]
fn fib(n: u32) -> u64 {
    if n < 2 {
        return n as u64;
    }
    fib(n - 1) + fib(n - 2)
}

#[test]
fn recursion_counts_every_call_and_line() {
    sampled();
    assert_eq!(fib(16), 987);
    let f = function("::fib");
    // fib(16) makes 2 * fib(17) - 1 = 3193 calls, of which fib(17) = 1597 are leaves.
    assert_eq!(f.calls, 3193);
    assert_eq!(f.primitive_calls, 1);
    assert_eq!(f.hits(f.line_containing("if n < 2").unwrap()), 3193);
    assert_eq!(f.hits(f.line_containing("return n").unwrap()), 1597);
    assert_eq!(
        f.hits(f.line_containing("fib(n - 1)").unwrap()),
        3193 - 1597
    );
}

#[line_profile]
fn per_thread(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc = acc.wrapping_mul(31).wrapping_add(i);
    }
    acc
}

#[test]
fn threads_add_up_exactly() {
    sampled();
    let threads: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| per_thread(5_000)))
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let f = function("::per_thread");
    assert_eq!(f.calls, 4);
    assert_eq!(f.hits(f.line_containing("for i in").unwrap()), 4 * 5_001);
    assert_eq!(
        f.hits(f.line_containing("acc = acc.wrapping_mul").unwrap()),
        4 * 5_000
    );
    assert_eq!(f.threads.len(), 4);
    assert!(f.threads.iter().all(|t| t.calls == 1));
}

#[line_profile]
fn panics_at(stop: u32) -> u32 {
    let mut seen = 0;
    for i in 0..10 {
        seen += 1;
        if i == stop {
            panic!("stop at {i}");
        }
    }
    seen
}

#[test]
fn a_panic_keeps_the_hits_before_it() {
    sampled();
    let result = std::panic::catch_unwind(|| panics_at(4));
    assert!(result.is_err());
    let f = function("::panics_at");
    assert_eq!(f.calls, 1);
    assert_eq!(f.hits(f.line_containing("for i in").unwrap()), 5);
    assert_eq!(f.hits(f.line_containing("seen += 1").unwrap()), 5);
    assert_eq!(f.hits(f.line_containing("panic!").unwrap()), 1);
    // A panicked call leaves nothing of itself on the published stack: a later call is a root.
    assert_eq!(panics_at(99), 10);
    let f = function("::panics_at");
    assert_eq!(f.calls, 2);
    assert!(f.callers.iter().all(|c| c.caller == "<root>"), "{f:?}");
}
