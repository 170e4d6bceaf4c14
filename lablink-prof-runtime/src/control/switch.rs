//! The process-wide on/off switch: one relaxed atomic load per profiled call.

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

const UNKNOWN: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether profiled functions record. The first call reads `LABLINK_PROFILING`.
#[inline(always)]
pub fn enabled() -> bool {
    match STATE.load(Relaxed) {
        ON => true,
        OFF => false,
        _ => from_environment(),
    }
}

#[cold]
fn from_environment() -> bool {
    let on = crate::control::settings::settings().enabled;
    // Another thread, or an explicit `enable`/`disable`, may have decided first: keep theirs.
    let _ = STATE.compare_exchange(UNKNOWN, if on { ON } else { OFF }, Relaxed, Relaxed);
    STATE.load(Relaxed) == ON
}

/// Turns recording on for the whole process, whatever `LABLINK_PROFILING` says.
pub fn enable() {
    STATE.store(ON, Relaxed);
}

/// Turns recording off for the whole process. Calls already running finish their recording.
pub fn disable() {
    STATE.store(OFF, Relaxed);
}
