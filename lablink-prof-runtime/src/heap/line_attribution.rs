//! Which profiled line is running on this thread, for the blocks heap regions note.
//!
//! The recorder knows the running line; the heap layer sits below it and may not import it.
//! The start-up registers the recorder's answer here once, when recording starts: before that no
//! profiled call can be running, so "none" is the right answer.

use std::sync::OnceLock;

use crate::base::function_site::FunctionSite;

/// The innermost profiled call running on this thread: its function and line slot.
pub(crate) type RunningLine = fn() -> Option<(&'static FunctionSite, u32)>;

static SOURCE: OnceLock<RunningLine> = OnceLock::new();

/// Registers where the running line comes from (once; later calls are ignored).
pub(crate) fn set_source(source: RunningLine) {
    let _ = SOURCE.set(source);
}

/// The profiled function and line slot running on this thread, if any.
#[inline]
pub(crate) fn running_line() -> Option<(&'static FunctionSite, u32)> {
    SOURCE.get().and_then(|source| source())
}
