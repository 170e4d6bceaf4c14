//! # lablink-prof
//!
//! A line-level time and heap profiler for Rust, driven by one attribute: what `kernprof -l -v`
//! and Python's memory_profiler give Python users, exact and cheap.
//!
//! ```
//! use lablink_prof::line_profile;
//!
//! #[line_profile]
//! fn work(n: u64) -> u64 {
//!     let mut acc = 0;
//!     for i in 0..n {
//!         acc += i;
//!     }
//!     acc
//! }
//!
//! lablink_prof::enable(); // or run with LABLINK_PROFILING=1
//! assert_eq!(work(10), 45);
//! let profile = lablink_prof::snapshot();
//! let f = profile.functions.iter().find(|f| f.name.ends_with("work")).unwrap();
//! let body = f.line_containing("acc += i").unwrap();
//! assert_eq!(f.hits(body), 10);
//! assert_eq!(f.hits(body - 1), 11); // the `for` header: once per item, plus the final fetch
//! # lablink_prof::skip_exit_report();
//! ```
//!
//! Run a program with `LABLINK_PROFILING=1` and, when it exits, every profiled function that ran
//! is printed on stderr: hits, time, time per hit and share of the function's time for each of
//! its source lines.
//!
//! # Turning it on and off
//!
//! | how | effect |
//! | --- | --- |
//! | `LABLINK_PROFILING=1` (`true`, `yes`, `on`, any case) | record, and print the report at exit |
//! | unset or any other value | profiled functions run their plain copy: one branch per call |
//! | [`enable`], [`disable`] | the same, from code; they override the environment |
//! | [`reset`] | set every figure back to zero |
//! | [`snapshot`] | the figures as a [`Profile`] value, for tests and tools |
//! | [`print_report`], [`ReportGuard`] | print now (and not again at exit) |
//! | `LABLINK_PROFILE_FORMAT=kernprof` | kernprof's exact layout (`table`, the default, `memory_profiler`, `json` too) |
//! | `LABLINK_PROFILE_OUT=profile.json` | also write the profile as JSON (format in [`profile`]); `{pid}` becomes the process id |
//! | `LABLINK_PROFILE_INTERVAL=5` | with `LABLINK_PROFILE_OUT`, rewrite the file every 5 s while running |
//! | `LABLINK_PROFILE_COMPENSATE=0` | raw times: the recorder's own cost per hit is not taken out |
//! | `default-features = false` | the attribute emits the function unchanged: zero cost |
//!
//! The environment is read once per process. A value that cannot be used is reported once on
//! stderr when recording starts, with what is used instead. Figures about the profiler itself
//! (its own memory, the heap slots, overhead compensation) are in [`diagnostics`].
//!
//! The exit report runs from the C runtime's `atexit`, so it is printed when `main` returns and
//! on `std::process::exit`, and never changes the exit status. Writing it cannot panic: errors
//! (an unwritable `LABLINK_PROFILE_OUT`) are printed on stderr.
//!
//! # What the numbers mean
//!
//! - **Hits**: how many times a statement on the line started. A `for`, `while` or `loop`
//!   header is hit once per iteration plus once; fetching the next item, or testing the
//!   condition, is the header's time.
//! - **Time**: wall time from the statement's start to the start of the next recorded statement
//!   of the same call, or the call's end. Time in callees counts on the calling line. The lines
//!   of a function add up to its total, so `% Time` adds up to 100.
//! - The signature line is hit once per call; its time is the few nanoseconds between entering
//!   the call and its first statement.
//! - Each call records on its own, so recursion and threads are right; several threads' figures
//!   are added up. A statement spanning several lines counts once, on its first line; several
//!   statements on one line add up.
//! - In an `async fn`, a line's time counts only while the task runs; time suspended at an
//!   `.await` is the line's Wait (`LineProfile::wait_ns`), apart from its time.
//!
//! # What is recorded
//!
//! Every statement of the body, in nested blocks too (`if`/`else`, `match` arms, loop bodies,
//! `unsafe` and labelled blocks). Closures, `async` blocks and items declared in the body are
//! not entered; a macro invocation is one statement.
#![deny(missing_docs)]

pub use lablink_prof_macros::line_profile;
pub use lablink_prof_runtime::assertions;
/// dhat, whose allocator [`CountingAlloc::dhat`] wraps (feature `dhat-heap`): name its type as
/// `CountingAlloc<lablink_prof::dhat::Alloc>`.
#[cfg(feature = "dhat-heap")]
pub use lablink_prof_runtime::dhat;
pub use lablink_prof_runtime::diagnostics;
pub use lablink_prof_runtime::profile;
pub use lablink_prof_runtime::report;
pub use lablink_prof_runtime::{
    CallerProfile, FunctionProfile, LineProfile, Profile, SampledStack, StackFrame,
    ThreadFunctionProfile, ThreadInfo, TimeMode,
};
pub use lablink_prof_runtime::{CountingAlloc, HeapRegion, HeapStats, LiveLine, measure};
pub use lablink_prof_runtime::{
    ReportError, ReportFormat, ReportGuard, print_report, skip_exit_report,
};
pub use lablink_prof_runtime::{disable, enable, enabled, reset, snapshot};
pub use lablink_prof_runtime::{set_sample_rate, set_time_mode, time_mode};

/// Whether this build instruments `#[line_profile]` functions (the `profiling` feature, on by
/// default). Without it the attribute emits functions unchanged.
pub const PROFILING_COMPILED_IN: bool = cfg!(feature = "profiling");

/// Panics unless the expression (or block) leaves nothing allocated on this thread; names the
/// profiled lines that allocated what is still live. The value is dropped inside the check.
///
/// ```should_panic
/// // (Panics here because the doc test installs no counting allocator.)
/// lablink_prof::assert_no_leaks!({ let v = vec![1, 2, 3]; v.len() });
/// ```
#[macro_export]
macro_rules! assert_no_leaks {
    ($body:expr $(,)?) => {
        $crate::assertions::assert_no_leaks(|| $body)
    };
}

/// Panics unless the expression leaves nothing allocated on this thread after it has been
/// evaluated `warm_ups` times unmeasured (for code that fills a cache on its first runs).
///
/// ```should_panic
/// // (Panics here because the doc test installs no counting allocator.)
/// static CACHE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
/// lablink_prof::assert_no_leaks_after!(1, CACHE.get_or_init(|| vec![0; 64]).len());
/// ```
#[macro_export]
macro_rules! assert_no_leaks_after {
    ($warm_ups:expr, $body:expr $(,)?) => {
        $crate::assertions::assert_no_leaks_after($warm_ups, || $body)
    };
}

/// Panics if the expression exceeds the heap budget in force on this thread: the default set
/// with `assertions::set_default_budget` (one for all tests), or with a budget first, that
/// budget for this check alone.
///
/// ```should_panic
/// // (Panics here because the doc test installs no counting allocator.)
/// use lablink_prof::assertions::HeapBudget;
/// lablink_prof::assertions::set_default_budget(HeapBudget::bytes(1 << 20));
/// lablink_prof::assert_within_budget!(vec![0u8; 100]);
/// lablink_prof::assert_within_budget!(HeapBudget::bytes(200).and_allocs(1), vec![0u8; 100]);
/// ```
#[macro_export]
macro_rules! assert_within_budget {
    ($body:expr $(,)?) => {
        $crate::assertions::assert_within_budget(|| $body)
    };
    ($budget:expr, $body:expr $(,)?) => {
        $crate::assertions::with_budget($budget, || {
            $crate::assertions::assert_within_budget(|| $body)
        })
    };
}

/// Panics if the expression allocates more than `limit` bytes on this thread.
#[macro_export]
macro_rules! assert_max_bytes {
    ($limit:expr, $body:expr $(,)?) => {
        $crate::assertions::assert_max_bytes($limit, || $body)
    };
}

/// Panics if the expression allocates more than `limit` times on this thread.
#[macro_export]
macro_rules! assert_max_allocs {
    ($limit:expr, $body:expr $(,)?) => {
        $crate::assertions::assert_max_allocs($limit, || $body)
    };
}

/// Panics if the expression allocates at all on this thread.
#[macro_export]
macro_rules! assert_no_alloc {
    ($body:expr $(,)?) => {
        $crate::assertions::assert_no_alloc(|| $body)
    };
}

/// Not public API: what the attribute's expansion refers to. It may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use lablink_prof_runtime::__private::*;
}
