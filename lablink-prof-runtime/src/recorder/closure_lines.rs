//! The statements of closures, recorded as lines of the function that declares them.

use std::ptr;

use crate::base::function_site::FunctionSite;
use crate::recorder::frame::{Frame, LineCursor};
use crate::recorder::thread_state as thread;

/// The statements of a closure inside a profiled function, recorded as lines of that function.
///
/// The attribute makes one at the start of each call of a closure whose body is a block. While
/// the function's call is the thread's current frame (the closure runs inside the call, as in an
/// iterator chain), the closure's statements record into it, and when the closure returns the
/// clock goes back to the line that called it. A closure run elsewhere (on another thread, or
/// after the call returned) records nothing. Nothing is captured, so the closure keeps its
/// `Send` and `'static` properties.
///
/// It keeps the frame's address, not a reference, and uses it only while that frame is still
/// the thread's current one, which the frame stays only while it is alive: a `ClosureLines` kept
/// past its call, or moved to another thread, records nothing.
#[derive(Debug)]
pub struct ClosureLines {
    /// The frame of the call the closure runs in; null when it records nothing.
    frame: *const Frame,
    resume: u32,
}

// SAFETY: the pointer is only dereferenced after checking that it is the current frame of the
// thread doing so (see `frame`), whichever thread that is.
unsafe impl Send for ClosureLines {}
// SAFETY: as above.
unsafe impl Sync for ClosureLines {}

impl ClosureLines {
    /// Starts a call of a closure declared in the function of `site`.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn start(site: &'static FunctionSite) -> Self {
        match thread::current_frame() {
            Some(frame) if ptr::eq(frame.site(), site) => ClosureLines {
                frame,
                resume: frame.line_slot(),
            },
            _ => ClosureLines {
                frame: ptr::null(),
                resume: 0,
            },
        }
    }

    /// The frame to record into: the one the closure started in, if it is still this thread's
    /// current frame.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn frame(&self) -> Option<&Frame> {
        if self.frame.is_null() || !ptr::eq(thread::current_frame_ptr(), self.frame) {
            return None;
        }
        // SAFETY: the thread's current frame is alive: a frame leaves the thread's chain of
        // current frames before it is dropped (`Frame::stop_being_current`).
        Some(unsafe { &*self.frame })
    }

    /// Moves the clock to line slot `line` without counting a hit (see
    /// [`Frame::move_to_line`]).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn move_to_line(&self, line: u32) -> &Self {
        if let Some(frame) = self.frame() {
            frame.move_to_line(line);
        }
        self
    }

    /// Records that a statement of the closure starts (see [`Frame::start_line`]).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn start_line(&self, line: u32) {
        if let Some(frame) = self.frame() {
            frame.start_line(line);
        }
    }
}

impl LineCursor for ClosureLines {
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn start_line(&self, line: u32) {
        ClosureLines::start_line(self, line);
    }
}

impl Drop for ClosureLines {
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn drop(&mut self) {
        if let Some(frame) = self.frame() {
            frame.move_to_line(self.resume);
        }
    }
}
