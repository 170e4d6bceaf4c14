//! Sources of the current time, injectable so that expiry logic can be tested without sleeping.

use std::fmt::Debug;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// A source of the current UTC time.
///
/// [`SessionManager`](crate::security::auth::SessionManager) reads the time through this trait so
/// that tests can move time forward with a [`ManualClock`] instead of sleeping.
pub trait Clock: Debug + Send + Sync {
    /// Returns the current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock ([`Utc::now`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; meant for tests and simulations.
///
/// ```
/// use std::time::Duration;
/// use lablink_core::clock::{Clock, ManualClock};
///
/// let clock = ManualClock::at_unix_seconds(1_700_000_000);
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(clock.now().timestamp(), 1_700_000_060);
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// Creates a clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Creates a clock stopped at `seconds` after the Unix epoch (the epoch itself if out of range).
    pub fn at_unix_seconds(seconds: i64) -> Self {
        Self::new(DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::UNIX_EPOCH))
    }

    /// Sets the current time to `now`.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock forward by `by`, saturating at the latest representable time.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = add_saturating(*now, by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Adds a standard duration to a time, saturating at [`DateTime::<Utc>::MAX_UTC`].
pub(crate) fn add_saturating(time: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    let delta = TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX);
    time.checked_add_signed(delta)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_advances_and_saturates() {
        let clock = ManualClock::at_unix_seconds(10);
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now().timestamp(), 15);
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
    }
}
