//! The control layer: the settings, read from the environment once and in one place, and the
//! process-wide switches: recording on or off, and its time mode.

pub(crate) mod settings;
pub(crate) mod switch;
pub(crate) mod time_mode;
