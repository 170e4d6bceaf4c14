//! Helpers shared by the behaviour tests.
#![allow(dead_code)]

use lablink_prof::{FunctionProfile, Profile};

/// Turns recording on and keeps the test binary from printing a report when it exits.
pub fn record() {
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
}

/// The profile of the function whose path ends with `::name`.
pub fn function(name: &str) -> FunctionProfile {
    function_in(&lablink_prof::snapshot(), name).clone()
}

/// The function of `profile` whose path ends with `::name`.
pub fn function_in<'a>(profile: &'a Profile, name: &str) -> &'a FunctionProfile {
    let suffix = format!("::{name}");
    profile
        .functions
        .iter()
        .find(|f| f.name.ends_with(&suffix))
        .unwrap_or_else(|| panic!("no profiled function named {name} ran"))
}

/// The hits of the line of `f` whose source contains `tag`.
pub fn hits(f: &FunctionProfile, tag: &str) -> u64 {
    let line = f
        .line_containing(tag)
        .unwrap_or_else(|| panic!("{} has no line containing {tag:?}", f.name));
    f.hits(line)
}

/// Asserts that a function's line times add up to its total.
pub fn assert_adds_up(f: &FunctionProfile) {
    let sum: u64 = f.lines.iter().map(|l| l.time_ns).sum();
    assert_eq!(sum, f.total_ns, "lines of {} do not add up", f.name);
}

/// A future that is pending once before it completes with 5.
pub struct YieldOnce(pub bool);

impl ::std::future::Future for YieldOnce {
    type Output = u32;
    fn poll(
        mut self: ::std::pin::Pin<&mut Self>,
        cx: &mut ::std::task::Context<'_>,
    ) -> ::std::task::Poll<u32> {
        if self.0 {
            ::std::task::Poll::Ready(5)
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            ::std::task::Poll::Pending
        }
    }
}

/// Polls a future to completion on this thread (its waker does nothing: it is polled again at
/// once).
pub fn block_on<F: ::std::future::Future>(f: F) -> F::Output {
    let mut f = ::std::pin::pin!(f);
    let mut cx = ::std::task::Context::from_waker(::std::task::Waker::noop());
    loop {
        if let ::std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Runs `tasks` copies of the future `task` makes as tokio tasks on a runtime of 2 worker
/// threads (so that they move between threads at their `.await`s), and returns their results.
pub fn on_two_workers<F>(tasks: usize, task: impl Fn() -> F) -> Vec<F::Output>
where
    F: ::std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let handles: Vec<_> = (0..tasks).map(|_| tokio::spawn(task())).collect();
        let mut results = Vec::with_capacity(tasks);
        for handle in handles {
            results.push(handle.await.unwrap());
        }
        results
    })
}
