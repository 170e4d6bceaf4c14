//! The runtime of lablink-prof: the counting allocator, the recorder, the profile model and the
//! reports. Use it through the `lablink-prof` crate, which re-exports everything here that is
//! public API.
//!
//! # How recording works
//!
//! The `#[line_profile]` attribute puts a `static` function site (the function's name, file,
//! first line and source text) beside each profiled function. Each call starts in the start-up
//! layer's call entry, which gives it a frame recording into the calling thread's own table for
//! the function (one counter slot per source line), made on the function's first call on that
//! thread. Before each statement the frame records a line boundary: in exact mode one clock read
//! and a few plain loads and stores in that thread's table: no allocation, no lock, no atomic
//! read-modify-write. Reports ([`snapshot`]) add up every thread's tables, including those of
//! threads that have ended.
//!
//! # Layers
//!
//! Each folder of `src/` is one layer. A layer imports only the layers listed beside it, never
//! one above it; what a lower layer needs from a higher one it receives as an argument or
//! through one hook registered at start-up. `tests/layers.rs` fails when a module imports from a
//! layer it may not.
//!
//! | layer | what it holds | may import |
//! | --- | --- | --- |
//! | `base` | the clock, function sites, the allocator note | nothing |
//! | `model` | the profile as a value: its types, JSON files, and the rules to add profiles up | nothing |
//! | `report` | text layouts of a profile: table, kernprof, memory_profiler | `base`, `model` |
//! | `heap` | the counting allocator, its thread slots, heap regions and their live blocks, whole-process tracking by line, assertions | `base` |
//! | `control` | the settings (every `LABLINK_*` variable), the on/off switch, the time mode | `base`, `heap`, `report`, `model` |
//! | `recorder` | frames, line tables, the thread's state and published stack, the registry, calibration, closures, `.await`s | `base`, `heap`, `control`, `model` |
//! | `sampler` | sampled mode's thread, which reads the published stacks at a fixed rate | `base`, `heap`, `control`, `recorder` |
//! | `snapshot` | the recorder's tables (and the sampler's stacks) read into a profile | all of the above but `output` and `start` |
//! | `output` | the exit report, the snapshot writers, dhat's profile | all but `start` |
//! | `start` | the wiring: the call entry and the once-per-process set-up | all |
//!
//! The hook: heap regions note which profiled line allocated a block, which only the recorder
//! knows; the start-up registers the recorder's answer with `heap::line_attribution`.
//!
//! With `default-features = false` (no `recorder` feature) only `model` and `report` are built:
//! what reading and showing a saved profile needs, without the counting allocator or the
//! recorder. The `lablink-prof` command builds it that way.
#![deny(missing_docs)]

mod base;
pub mod model;
pub mod report;

#[cfg(feature = "recorder")]
mod control;
#[cfg(feature = "recorder")]
mod heap;
#[cfg(feature = "recorder")]
mod output;
#[cfg(feature = "recorder")]
mod recorder;
#[cfg(feature = "recorder")]
mod sampler;
#[cfg(feature = "recorder")]
mod snapshot;
#[cfg(feature = "recorder")]
mod start;

pub use base::NO_HEAP_NOTE;
pub use model as profile;
pub use model::ReportError;
pub use model::{
    CallerProfile, FunctionProfile, LineProfile, Profile, SampledStack, StackFrame,
    ThreadFunctionProfile, ThreadInfo, TimeMode,
};
pub use report::ReportFormat;

#[cfg(feature = "recorder")]
pub use control::switch::{disable, enable, enabled};
#[cfg(feature = "recorder")]
pub use control::time_mode::{set_sample_rate, set_time_mode, time_mode};
/// dhat, whose allocator [`CountingAlloc::dhat`] wraps (feature `dhat-heap`).
#[cfg(feature = "dhat-heap")]
pub use dhat;
#[cfg(feature = "recorder")]
pub use heap::assertions;
#[cfg(feature = "recorder")]
pub use heap::counting_alloc::CountingAlloc;
#[cfg(feature = "recorder")]
pub use heap::heap_region::{HeapRegion, HeapStats, LiveLine, measure};
#[cfg(feature = "recorder")]
pub use output::exit_report::{ReportGuard, print_report, skip_exit_report};
#[cfg(feature = "recorder")]
pub use snapshot::snapshot;

/// Sets every recorded figure back to zero. Meant for quiet moments (between test cases);
/// a thread recording at the same instant may keep that one update.
#[cfg(feature = "recorder")]
pub fn reset() {
    recorder::registry::reset();
    sampler::reset();
}

/// Figures about the profiler itself: its own memory, the heap slots, overhead compensation.
#[cfg(feature = "recorder")]
pub mod diagnostics {
    pub use crate::heap::counting_alloc::{
        THREAD_SLOTS, is_installed as heap_is_counted, process_live_bytes,
    };
    pub use crate::heap::live_blocks::CAPACITY as LEAK_TRACKING_CAPACITY;
    pub use crate::heap::process_tracking::{
        BLOCK_CAPACITY as HEAP_TRACKING_BLOCKS, LINE_CAPACITY as HEAP_TRACKING_LINES,
        is_on as heap_is_tracked,
    };
    pub use crate::recorder::calibration::{compensation, set_compensation};
    pub use crate::recorder::distribution::{
        ROW_BYTES as DISTRIBUTION_BYTES_PER_LINE, distributions, set_distributions,
    };
    pub use crate::recorder::line_table::LINE_SLOT_BYTES;
    pub use crate::recorder::registry::recorder_bytes;
}

/// Not public API: what the attribute's expansion refers to. It may change in any release.
#[cfg(feature = "recorder")]
#[doc(hidden)]
pub mod __private {
    pub use crate::base::function_site::{FunctionSite, SiteInfo};
    pub use crate::control::switch::enabled;
    pub use crate::recorder::await_timer::AwaitTimer;
    pub use crate::recorder::closure_lines::ClosureLines;
    pub use crate::recorder::frame::{Frame, LineCursor};
    pub use crate::recorder::line_iter::LineIter;
    pub use crate::start::call_entry::{begin_async, begin_if_enabled, begin_sync};
}
