//! Where a profiled call starts: the functions the attribute's expansion calls first.
//!
//! The start and end of a call are paid once per call, so they are out of line: that keeps the
//! profiled function small enough to inline where the plain one would be.

use crate::base::function_site::FunctionSite;
use crate::recorder::frame::Frame;
use crate::recorder::line_table::LineTable;
use crate::recorder::thread_state;

/// Starts recording a call of a synchronous function.
///
/// `marker` is the type name of a function item declared inside the profiled function; it
/// gives the function's path when it is registered.
#[inline(never)]
pub fn begin_sync(site: &'static FunctionSite, marker: &'static str) -> Frame {
    Frame::begin_in(table_for(site, marker), site, marker, false)
}

/// Starts recording a call of an `async fn`, on its first poll.
#[inline(never)]
pub fn begin_async(site: &'static FunctionSite, marker: &'static str) -> Frame {
    Frame::begin_in(table_for(site, marker), site, marker, true)
}

/// A frame that records only if recording is on: for functions the attribute does not
/// duplicate (see the attribute's docs), where each statement checks.
#[cfg_attr(debug_assertions, inline)]
#[cfg_attr(not(debug_assertions), inline(always))]
pub fn begin_if_enabled(
    site: &'static FunctionSite,
    marker: &'static str,
    is_async: bool,
) -> Frame {
    if crate::control::switch::enabled() {
        if is_async {
            begin_async(site, marker)
        } else {
            begin_sync(site, marker)
        }
    } else {
        Frame::inactive(site, marker, is_async)
    }
}

/// This thread's table for `site`; on the thread's first call of the function, made after
/// recording is set up.
#[inline(always)]
fn table_for(site: &'static FunctionSite, marker: &'static str) -> &'static LineTable {
    match thread_state::existing_table(site) {
        Some(table) => table,
        None => first_table(site, marker),
    }
}

#[cold]
#[inline(never)]
fn first_table(site: &'static FunctionSite, marker: &'static str) -> &'static LineTable {
    super::set_up_recording();
    thread_state::new_table(site, marker)
}
