//! The recorder: what runs in profiled code.
//!
//! A call's [`frame`] records each line boundary into the calling thread's own
//! [`line_table`] for the function; [`thread_state`] keeps the thread's tables and its current
//! frame; the [`registry`] lists every function, thread and table for reports; [`calibration`]
//! measures the recorder's own cost per line. Closures ([`closure_lines`]), `for` loops
//! ([`line_iter`]) and `.await`s ([`await_timer`]) record through the frame of their call.

pub(crate) mod await_timer;
pub(crate) mod calibration;
pub(crate) mod closure_lines;
pub(crate) mod distribution;
pub(crate) mod frame;
pub(crate) mod line_iter;
pub(crate) mod line_table;
pub(crate) mod published_stack;
pub(crate) mod registry;
pub(crate) mod thread_state;
