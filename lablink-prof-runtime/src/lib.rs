//! The runtime of [lablink-prof](https://docs.rs/lablink-prof): clock, recorder, registry of
//! profiled functions and reports. Use it through the `lablink-prof` crate, which re-exports
//! everything here that is public API.
//!
//! # How recording works
//!
//! The `#[line_profile]` attribute puts a `static` [`FunctionSite`] (the function's name, file,
//! first line and source text) beside each profiled function, creates a [`Frame`] at the start of
//! each call and calls [`Frame::enter`] before each statement. The first call of a function on a
//! thread allocates that thread's `LineTable` for it (one counter slot per source line)
//! and registers it; from then on recording a statement reads the clock and updates that
//! thread's slots with plain loads and stores: no allocation, no lock, no atomic
//! read-modify-write. Reports ([`snapshot`]) add up every thread's tables, including those of
//! threads that have ended.
#![deny(missing_docs)]

pub mod assertions;
mod calibration;
mod clock;
mod config;
mod counter_pair;
pub mod error;
mod exit;
mod frame;
mod heap;
mod leak;
mod live;
mod mem_usage;
mod open_regions;
pub mod profile;
mod region;
mod registry;
pub mod report;
mod site;
mod slot_release;
mod switch;
mod table;
mod thread;

pub use calibration::{compensation, set_compensation};
pub use error::ReportError;
pub use exit::{ReportGuard, print_report, skip_exit_report};
pub use frame::{AwaitTimer, ClosureLines, Frame, LineIter};
pub use heap::{CountingAlloc, THREAD_SLOTS, is_installed as heap_is_counted, process_live_bytes};
pub use leak::CAPACITY as LEAK_TRACKING_CAPACITY;
pub use profile::{
    CallerProfile, FunctionProfile, LineProfile, Profile, ThreadFunctionProfile, ThreadInfo,
    snapshot,
};
pub use region::{HeapRegion, HeapStats, LiveLine, measure};
pub use registry::recorder_bytes;
pub use report::ReportFormat;
pub use site::{FunctionSite, SiteInfo};
pub use switch::{disable, enable, enabled};

/// Sets every recorded figure back to zero. Meant for quiet moments (between test cases);
/// a thread recording at the same instant may keep that one update.
pub fn reset() {
    registry::reset();
}
