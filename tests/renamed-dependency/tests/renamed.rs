//! Profiled functions of a crate that names `lablink-prof` `prof` record as any others.

use lablink_prof_renamed_dependency::{Doubler, inner, triangle};

fn function(name: &str) -> prof::FunctionProfile {
    let suffix = format!("::{name}");
    prof::snapshot()
        .functions
        .into_iter()
        .find(|f| f.name.ends_with(&suffix))
        .unwrap_or_else(|| panic!("no profiled function named {name} ran"))
}

/// Polls a future that never waits on anything outside itself.
fn run<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

#[test]
fn functions_methods_and_module_items_record_through_the_renamed_crate() {
    prof::enable();
    prof::skip_exit_report();
    assert_eq!(triangle(10), 55);
    assert_eq!(Doubler.double(21), 42);
    assert_eq!(run(inner::squares(3)), 14);

    let t = function("triangle");
    assert_eq!(t.hits(t.line_containing("total += i").unwrap()), 10);
    let d = function("double");
    assert_eq!(d.hits(d.line_containing("x * 2").unwrap()), 1);
    let s = function("squares");
    assert_eq!(s.hits(s.line_containing("x * x").unwrap()), 3);
    assert_eq!(s.hits(s.line_containing(".await").unwrap()), 1);
}
