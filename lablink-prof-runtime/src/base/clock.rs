//! The clock: raw timestamp-counter ticks on the recording path, nanoseconds in reports.
//!
//! On x86-64 a tick is one step of the CPU's time-stamp counter (`rdtsc`), the cheapest clock
//! there is (about 9 ns a read on the reference machine, against 22 ns for `Instant::now()`).
//! Ticks become nanoseconds only when a report is made: the ratio is measured over the whole run,
//! between the first profiled call and the report, against `std::time::Instant`, so it is as exact
//! as the run is long. Elsewhere a tick is a nanosecond of `Instant`.
//!
//! The time-stamp counter is assumed to be invariant (constant rate, synchronised across cores),
//! as it is on every x86-64 CPU of the last decade and on virtual machines whose kernel uses it as
//! clock source (`/sys/devices/system/clocksource/clocksource0/current_clocksource` says `tsc`).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Reads the clock, in ticks.
#[inline(always)]
pub fn now() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `rdtsc` has no preconditions: it reads the time-stamp counter and touches no memory.
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        anchor().instant.elapsed().as_nanos() as u64
    }
}

/// The first reading of both clocks, taken when the first profiled function is registered.
#[derive(Debug)]
struct Anchor {
    ticks: u64,
    instant: Instant,
}

static ANCHOR: OnceLock<Anchor> = OnceLock::new();

fn anchor() -> &'static Anchor {
    ANCHOR.get_or_init(|| Anchor {
        instant: Instant::now(),
        ticks: 0,
    })
}

/// Takes the anchor reading if it has not been taken yet. Called when recording starts.
pub(crate) fn start() {
    #[cfg(target_arch = "x86_64")]
    ANCHOR.get_or_init(|| Anchor {
        instant: Instant::now(),
        ticks: now(),
    });
    #[cfg(not(target_arch = "x86_64"))]
    anchor();
}

/// The shortest span over which the tick rate is measured; shorter runs wait for the rest.
const MIN_CALIBRATION: Duration = Duration::from_millis(20);

/// Nanoseconds per tick, measured from the anchor to now.
pub(crate) fn ns_per_tick() -> f64 {
    if cfg!(not(target_arch = "x86_64")) {
        return 1.0;
    }
    start();
    let anchor = anchor();
    let waited = anchor.instant.elapsed();
    if waited < MIN_CALIBRATION {
        std::thread::sleep(MIN_CALIBRATION - waited);
    }
    let ticks = now().wrapping_sub(anchor.ticks);
    let nanos = anchor.instant.elapsed().as_nanos() as f64;
    if ticks == 0 {
        1.0
    } else {
        nanos / ticks as f64
    }
}

/// Converts tick counts to nanoseconds so that rounded parts add up to the rounded whole.
///
/// Each value is rounded at its running total (`round(sum_0..=i) - round(sum_0..i)`), so the
/// nanoseconds of a function's lines add up exactly to the nanoseconds of their tick sum.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TickScale {
    ns_per_tick: f64,
}

impl TickScale {
    pub(crate) fn measure() -> Self {
        TickScale {
            ns_per_tick: ns_per_tick(),
        }
    }

    #[cfg(test)]
    pub(crate) fn fixed(ns_per_tick: f64) -> Self {
        TickScale { ns_per_tick }
    }

    /// Nanoseconds per tick.
    pub(crate) fn ns_per_tick(self) -> f64 {
        self.ns_per_tick
    }

    /// Converts one tick count.
    pub(crate) fn ns(self, ticks: u64) -> u64 {
        (ticks as f64 * self.ns_per_tick).round() as u64
    }

    /// Converts several tick counts whose rounded results must add up to `ns(sum)`.
    pub(crate) fn ns_parts(self, ticks: &[u64]) -> Vec<u64> {
        let mut running = 0u64;
        let mut running_ns = 0u64;
        ticks
            .iter()
            .map(|&t| {
                running = running.wrapping_add(t);
                let next = self.ns(running);
                let part = next.saturating_sub(running_ns);
                running_ns = next;
                part
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_parts_add_up_to_the_rounded_sum() {
        let scale = TickScale::fixed(0.37);
        let parts = [3u64, 7, 1, 1, 1, 999, 12345, 2];
        let ns = scale.ns_parts(&parts);
        assert_eq!(ns.iter().sum::<u64>(), scale.ns(parts.iter().sum()));
    }

    #[test]
    fn ticks_advance() {
        let a = now();
        let b = now();
        assert!(b >= a);
    }
}
