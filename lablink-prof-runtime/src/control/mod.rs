//! The control layer: the settings, read from the environment once and in one place, and the
//! process-wide switch that turns recording on and off.

pub(crate) mod settings;
pub(crate) mod switch;
