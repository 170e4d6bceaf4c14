//! The Mem usage column: the process's live heap when a line ends, without summing every
//! thread's counters at every line.
//!
//! The process's live heap is the sum over the threads' heap slots. Summed at every line end, it
//! cost 0.4 to 0.7 ns per slot in use: a statement with memory columns took 12 ns with no other
//! thread and 109 ns with 256 threads alive (`cargo bench --bench line_recording_heap`), and in a
//! scratch program 37 ns with 64 and 720 ns with 1,000. So, with one slot in use (one thread has
//! ever allocated), a line adds that slot's live heap, read already, and the overflow slot's; up
//! to [`EXACT_UP_TO`] slots in use, it sums them all, exactly. Beyond that, a line adds its own thread's live heap, exactly,
//! to the other threads' as this thread last summed them, and sums them again once
//! [`TICKS_PER_SLOT`] clock ticks per slot in use have passed: summing then takes a few percent
//! of the time between sums, whatever the number of threads, and the other threads' part is at
//! most that old (about 25 µs with 1,000 threads at 2.6 GHz). Their part is a moment's view
//! either way: they run while the line ends.

use std::cell::Cell;
use std::ptr;

use crate::heap::{self, HeapSlot};

/// Up to this many slots in use, every line end sums them all.
const EXACT_UP_TO: usize = 16;

/// Beyond [`EXACT_UP_TO`], how many clock ticks per slot in use a sum of the other threads' live
/// heap serves for. A slot takes one to two ticks to read, so summing takes 2% to 3% of the time.
const TICKS_PER_SLOT: u64 = 64;

/// The other threads' live heap as this thread last summed it.
#[derive(Clone, Copy)]
struct OthersSeen {
    /// The slot whose own figure was taken out of the sum (this thread's at the time).
    own: *const HeapSlot,
    /// The sum over every slot but `own`.
    others: i64,
    /// When it was summed, in clock ticks.
    at: u64,
}

thread_local! {
    // Const-initialised, no destructor: reading it never allocates.
    static OTHERS: Cell<OthersSeen> = const {
        Cell::new(OthersSeen { own: ptr::null(), others: 0, at: 0 })
    };
}

/// What a caller passes to [`after_line`] as `now` when it has not read the clock (sampled mode
/// reads none per line): the clock is then read only where the sum needs it, beyond
/// [`EXACT_UP_TO`] slots in use. Never a reading: the counter would take centuries to get there.
pub(crate) const CLOCK_UNREAD: u64 = u64::MAX;

/// The process's live heap when a line ends at `now` (or [`CLOCK_UNREAD`]): `own_live` is the
/// live heap of `own`, the slot of the thread running the line, read just before.
#[inline(always)]
pub(crate) fn after_line(own: &'static HeapSlot, own_live: i64, now: u64) -> u64 {
    let claimed = heap::slots_in_use();
    if claimed == 1
        && let Some(sum) = heap::live_sum_of_one(own, own_live)
    {
        // One thread has ever allocated (a single-threaded program): no slot to loop over.
        return sum.max(0) as u64;
    }
    if claimed <= EXACT_UP_TO {
        return heap::live_sum(claimed).max(0) as u64;
    }
    let now = if now == CLOCK_UNREAD {
        crate::base::clock::now()
    } else {
        now
    };
    let others = others_seen(own, own_live, now, claimed);
    others.saturating_add(own_live).max(0) as u64
}

#[inline(never)]
fn others_seen(own: &'static HeapSlot, own_live: i64, now: u64, claimed: usize) -> i64 {
    let seen = OTHERS.get();
    let fresh = now.wrapping_sub(seen.at) < claimed as u64 * TICKS_PER_SLOT;
    if fresh && ptr::eq(seen.own, own) {
        return seen.others;
    }
    // `own` is this thread's, and nothing on this thread has allocated since `own_live` was
    // read: the sum holds exactly that figure for it.
    let others = heap::live_sum(claimed).wrapping_sub(own_live);
    OTHERS.set(OthersSeen {
        own,
        others,
        at: now,
    });
    others
}
