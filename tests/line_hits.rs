//! Exact hit counts for every kind of statement the attribute records.

mod common;

use common::{assert_adds_up, function, hits, record};
use lablink_prof::line_profile;

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn for_loop(n: u32) -> u32 {
    let mut acc = 0; // L:init
    for i in 0..n { // L:header
        acc += i; // L:body
    }
    acc // L:tail
}

#[test]
fn a_for_header_is_hit_once_per_item_plus_once() {
    record();
    assert_eq!(for_loop(10), 45);
    assert_eq!(for_loop(0), 0);
    let f = function("for_loop");
    assert_eq!(f.calls, 2);
    assert_eq!(hits(&f, "fn for_loop"), 2);
    assert_eq!(hits(&f, "L:init"), 2);
    assert_eq!(hits(&f, "L:header"), 11 + 1);
    assert_eq!(hits(&f, "L:body"), 10);
    assert_eq!(hits(&f, "L:tail"), 2);
    assert_adds_up(&f);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn while_and_loop(n: u32) -> u32 {
    let mut i = 0;
    while i < n { // L:while
        i += 1; // L:wbody
    }
    let mut j = 0;
    loop { // L:loop
        j += 1; // L:lbody
        if j == n { // L:if
            break; // L:break
        }
    }
    let mut stack = vec![1, 2, 3];
    while let Some(x) = stack.pop() { // L:whilelet
        i += x; // L:wlbody
    }
    i + j
}

#[test]
fn while_tests_and_loop_iterations_are_counted() {
    record();
    assert_eq!(while_and_loop(4), 4 + 6 + 4);
    let f = function("while_and_loop");
    assert_eq!(hits(&f, "L:while"), 5);
    assert_eq!(hits(&f, "L:wbody"), 4);
    assert_eq!(hits(&f, "L:loop"), 4 + 1);
    assert_eq!(hits(&f, "L:lbody"), 4);
    assert_eq!(hits(&f, "L:if"), 4);
    assert_eq!(hits(&f, "L:break"), 1);
    assert_eq!(hits(&f, "L:whilelet"), 4);
    assert_eq!(hits(&f, "L:wlbody"), 3);
    assert_adds_up(&f);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[allow(clippy::let_and_return)] // the `let` is a line to count
#[line_profile]
fn branches(x: i32) -> &'static str {
    if x < 0 { // L:if
        "negative" // L:neg
    } else if x == 0 { // L:elseif
        "zero" // L:zero
    } else {
        let s = match x { // L:match
            1 => "one", // L:arm1
            2 | 3 => { // L:arm23
                "two or three" // L:arm23body
            }
            _ => "many", // L:armmany
        };
        s // L:s
    }
}

#[test]
fn branches_and_match_arms_count_only_what_ran() {
    record();
    let inputs = [-5, 0, 0, 1, 2, 3, 9, 9, 9];
    let got: Vec<_> = inputs.iter().map(|&x| branches(x)).collect();
    assert_eq!(
        got,
        [
            "negative",
            "zero",
            "zero",
            "one",
            "two or three",
            "two or three",
            "many",
            "many",
            "many"
        ]
    );
    let f = function("branches");
    assert_eq!(hits(&f, "L:if"), 9);
    assert_eq!(hits(&f, "L:neg"), 1);
    assert_eq!(hits(&f, "L:elseif"), 8);
    assert_eq!(hits(&f, "L:zero"), 2);
    assert_eq!(hits(&f, "L:match"), 6);
    assert_eq!(hits(&f, "L:arm1"), 1);
    assert_eq!(
        hits(&f, "L:arm23"),
        0,
        "a block arm counts its statements, not itself"
    );
    assert_eq!(hits(&f, "L:arm23body"), 2);
    assert_eq!(hits(&f, "L:armmany"), 3);
    assert_eq!(hits(&f, "L:s"), 6);
    assert_adds_up(&f);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn early_exits(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = input.trim().parse()?; // L:parse
    if n > 100 { // L:check
        return Ok(100); // L:return
    }
    let Some(half) = n.checked_div(2) else { // L:letelse
        return Ok(0);
    };
    Ok(half) // L:ok
}

#[test]
fn question_mark_return_and_let_else_leave_correctly() {
    record();
    assert!(early_exits("x").is_err());
    assert_eq!(early_exits("500"), Ok(100));
    assert_eq!(early_exits("8"), Ok(4));
    let f = function("early_exits");
    assert_eq!(f.calls, 3);
    assert_eq!(hits(&f, "L:parse"), 3);
    assert_eq!(hits(&f, "L:check"), 2);
    assert_eq!(hits(&f, "L:return"), 1);
    assert_eq!(hits(&f, "L:letelse"), 1);
    assert_eq!(hits(&f, "L:ok"), 1);
    assert_adds_up(&f);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn labelled(grid: &[Vec<u8>]) -> Option<(usize, usize)> {
    let mut found = None;
    'rows: for (r, row) in grid.iter().enumerate() { // L:rows
        for (c, &cell) in row.iter().enumerate() { // L:cols
            if cell == 0 { // L:test
                continue 'rows; // L:continue
            }
            if cell == 9 {
                found = Some((r, c)); // L:found
                break 'rows;
            }
        }
    }
    let label_value = 'block: { // L:block
        if found.is_none() {
            break 'block 0; // L:break0
        }
        1 // L:one
    };
    let _ = label_value;
    found
}

#[test]
fn labelled_break_and_continue_keep_working() {
    record();
    let grid = vec![vec![1, 0, 5], vec![1, 2, 9], vec![9, 9]];
    assert_eq!(labelled(&grid), Some((1, 2)));
    let f = function("labelled");
    // rows: fetched for rows 0 and 1, then left by `break 'rows`.
    assert_eq!(hits(&f, "L:rows"), 2);
    // cols: row 0 fetches 1, 0 (then continue); row 1 fetches 1, 2, 9 (then break).
    assert_eq!(hits(&f, "L:cols"), 5);
    assert_eq!(hits(&f, "L:test"), 5);
    assert_eq!(hits(&f, "L:continue"), 1);
    assert_eq!(hits(&f, "L:found"), 1);
    assert_eq!(hits(&f, "L:block"), 1);
    assert_eq!(hits(&f, "L:break0"), 0);
    assert_eq!(hits(&f, "L:one"), 1);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn depth(n: u32) -> u32 {
    if n == 0 { // L:base
        return 0;
    }
    1 + depth(n - 1) // L:recurse
}

#[test]
fn recursion_counts_every_call_on_its_own() {
    record();
    assert_eq!(depth(5), 5);
    let f = function("depth");
    assert_eq!(f.calls, 6);
    assert_eq!(f.primitive_calls, 1);
    assert_eq!(hits(&f, "L:base"), 6);
    assert_eq!(hits(&f, "L:recurse"), 5);
    // The outer call's recursing line includes the inner calls, as kernprof counts it; its own
    // time excludes them.
    assert!(f.cumulative_ns <= f.total_ns);
    assert!(f.own_ns <= f.cumulative_ns);
    assert!(
        f.callers
            .iter()
            .any(|c| c.caller.ends_with("::depth") && c.calls == 5)
    );
    assert_adds_up(&f);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn per_thread(n: u64) -> u64 {
    let mut s = 0;
    for i in 0..n { // L:loop
        s += i;
    }
    s
}

#[test]
fn threads_add_up_without_losing_a_hit() {
    record();
    let handles: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(|| (0..50).map(|_| per_thread(100)).sum::<u64>()))
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 50 * 4950);
    }
    let f = function("per_thread");
    assert_eq!(f.calls, 400);
    assert_eq!(hits(&f, "L:loop"), 400 * 101);
    assert_eq!(hits(&f, "s += i"), 400 * 100);
    assert_eq!(f.threads.len(), 8);
    assert!(f.threads.iter().all(|t| t.calls == 50));
    // Per thread, the calls came from no profiled function.
    assert!(f.threads.iter().all(|t| t.callers.len() == 1
        && t.callers[0].caller == "<root>"
        && t.callers[0].calls == 50));
    assert_adds_up(&f);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn multi_line_and_shared_lines(v: &[u32]) -> u32 {
    let total: u32 = v // L:chain
        .iter()
        .map(|x| x * 2)
        .sum();
    let a = 1; let b = 2; // L:two
    total + a + b
}

#[test]
fn a_multi_line_statement_counts_once_and_statements_on_one_line_add_up() {
    record();
    assert_eq!(multi_line_and_shared_lines(&[1, 2, 3]), 15);
    let f = function("multi_line_and_shared_lines");
    assert_eq!(hits(&f, "L:chain"), 1);
    assert_eq!(hits(&f, ".iter()"), 0);
    assert_eq!(hits(&f, ".map(|x|"), 0);
    assert_eq!(hits(&f, "L:two"), 2);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn panics_when(fail: bool) -> u32 {
    let x = 1; // L:x
    if fail {
        panic!("planned"); // L:panic
    }
    x + 1 // L:after
}

#[test]
fn a_panicking_call_is_recorded_and_the_next_call_is_right() {
    record();
    std::panic::set_hook(Box::new(|_| {}));
    assert!(std::panic::catch_unwind(|| panics_when(true)).is_err());
    let _ = std::panic::take_hook();
    assert_eq!(panics_when(false), 2);
    let f = function("panics_when");
    assert_eq!(f.calls, 2);
    assert_eq!(hits(&f, "L:x"), 2);
    assert_eq!(hits(&f, "L:panic"), 1);
    assert_eq!(hits(&f, "L:after"), 1);
    assert_adds_up(&f);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn nested_items_and_closures(n: u32) -> u32 {
    fn helper(x: u32) -> u32 {
        x + 1 // L:helper
    }
    struct Pair(u32, u32);
    let p = Pair(n, helper(n)); // L:pair
    let double = |x: u32| {
        x * 2 // L:closure
    };
    double(p.0 + p.1) // L:call
}

#[test]
fn items_in_the_body_are_left_alone_and_closure_statements_record() {
    record();
    assert_eq!(nested_items_and_closures(3), 14);
    let f = function("nested_items_and_closures");
    assert_eq!(hits(&f, "L:helper"), 0);
    assert_eq!(hits(&f, "L:closure"), 1);
    assert_eq!(hits(&f, "L:pair"), 1);
    assert_eq!(hits(&f, "L:call"), 1);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn closures(v: &[u32]) -> (u32, u32) {
    let evens: u32 = v // L:chain
        .iter()
        .map(|&x| {
            let doubled = x * 2; // L:double
            doubled + 1 // L:plus
        })
        .filter(|x| x % 3 == 0)
        .sum();
    let offset = 5;
    // A `move` closure that must stay 'static and Send: it runs on another thread.
    let spawned = std::thread::spawn(move || {
        let y = offset * 2; // L:thread
        y + 1
    })
    .join()
    .unwrap();
    (evens, spawned) // L:tail
}

#[test]
fn statements_in_closures_are_lines_of_the_function() {
    record();
    let v = [1, 2, 3, 4];
    let expected: u32 = v.iter().map(|&x| x * 2 + 1).filter(|x| x % 3 == 0).sum();
    assert_eq!(closures(&v), (expected, 11));
    let f = function("closures");
    assert_eq!(hits(&f, "L:chain"), 1);
    assert_eq!(hits(&f, "L:double"), 4);
    assert_eq!(hits(&f, "L:plus"), 4);
    // Run on another thread, outside the call's frame: not recorded, and no harm done.
    assert_eq!(hits(&f, "L:thread"), 0);
    assert_eq!(hits(&f, "L:tail"), 1);
    assert_adds_up(&f);
}
