//! Overhead compensation: the recorder's own cost per hit, measured at start-up and subtracted.
//!
//! A line's time runs from one clock read to the next, so it includes what the recorder does
//! between them: the end of one `enter` and the start of the next. line_profiler reports 78 to
//! 96 ns per hit for statements that cost a few nanoseconds for that reason. Here, when
//! recording starts, a private frame records 5 batches of 2,000 empty statements back to back;
//! the smallest batch average is the recorder's cost per hit (an empty statement costs nothing,
//! so all of its time is overhead). Reports subtract `hits × cost` from each line, never going
//! below zero, so a statement that does almost nothing reports close to its real cost.
//!
//! Limits: the cost is measured for the kind of frame the calibrating thread would record (with
//! memory columns when the counting allocator is installed); a line that calls profiled
//! functions still carries their entry, exit and statement costs (their own lines are
//! compensated); a loop that runs until a deadline (not a count) has the same wall time profiled
//! or not, but fewer iterations profiled, so its compensated time is less than its wall time;
//! the cost of a hit varies with caches and branch prediction, so a statement of
//! a few nanoseconds is reported within a few nanoseconds, not exactly. Set
//! `LABLINK_PROFILE_COMPENSATE=0` (or call [`set_compensation`]`(false)`) for raw times.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use crate::base::function_site::{FunctionSite, SiteInfo};
use crate::recorder::frame::Frame;
use crate::recorder::line_table::LineTable;

static SITE: FunctionSite = FunctionSite::new(SiteInfo {
    name: "calibration",
    file: file!(),
    first_line: 1,
    source: &["fn calibration() {", "    ;", "}"],
    is_async: false,
});

/// The measured cost per hit, in ticks.
static OVERHEAD: OnceLock<f64> = OnceLock::new();

const UNSET: u8 = 0;
const ON: u8 = 1;
const OFF: u8 = 2;
static COMPENSATE: AtomicU8 = AtomicU8::new(UNSET);

/// Turns overhead compensation on (the default) or off for the reports made from now on.
pub fn set_compensation(on: bool) {
    COMPENSATE.store(if on { ON } else { OFF }, Relaxed);
}

/// Whether reports subtract the recorder's cost.
pub fn compensation() -> bool {
    match COMPENSATE.load(Relaxed) {
        ON => true,
        OFF => false,
        _ => crate::control::settings::settings().compensate,
    }
}

/// Measures the recorder's cost once (when recording starts).
pub(crate) fn calibrate() {
    OVERHEAD.get_or_init(measure);
}

/// The recorder's cost per hit in ticks, if compensation is on.
pub(crate) fn overhead_ticks() -> f64 {
    if compensation() {
        *OVERHEAD.get_or_init(measure)
    } else {
        0.0
    }
}

fn measure() -> f64 {
    const BATCH: u64 = 2_000;
    let table: &'static LineTable = Box::leak(Box::new(LineTable::new(0, 0, SITE.line_count())));
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let frame = Frame::begin_in(table, &SITE, "calibration", false);
        let before = table.slots[1].ticks.load(Relaxed);
        for _ in 0..BATCH {
            frame.start_line(std::hint::black_box(1));
        }
        // The last hit's interval closes at the drop, like a last line's.
        drop(frame);
        let ticks = table.slots[1].ticks.load(Relaxed) - before;
        best = best.min(ticks as f64 / BATCH as f64);
    }
    if best.is_finite() { best } else { 0.0 }
}
