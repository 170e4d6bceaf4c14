//! Overhead compensation: the recorder's own cost per hit, measured at start-up and subtracted.
//!
//! A line's time runs from one clock read to the next, so it includes what the recorder does
//! between them: the end of one `enter` and the start of the next. line_profiler reports 78 to
//! 96 ns per hit for statements that cost a few nanoseconds for that reason. Here, when
//! recording starts, a private frame records 25 batches of 1,000 empty statements back to back;
//! the smallest batch average is the recorder's cost per hit (an empty statement costs nothing,
//! so all of its time is overhead). Reports subtract `hits × cost` from each line, never going
//! below zero, so a statement that does almost nothing reports close to its real cost.
//!
//! The same is done for a call: a private frame makes 25 batches of 1,000 calls of an empty
//! profiled function from one line; the smallest batch average is the recorder's cost per call,
//! as the calling line sees it (entry, exit, and the bookkeeping around them). A profiled call
//! counts the line boundaries and calls below it, all the way down, on the line that made it;
//! reports take `hits × cost per hit` off each line, and the counted boundaries and calls at
//! their costs off the calling lines, so that a line calling a 25-statement helper reports what
//! the call costs unprofiled, not what the recorder spent in it.
//!
//! The calls are made as a recording thread makes them: out of line, the callee's table looked
//! up in the thread's state, and in sampled mode each frame pushed on and popped off a
//! published stack (one the sampler never reads).
//!
//! In sampled mode the costs are measured the same way in wall time (the sampler sees wall
//! time): statements and calls recorded in sampled mode, timed from outside the batch. Reports
//! take off only the recorder's work inside the profiled calls made from a line (their entries,
//! exits and statements, all the way down); a line's own statements, under a nanosecond each,
//! stay in, so that a loop bounded by a deadline keeps the time it really took.
//!
//! Limits: the cost is measured for the kind of frame the calibrating thread would record (with
//! memory columns when the counting allocator is installed); in exact mode, a loop that runs
//! until a deadline (not a count) has the same wall time profiled or not, but fewer iterations
//! profiled, so its compensated time is less than its wall time; the cost of a hit varies with
//! caches, branch prediction and code placement, so a statement of a few nanoseconds is
//! reported within a few nanoseconds, not exactly. Set
//! `LABLINK_PROFILE_COMPENSATE=0` (or call [`set_compensation`]`(false)`) for raw times.

use std::cell::Cell;
use std::pin::pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};

use crate::base::clock;
use crate::base::function_site::{FunctionSite, SiteInfo};
use crate::recorder::frame::Frame;
use crate::recorder::line_table::LineTable;
use crate::recorder::published_stack::PublishedStack;
use crate::recorder::thread_state;

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
///
/// In sampled mode the sampler measures the costs again during the first second (see
/// [`measure_again`]) and reports use the lowest measurement: a machine busy during one
/// calibration (on a virtual machine, another guest on the same core can slow it by a third for
/// milliseconds) would otherwise have every report take off too much. Reports take sampled
/// mode's costs off when they are made, so two reports made within that first second may use
/// different costs; from then on they are fixed, and successive reports subtract alike.
pub(crate) fn costs() -> RecorderCost {
    if !compensation() {
        return RecorderCost::default();
    }
    let first = *COST.get_or_init(measure);
    RecorderCost {
        per_hit: first.per_hit.min(lowest(&LOWEST_PER_HIT)),
        per_call: first.per_call.min(lowest(&LOWEST_PER_CALL)),
    }
}

/// Measures the costs again, keeping the lowest (sampled mode's sampler thread, a few times in
/// its first second), once recording has measured them at start-up.
pub(crate) fn measure_again() {
    if COST.get().is_none() {
        return;
    }
    let again = crate::heap::uncounted(measure);
    keep_lowest(&LOWEST_PER_HIT, again.per_hit);
    keep_lowest(&LOWEST_PER_CALL, again.per_call);
}

/// The lowest costs measured again, as `f64` bits; 0 until measured.
static LOWEST_PER_HIT: AtomicU64 = AtomicU64::new(0);
static LOWEST_PER_CALL: AtomicU64 = AtomicU64::new(0);

/// The lowest cost kept in `lowest`, infinite if none.
fn lowest(lowest: &AtomicU64) -> f64 {
    match lowest.load(Relaxed) {
        0 => f64::INFINITY,
        bits => f64::from_bits(bits),
    }
}

/// Keeps `value` in `lowest` if it is lower than what is there.
fn keep_lowest(lowest: &AtomicU64, value: f64) {
    let _ = lowest.fetch_update(Relaxed, Relaxed, |bits| {
        (bits == 0 || value < f64::from_bits(bits)).then_some(value.to_bits())
    });
}

/// Statements or calls in a batch.
const BATCH: u64 = 1_000;

/// Batches of each; the fastest counts. Many short batches, interleaved, so that one of each
/// runs undisturbed even when the machine is busy: one slow batch (an interrupt, another
/// process) does not count, and a disturbance has to last the whole calibration (about 0.3 ms
/// in sampled mode, 1.3 ms in exact mode) to raise the costs.
const BATCHES: usize = 25;

fn measure() -> RecorderCost {
    // In sampled mode the frames publish their lines, as a recording thread's do, on a stack of
    // their own that the sampler never reads.
    let (table, callee, stack) = calibration_tables();
    let (mut per_hit, mut per_call) = (f64::INFINITY, f64::INFINITY);
    // The callee's table is found as a recording thread finds the tables of the functions it
    // recorded first (see `thread_state::existing_table`).
    thread_state::with_private_tables(&[(&CALLEE, callee)], stack, || {
        for _ in 0..BATCHES {
            per_hit = per_hit.min(batch_of_statements(table));
            per_call = per_call.min(batch_of_calls(table, callee));
        }
    });
    let finite = |x: f64| if x.is_finite() { x.max(0.0) } else { 0.0 };
    RecorderCost {
        per_hit: finite(per_hit),
        per_call: finite(per_call),
    }
}

/// This thread's tables for the calibration's two functions, and in sampled mode its published
/// stack (one the sampler never reads): made on the thread's first calibration (the recorder's
/// memory) and used again by the next ones.
#[allow(clippy::type_complexity)]
fn calibration_tables() -> (
    &'static LineTable,
    &'static LineTable,
    Option<&'static PublishedStack>,
) {
    thread_local! {
        static TABLES: Cell<Option<(&'static LineTable, &'static LineTable)>> =
            const { Cell::new(None) };
        static STACK: Cell<Option<&'static PublishedStack>> = const { Cell::new(None) };
    }
    let sampled = crate::control::time_mode::is_sampled();
    let stack = match STACK.get() {
        None if sampled => {
            let stack = PublishedStack::unlisted(0);
            STACK.set(Some(stack));
            Some(stack)
        }
        stack => stack.filter(|_| sampled),
    };
    let make = |site: &FunctionSite| -> &'static LineTable {
        Box::leak(Box::new(LineTable::new(0, 0, site.line_count(), stack)))
    };
    match TABLES.get() {
        Some((table, callee)) if table.stack.is_some() == stack.is_some() => (table, callee, stack),
        _ => {
            let tables = (make(&SITE), make(&CALLEE));
            TABLES.set(Some(tables));
            (tables.0, tables.1, stack)
        }
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

/// Begins a call of the calibration's callee as the call entry begins a recording thread's
/// calls: out of line, its table looked up in the thread's state (`fallback` if not there).
#[inline(never)]
fn begin_callee(site: &'static FunctionSite, fallback: &'static LineTable) -> Frame {
    let table = thread_state::existing_table(site).unwrap_or(fallback);
    Frame::begin_in(table, site, "calibration_callee", false)
}

/// Ticks per call of a batch of calls of an empty profiled function, made from one line.
fn batch_of_calls(table: &'static LineTable, callee: &'static LineTable) -> f64 {
    let frame = pin!(Frame::begin_in(table, &SITE, "calibration", false));
    let frame = Frame::activate(frame);
    frame.start_line(1);
    let started = clock::now();
    let before = table.slots[1].ticks.load(Relaxed);
    for _ in 0..BATCH {
        let call = pin!(begin_callee(std::hint::black_box(&CALLEE), callee));
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
