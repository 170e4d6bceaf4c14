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
//! The same is done for a call: a private frame makes 5 batches of 2,000 calls of an empty
//! profiled function from one line; the smallest batch average is the recorder's cost per call,
//! as the calling line sees it (entry, exit, and the bookkeeping around them). A profiled call
//! counts the line boundaries and calls below it, all the way down, on the line that made it;
//! reports take `hits × cost per hit` off each line, and the counted boundaries and calls at
//! their costs off the calling lines, so that a line calling a 25-statement helper reports what
//! the call costs unprofiled, not what the recorder spent in it.
//!
//! In sampled mode the costs are measured the same way in wall time (the sampler sees wall
//! time): statements and calls recorded in sampled mode, timed from outside the batch.
//!
//! Limits: the cost is measured for the kind of frame the calibrating thread would record (with
//! memory columns when the counting allocator is installed); a loop that runs until a deadline (not a count) has the same wall time profiled
//! or not, but fewer iterations profiled, so its compensated time is less than its wall time;
//! the cost of a hit varies with caches and branch prediction, so a statement of
//! a few nanoseconds is reported within a few nanoseconds, not exactly. Set
//! `LABLINK_PROFILE_COMPENSATE=0` (or call [`set_compensation`]`(false)`) for raw times.

use std::pin::pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use crate::base::clock;
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

static CALLEE: FunctionSite = FunctionSite::new(SiteInfo {
    name: "calibration_callee",
    file: file!(),
    first_line: 1,
    source: &["fn calibration_callee() {}"],
    is_async: false,
});

/// The recorder's own cost, in ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RecorderCost {
    /// One line boundary (a statement's start).
    pub(crate) per_hit: f64,
    /// One call of a profiled function, as the calling line sees it, its statements aside.
    pub(crate) per_call: f64,
}

/// The measured costs.
static COST: OnceLock<RecorderCost> = OnceLock::new();

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

/// Measures the recorder's costs once (when recording starts, after the time mode is fixed).
pub(crate) fn calibrate() {
    COST.get_or_init(measure);
}

/// The recorder's costs in ticks if compensation is on and they have been measured (zero costs
/// otherwise): what a call's distribution takes out as the call ends, which must not start the
/// measurement (the calibration's own calls end there too).
pub(crate) fn known_costs() -> RecorderCost {
    match COST.get() {
        Some(cost) if compensation() => *cost,
        _ => RecorderCost::default(),
    }
}

/// The recorder's costs in ticks, if compensation is on (zero costs otherwise).
pub(crate) fn costs() -> RecorderCost {
    if compensation() {
        *COST.get_or_init(measure)
    } else {
        RecorderCost::default()
    }
}

const BATCH: u64 = 2_000;

fn measure() -> RecorderCost {
    let table: &'static LineTable = Box::leak(Box::new(LineTable::new(0, 0, SITE.line_count())));
    let callee: &'static LineTable = Box::leak(Box::new(LineTable::new(0, 0, CALLEE.line_count())));
    let (mut per_hit, mut per_call) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..5 {
        per_hit = per_hit.min(batch_of_statements(table));
        per_call = per_call.min(batch_of_calls(table, callee));
    }
    let finite = |x: f64| if x.is_finite() { x.max(0.0) } else { 0.0 };
    RecorderCost {
        per_hit: finite(per_hit),
        per_call: finite(per_call),
    }
}

/// Ticks per statement of a batch of empty statements.
fn batch_of_statements(table: &'static LineTable) -> f64 {
    let frame = pin!(Frame::begin_in(table, &SITE, "calibration", false));
    let frame = Frame::activate(frame);
    let started = clock::now();
    let before = table.slots[1].ticks.load(Relaxed);
    for _ in 0..BATCH {
        frame.start_line(std::hint::black_box(1));
    }
    let ended = clock::now();
    // In exact mode the line's own ticks are the measure: the intervals between the batch's
    // statements, one fewer than the statements. In sampled mode lines keep no ticks, and the
    // batch is timed from outside.
    let own = table.slots[1].ticks.load(Relaxed) - before;
    if own > 0 {
        own as f64 / (BATCH - 1) as f64
    } else {
        ended.wrapping_sub(started) as f64 / BATCH as f64
    }
}

/// Ticks per call of a batch of calls of an empty profiled function, made from one line.
fn batch_of_calls(table: &'static LineTable, callee: &'static LineTable) -> f64 {
    let frame = pin!(Frame::begin_in(table, &SITE, "calibration", false));
    let frame = Frame::activate(frame);
    frame.start_line(1);
    let started = clock::now();
    let before = table.slots[1].ticks.load(Relaxed);
    for _ in 0..BATCH {
        let call = pin!(Frame::begin_in(
            callee,
            std::hint::black_box(&CALLEE),
            "calibration_callee",
            false
        ));
        Frame::activate(call);
    }
    let ended = clock::now();
    frame.start_line(2);
    let own = table.slots[1].ticks.load(Relaxed) - before;
    let ticks = if own > 0 {
        own
    } else {
        ended.wrapping_sub(started)
    };
    ticks as f64 / BATCH as f64
}
