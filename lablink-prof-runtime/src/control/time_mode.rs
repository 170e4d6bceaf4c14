//! The time mode of this process's recording: exact (a clock read at every line boundary) or
//! sampled (hits counted, time sampled). It is chosen by `LABLINK_PROFILE_MODE` or
//! [`set_time_mode`] before recording starts, and fixed from then on: one run's figures are all
//! of one kind.

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use crate::model::TimeMode;

const UNSET: u8 = 0;
const EXACT: u8 = 1;
const SAMPLED: u8 = 2;
/// Added once recording has started: the mode can no longer change.
const FIXED: u8 = 4;

static MODE: AtomicU8 = AtomicU8::new(UNSET);

fn decode(state: u8) -> TimeMode {
    if state & !FIXED == SAMPLED {
        TimeMode::Sampled
    } else {
        TimeMode::Exact
    }
}

/// Chooses how this process's recording obtains times, overriding `LABLINK_PROFILE_MODE`.
///
/// ```
/// use lablink_prof_runtime::{TimeMode, set_time_mode};
/// set_time_mode(TimeMode::Sampled).expect("called before the first recorded call");
/// ```
///
/// # Errors
/// The mode in force, when recording has already started: a run's figures are all of one mode.
pub fn set_time_mode(mode: TimeMode) -> Result<(), TimeMode> {
    let wanted = match mode {
        TimeMode::Exact => EXACT,
        TimeMode::Sampled => SAMPLED,
    };
    let mut state = MODE.load(Relaxed);
    loop {
        if state & FIXED != 0 {
            return if decode(state) == mode {
                Ok(())
            } else {
                Err(decode(state))
            };
        }
        match MODE.compare_exchange_weak(state, wanted, Relaxed, Relaxed) {
            Ok(_) => return Ok(()),
            Err(now) => state = now,
        }
    }
}

/// Sampled mode's rate set from code, in millihertz; 0 when not set.
static RATE_MILLIHZ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Chooses sampled mode's rate, samples per second, overriding `LABLINK_PROFILE_HZ`.
///
/// # Errors
/// The rate asked for, when it is not above 0 and at most 100,000, or when recording has
/// already started (the sampler's rate is fixed then).
pub fn set_sample_rate(hz: f64) -> Result<(), f64> {
    use crate::control::settings::MAX_HZ;
    if !(hz.is_finite() && hz > 0.0 && hz <= MAX_HZ) || MODE.load(Relaxed) & FIXED != 0 {
        return Err(hz);
    }
    RATE_MILLIHZ.store((hz * 1000.0).round().max(1.0) as u64, Relaxed);
    Ok(())
}

/// Sampled mode's rate: the one set from code, else the environment's.
pub(crate) fn sample_rate() -> f64 {
    match RATE_MILLIHZ.load(Relaxed) {
        0 => crate::control::settings::settings().hz,
        millihz => millihz as f64 / 1000.0,
    }
}

/// The mode recording uses: the one set from code, else the environment's. Fixes it (the
/// start-up calls this once, when recording starts).
pub(crate) fn fix() -> TimeMode {
    let mut state = MODE.load(Relaxed);
    loop {
        if state & FIXED != 0 {
            return decode(state);
        }
        let mode = if state == UNSET {
            match crate::control::settings::settings().mode {
                TimeMode::Exact => EXACT,
                TimeMode::Sampled => SAMPLED,
            }
        } else {
            state
        };
        match MODE.compare_exchange_weak(state, mode | FIXED, Relaxed, Relaxed) {
            Ok(_) => return decode(mode),
            Err(now) => state = now,
        }
    }
}

/// Whether recording samples time. Before recording starts, what it would use.
#[inline(always)]
pub fn time_mode() -> TimeMode {
    match MODE.load(Relaxed) {
        UNSET => crate::control::settings::settings().mode,
        state => decode(state),
    }
}

/// Whether the process records in sampled mode (one relaxed load; for the recorder's calls).
#[inline(always)]
pub(crate) fn is_sampled() -> bool {
    MODE.load(Relaxed) & !FIXED == SAMPLED
}
