//! The counting allocator: exact heap figures per thread, for the memory columns and the heap
//! assertions.
//!
//! [`CountingAlloc`] wraps the system allocator, or any other [`GlobalAlloc`] (dhat's among them),
//! and counts every allocation and free in the calling thread's own [`HeapSlot`]: bytes and blocks
//! allocated and freed, the live heap, and its high-water mark. The high-water mark is kept only
//! while a profiled call that reads it is open on the thread: elsewhere an allocation counts its
//! bytes and its block (at once, see [`counter_pair`]) and nothing more. Heap regions keep marks of
//! their own, on the general path ([`open_regions`]). A slot is written only by its thread, with
//! relaxed loads and stores (plain moves on x86-64): no lock and no shared read-modify-write on the
//! allocation path. The slots sit in one static array so that the process's live heap is the sum
//! over them; a thread claims one on its first allocation (one compare-and-swap, once per thread).
//! Threads beyond [`THREAD_SLOTS`] share one more slot, updated with atomic adds: still exact for
//! the process, but their per-line memory figures are left out, and their heap regions count
//! nothing. A thread's slot goes back to the pool when the thread ends ([`slot_release`]), with its
//! counts: the next thread to claim it continues them, so the process's figures stay exact, and the
//! limit is on threads alive at once rather than threads ever started.
//!
//! Memory freed on another thread than the one that allocated it counts as freed on the thread
//! that frees it: that thread's net goes down, the allocating thread's stays up. The process's
//! figures are exact either way.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::{mem, ptr};

use crate::heap::counter_pair::{self, CounterPair};
use crate::heap::open_regions;
use crate::heap::process_tracking;

/// `HeapSlot::carried` when no line has ended since the innermost profiled call began.
const NOTHING_CARRIED: i64 = i64::MIN;

/// What a profiled call's peak measurement puts back when it ends: the calling line's state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeakSave {
    pub(crate) peak: i64,
    pub(crate) carried: i64,
}

impl Default for PeakSave {
    fn default() -> Self {
        PeakSave {
            peak: 0,
            carried: NOTHING_CARRIED,
        }
    }
}

/// How many threads at once get a slot of their own.
pub const THREAD_SLOTS: usize = 1024;

/// One thread's heap counters.
#[derive(Debug)]
#[repr(align(128))] // two cache lines: the adjacent-line prefetcher fetches lines in pairs
pub(crate) struct HeapSlot {
    /// Bytes and blocks allocated.
    pub(crate) allocated: CounterPair,
    /// Bytes and blocks freed.
    pub(crate) freed: CounterPair,
    /// The highest `live` has been since the innermost open profiled call, or its running line,
    /// lowered it.
    pub(crate) peak: AtomicI64,
    /// The highest of the peaks that lines set aside when they ended (see `end_line_peak`) since
    /// the innermost open profiled call began, or `NOTHING_CARRIED`.
    carried: AtomicI64,
    /// What `peak` was before the last allocation that raised it, and that allocation's number
    /// (`allocated.blocks` once counted): an allocation counted before the inner allocator
    /// answers, and then refused by it, takes its raise of the peak back with these.
    peak_before_raise: AtomicI64,
    raised_by: AtomicU64,
    /// Whether several threads write this slot (the overflow slot).
    pub(crate) shared: bool,
    /// Whether the thread that had it has ended and it waits for another (see `reclaim`).
    released: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // used only to fill the array below
const EMPTY_SLOT: HeapSlot = HeapSlot {
    allocated: CounterPair::new(),
    freed: CounterPair::new(),
    peak: AtomicI64::new(0),
    carried: AtomicI64::new(NOTHING_CARRIED),
    peak_before_raise: AtomicI64::new(0),
    raised_by: AtomicU64::new(0),
    shared: false,
    released: AtomicBool::new(false),
};

static SLOTS: [HeapSlot; THREAD_SLOTS] = [EMPTY_SLOT; THREAD_SLOTS];
/// How many slots have ever been claimed: the used part of `SLOTS`.
static CLAIMED: AtomicUsize = AtomicUsize::new(0);
/// How many of them their threads have given back.
static RELEASED_SLOTS: AtomicUsize = AtomicUsize::new(0);
static OVERFLOW: HeapSlot = HeapSlot {
    shared: true,
    ..EMPTY_SLOT
};
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// Where allocations that the wrapped allocator makes for itself, while serving one of ours,
/// are counted: nowhere that is read (dhat, for one, allocates its own bookkeeping this way).
static DISCARD: HeapSlot = HeapSlot {
    shared: true,
    ..EMPTY_SLOT
};

thread_local! {
    // Const-initialised, no destructor: usable before `main`, during thread start-up and after
    // the thread's other locals are gone, and reading them never allocates.
    static SLOT: Cell<*const HeapSlot> = const { Cell::new(ptr::null()) };
    /// This thread's slot while counting in it takes nothing but plain stores: claimed, its
    /// own (not the overflow slot), and no heap region open. Null otherwise, which sends the
    /// allocator down the general path. One load and one test decide the fast path.
    static FAST: Cell<*const HeapSlot> = const { Cell::new(ptr::null()) };
    /// `FAST` where the processor lets a counter pair be added to at once
    /// ([`counter_pair::at_once_is_atomic`]), else null.
    static PAIRED: Cell<*const HeapSlot> = const { Cell::new(ptr::null()) };
    /// `PAIRED` while no peak measurement is open on this thread, else null. An allocation with
    /// no one watching the peak counts its bytes and block, at once, and nothing more.
    static UNWATCHED: Cell<*const HeapSlot> = const { Cell::new(ptr::null()) };
    /// How many peak measurements (profiled calls) are open on this thread.
    static WATCHES: Cell<u32> = const { Cell::new(0) };
}

/// Whether the counting allocator has served an allocation in this process.
pub fn is_installed() -> bool {
    INSTALLED.load(Relaxed)
}

/// This thread's slot, claimed on first use.
#[inline(always)]
pub(crate) fn this_thread() -> &'static HeapSlot {
    slot(false)
}

/// This thread's slot, for the allocator: the first claim from the allocator also records that
/// the counting allocator serves this process.
#[inline(always)]
fn slot_for_allocator() -> &'static HeapSlot {
    slot(true)
}

#[inline(always)]
fn slot(from_allocator: bool) -> &'static HeapSlot {
    let slot = SLOT.get();
    if slot.is_null() {
        return claim(from_allocator);
    }
    // SAFETY: non-null values of `SLOT` are references to statics set by `claim`.
    unsafe { &*slot }
}

#[cold]
#[inline(never)]
fn claim(from_allocator: bool) -> &'static HeapSlot {
    if from_allocator {
        mark_installed();
    }
    let slot = reclaim()
        .or_else(|| SLOTS.get(CLAIMED.fetch_add(1, Relaxed)))
        .unwrap_or(&OVERFLOW);
    SLOT.set(slot);
    refresh_fast_path();
    if !slot.shared {
        crate::heap::slot_release::on_thread_end(slot);
    }
    slot
}

/// Marks the path it is on as unlikely, for the placement of code: a call to a `#[cold]`
/// function does so before it is inlined (`std::hint::cold_path` needs Rust 1.95).
#[cold]
#[inline(always)]
fn cold_path() {}

/// Records that the counting allocator serves this process.
#[inline(always)]
fn mark_installed() {
    if !INSTALLED.load(Relaxed) {
        INSTALLED.store(true, Relaxed);
    }
}

/// A slot a thread that has ended gave back, if there is one.
fn reclaim() -> Option<&'static HeapSlot> {
    if RELEASED_SLOTS.load(Relaxed) == 0 {
        return None;
    }
    let claimed = CLAIMED.load(Relaxed).min(THREAD_SLOTS);
    // Acquire: the counts the ended thread left in it are the ones to continue.
    let slot = SLOTS[..claimed].iter().find(|s| {
        s.released
            .compare_exchange(true, false, Acquire, Relaxed)
            .is_ok()
    })?;
    RELEASED_SLOTS.fetch_sub(1, Relaxed);
    Some(slot)
}

/// Gives this thread's slot back (its thread is ending); later allocations of the thread are
/// counted in the overflow slot. Called once, by [`slot_release`](crate::heap::slot_release) (on Unix:
/// elsewhere slots are not given back).
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) fn release_this_thread(slot: &'static HeapSlot) {
    SLOT.set(&OVERFLOW);
    refresh_fast_path();
    slot.released.store(true, Release);
    RELEASED_SLOTS.fetch_add(1, Relaxed);
}

/// This thread's slot if the fast path is open (see `FAST`).
#[inline(always)]
fn fast_slot() -> Option<&'static HeapSlot> {
    // SAFETY: non-null values of `FAST` are references to statics (`refresh_fast_path`).
    unsafe { FAST.get().as_ref() }
}

/// This thread's slot if the fast path is open and its counter pairs can be added to at once
/// (see `PAIRED`).
#[inline(always)]
fn paired_slot() -> Option<&'static HeapSlot> {
    // SAFETY: non-null values of `PAIRED` are values of `FAST`.
    unsafe { PAIRED.get().as_ref() }
}

/// `paired_slot`, if no peak measurement is open either (see `UNWATCHED`).
#[inline(always)]
fn unwatched_slot() -> Option<&'static HeapSlot> {
    // SAFETY: non-null values of `UNWATCHED` are values of `PAIRED`.
    unsafe { UNWATCHED.get().as_ref() }
}

/// One peak measurement of this thread has ended.
#[inline(always)]
fn leave_watch() {
    WATCHES.set(WATCHES.get().saturating_sub(1));
    refresh_unwatched();
}

/// Sets `UNWATCHED` from `PAIRED` and the open peak measurements.
#[inline(always)]
fn refresh_unwatched() {
    UNWATCHED.set(if WATCHES.get() == 0 {
        PAIRED.get()
    } else {
        ptr::null()
    });
}

/// Opens or closes this thread's fast path to match its slot and its regions: call after
/// claiming the slot and after opening or closing a heap region.
pub(crate) fn refresh_fast_path() {
    let slot = SLOT.get();
    // SAFETY: non-null values of `SLOT` are references to statics set by `claim`.
    let fast = !slot.is_null()
        && unsafe { !(*slot).shared }
        && !open_regions::any_open()
        && !process_tracking::is_on();
    FAST.set(if fast { slot } else { ptr::null() });
    PAIRED.set(if fast && counter_pair::at_once_is_atomic() {
        slot
    } else {
        ptr::null()
    });
    refresh_unwatched();
}

/// The process's live heap: bytes allocated and not yet freed, over all threads.
pub fn process_live_bytes() -> u64 {
    live_sum(slots_in_use()).max(0) as u64
}

/// The process's live blocks: blocks allocated and not yet freed, over all threads.
pub(crate) fn process_live_blocks() -> i64 {
    SLOTS[..slots_in_use()]
        .iter()
        .chain([&OVERFLOW])
        .map(|s| {
            let r = s.read();
            r.allocs.wrapping_sub(r.frees) as i64
        })
        .sum()
}

/// How many slots have been claimed (the used part of the slot array).
#[inline(always)]
pub(crate) fn slots_in_use() -> usize {
    CLAIMED.load(Relaxed).min(THREAD_SLOTS)
}

/// The process's live heap when `own`, with `own_live` live, is the only slot in use (one thread
/// has ever allocated): `own_live` and the overflow slot's, without the loop of `live_sum`.
#[inline(always)]
pub(crate) fn live_sum_of_one(own: &'static HeapSlot, own_live: i64) -> Option<i64> {
    (ptr::eq(own, &SLOTS[0])).then(|| own_live.wrapping_add(OVERFLOW.live()))
}

/// The live heap summed over the first `claimed` slots and the overflow slot: the process's, for
/// `claimed` from [`slots_in_use`].
pub(crate) fn live_sum(claimed: usize) -> i64 {
    SLOTS[..claimed]
        .iter()
        .chain([&OVERFLOW])
        .map(HeapSlot::live)
        .sum()
}

impl HeapSlot {
    /// The slot's live heap: bytes allocated less bytes freed (two loads, where `read` takes
    /// four).
    #[inline(always)]
    fn live(&self) -> i64 {
        let allocated = self.allocated.bytes.load(Relaxed);
        allocated.wrapping_sub(self.freed.bytes.load(Relaxed)) as i64
    }

    /// Counts an allocation of `size` bytes in a slot only this thread writes; returns the
    /// slot's live heap after it.
    #[inline(always)]
    fn count_alloc(&self, size: usize) -> i64 {
        // The live heap is derived (allocated less freed) rather than kept: a counter updated
        // by both `alloc` and `dealloc` would chain every pair of calls through one location.
        let allocated = self.allocated.bytes.load(Relaxed).wrapping_add(size as u64);
        self.allocated.bytes.store(allocated, Relaxed);
        let number = self.allocated.blocks.load(Relaxed).wrapping_add(1);
        self.allocated.blocks.store(number, Relaxed);
        let live = allocated.wrapping_sub(self.freed.bytes.load(Relaxed)) as i64;
        let peak = self.peak.load(Relaxed);
        if live > peak {
            self.peak_before_raise.store(peak, Relaxed);
            self.raised_by.store(number, Relaxed);
            self.peak.store(live, Relaxed);
        }
        live
    }

    /// Raises the peak to the live heap after an allocation counted by adding the pair at once,
    /// which left `allocated` bytes allocated: as `count_alloc` does after its adds.
    #[inline(always)]
    fn raise_peak(&self, allocated: u64) {
        let live = allocated.wrapping_sub(self.freed.bytes.load(Relaxed)) as i64;
        let peak = self.peak.load(Relaxed);
        if live > peak {
            self.peak_before_raise.store(peak, Relaxed);
            self.raised_by
                .store(self.allocated.blocks.load(Relaxed), Relaxed);
            self.peak.store(live, Relaxed);
        }
    }

    /// Takes back the allocation counted last, which the inner allocator then refused: as if
    /// it had never been counted, peak included.
    fn uncount_alloc(&self, size: usize) {
        let number = self.allocated.blocks.load(Relaxed);
        if self.raised_by.load(Relaxed) == number {
            self.peak
                .store(self.peak_before_raise.load(Relaxed), Relaxed);
            // Number `number` is counted again by the next allocation, which may not raise it.
            self.raised_by.store(0, Relaxed);
        }
        self.allocated.add((size as u64).wrapping_neg(), u64::MAX);
    }
}

/// Counts an allocation on the general path: any slot, open heap regions included.
#[inline(always)]
fn counted_alloc(slot: &'static HeapSlot, ptr: *mut u8, size: usize) {
    // The thread's slot may have been claimed before its first allocation (by a heap region,
    // before `main`), and not by the allocator.
    mark_installed();
    if process_tracking::is_on() && !ptr::eq(slot, &DISCARD) {
        process_tracking::on_alloc(
            ptr as usize,
            size,
            crate::heap::line_attribution::running_line(),
        );
    }
    if slot.shared {
        slot.allocated.add_shared(size as u64);
        return;
    }
    let live = slot.count_alloc(size);
    open_regions::on_alloc(live, ptr, size);
}

/// Takes a block about to be freed off its line, if the whole process is tracked and the free
/// is counted (not one the wrapped allocator makes for itself): returns the line it was on.
/// Called before the block goes back to the wrapped allocator.
#[inline(always)]
fn track_free(ptr: *mut u8, size: usize) -> Option<u32> {
    if !process_tracking::is_on() {
        return None;
    }
    cold_path();
    (!ptr::eq(slot_for_allocator(), &DISCARD))
        .then(|| process_tracking::on_free(ptr as usize, size))
}

/// Counts a free on the general path.
#[inline(always)]
fn counted_free(slot: &'static HeapSlot, ptr: *mut u8, size: usize) {
    if slot.shared {
        slot.freed.add_shared(size as u64);
        return;
    }
    slot.freed.add(size as u64, 1);
    open_regions::on_free(ptr);
}

/// Takes back an allocation counted on a fast path (in the thread's own slot, which those
/// paths reach through `UNWATCHED` and `FAST`) that the inner allocator then refused. The slot
/// is looked up again here, so that the fast paths keep nothing but the size across the call.
#[cold]
#[inline(never)]
fn take_back_refused(size: usize) {
    // SAFETY: a fast path was taken, so `SLOT` is claimed: a reference to a static.
    unsafe { &*SLOT.get() }.uncount_alloc(size);
}

/// The general path of an allocation the inner allocator has answered with `p`; returns `p`
/// (so that the caller keeps nothing across the call).
#[cold]
#[inline(never)]
fn general_alloc(p: *mut u8, size: usize) -> *mut u8 {
    if !p.is_null() {
        counted_alloc(slot_for_allocator(), p, size);
    }
    p
}

/// A free where counter pairs cannot be added to at once: the fast path with two adds (a
/// processor without the promise, see `counter_pair`), or the general path; the free itself
/// included. Kept out of line, with the arguments in the order the paired path receives them,
/// so that the paired path moves no register and ends in a jump, to here or to the inner
/// allocator.
#[cold]
#[inline(never)]
unsafe fn unpaired_dealloc<A: GlobalAlloc>(ptr: *mut u8, layout: Layout, inner: &A) {
    match fast_slot() {
        Some(slot) => slot.freed.add(layout.size() as u64, 1),
        None => {
            let slot = slot_for_allocator();
            track_free(ptr, layout.size());
            counted_free(slot, ptr, layout.size());
        }
    }
    // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract, which is passed on.
    unsafe { inner.dealloc(ptr, layout) }
}

/// Runs `f` with this thread's allocations and frees counted in `DISCARD`, which nothing reads;
/// returns what `f` returned and the thread's own slot pointer (`DISCARD` itself if this was
/// already uncounted, null if the thread has no slot yet).
fn uncounted_keeping_slot<T>(f: impl FnOnce() -> T) -> (T, *const HeapSlot) {
    let own = SLOT.replace(&DISCARD);
    let fast = FAST.replace(ptr::null());
    let paired = PAIRED.replace(ptr::null());
    let unwatched = UNWATCHED.replace(ptr::null());
    let result = f();
    SLOT.set(own);
    FAST.set(fast);
    PAIRED.set(paired);
    UNWATCHED.set(unwatched);
    (result, own)
}

/// Runs `f` with what it allocates and frees on this thread counted nowhere that is read: for
/// the profiler's own bookkeeping (a function's line table, registered on its first call on a
/// thread), which must show on no line, in no heap region and in no Mem usage. The recorder's
/// memory is reported on its own (`recorder_bytes`).
pub(crate) fn uncounted<T>(f: impl FnOnce() -> T) -> T {
    uncounted_keeping_slot(f).0
}

/// Runs a call of the wrapped allocator, uncounted if the allocator is `reentrant` (what it
/// allocates for itself is not the program's), and returns the thread's own slot to count the call in, or `None`
/// if this call is itself nested in one being served.
#[inline(always)]
fn inner_call_uncounted<T>(
    reentrant: bool,
    call: impl FnOnce() -> T,
) -> (T, Option<&'static HeapSlot>) {
    if !reentrant {
        return (call(), Some(slot_for_allocator()));
    }
    let (result, own) = uncounted_keeping_slot(call);
    if ptr::eq(own, &DISCARD) {
        return (result, None);
    }
    (result, Some(slot_for_allocator()))
}

/// A global allocator that counts, per thread, what it forwards to `A`.
///
/// Install it with one line in the binary (or test binary) you profile:
///
/// ```
/// #[global_allocator]
/// static ALLOC: lablink_prof_runtime::CountingAlloc = lablink_prof_runtime::CountingAlloc::system();
/// # fn main() {}
/// ```
///
/// Wrapping another allocator: `CountingAlloc::new(dhat::Alloc)`. It forwards `alloc`,
/// `alloc_zeroed`, `realloc` and `dealloc` to `A` unchanged (a `realloc` stays a `realloc`),
/// passes a null pointer straight back, and never allocates, locks or panics itself.
#[derive(Debug, Default)]
pub struct CountingAlloc<A = System> {
    inner: A,
    /// Whether `inner` may allocate through the global allocator while serving a call (dhat
    /// does), so that its own allocations must go uncounted. The system allocator does not.
    reentrant: bool,
}

impl CountingAlloc<System> {
    /// Counts what goes to the system allocator.
    pub const fn system() -> Self {
        CountingAlloc {
            inner: System,
            reentrant: false,
        }
    }
}

#[cfg(feature = "dhat-heap")]
impl CountingAlloc<dhat::Alloc> {
    /// Counts what goes to dhat's allocator (feature `dhat-heap`). With it installed, recording
    /// also writes `dhat-heap.json` at exit, for DHAT's viewer.
    pub const fn dhat() -> Self {
        CountingAlloc::new(dhat::Alloc)
    }
}

impl<A> CountingAlloc<A> {
    /// Counts what goes to `inner`. Allocations `inner` makes for itself while serving one of
    /// ours are not counted.
    pub const fn new(inner: A) -> Self {
        CountingAlloc {
            inner,
            reentrant: true,
        }
    }

    /// The wrapped allocator (to read its own statistics, for example).
    pub const fn inner(&self) -> &A {
        &self.inner
    }
}

impl<A: GlobalAlloc> CountingAlloc<A> {
    /// Allocates `layout` through the inner allocator (zeroed if `zeroed`), and counts it.
    ///
    /// For the system allocator (not reentrant), a layout that `malloc` serves takes the path
    /// below; any other is counted the same way, out of line. On the fast paths the allocation
    /// is counted before the call, which then ends the function but for one test: measured
    /// faster than counting after it (`cargo bench --bench allocator`). A null answer takes the
    /// count back. With no peak measurement open on the thread, the count is one addition to the
    /// bytes-and-blocks pair; with one open, the allocation also raises the peak.
    ///
    /// # Safety
    ///
    /// `GlobalAlloc::alloc`'s contract (`alloc_zeroed`'s if `zeroed`).
    #[inline(always)]
    unsafe fn allocate(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let size = layout.size();
        // SAFETY: the caller's promise, passed on.
        let call = || unsafe { call_inner(&self.inner, layout, zeroed) };
        if self.reentrant {
            let (p, slot) = inner_call_uncounted(true, call);
            if let (false, Some(slot)) = (p.is_null(), slot) {
                counted_alloc(slot, p, size);
            }
            return p;
        }
        if !malloc_serves(layout) {
            cold_path();
            // SAFETY: the caller's promise, passed on.
            return unsafe { allocate_aligned(layout, zeroed, &self.inner) };
        }
        count_around(size, call)
    }
}

/// `inner.alloc(layout)`, or `alloc_zeroed` if `zeroed`.
///
/// # Safety
///
/// As for the method called.
#[inline(always)]
unsafe fn call_inner<A: GlobalAlloc>(inner: &A, layout: Layout, zeroed: bool) -> *mut u8 {
    // SAFETY: the caller's promise.
    unsafe {
        if zeroed {
            inner.alloc_zeroed(layout)
        } else {
            inner.alloc(layout)
        }
    }
}

/// An allocation by the system allocator that `malloc` does not serve: counted as any other,
/// out of line, with its arguments in registers.
///
/// # Safety
///
/// As for [`call_inner`].
#[inline(never)]
unsafe fn allocate_aligned<A: GlobalAlloc>(layout: Layout, zeroed: bool, inner: &A) -> *mut u8 {
    // SAFETY: the caller's promise, passed on.
    count_around(layout.size(), || unsafe {
        call_inner(inner, layout, zeroed)
    })
}

/// Whether the system allocator serves `layout` with `malloc` (the test in std's `System::alloc`
/// on Unix), rather than `posix_memalign`, which needs a stack slot for its answer. Tested first,
/// so that the compiler drops std's own test on the `malloc` path, and the stack slot with it
/// (four instructions fewer through the entry points). Elsewhere than Unix the test may differ
/// from std's, which costs a test and changes no figure.
#[inline(always)]
fn malloc_serves(layout: Layout) -> bool {
    const MIN_ALIGN: usize = if cfg!(target_pointer_width = "64") {
        16
    } else {
        8
    };
    layout.align() <= MIN_ALIGN && layout.align() <= layout.size()
}

/// Counts an allocation of `size` bytes that `call` makes through the system allocator: the fast
/// paths (the pair added at once, with the peak kept after it inside profiled code, or each
/// counter on its own where the pair cannot be added at once), or the general path. Each fast path has its own call, so that neither jumps over the
/// other's count to reach it. Placing the watched path out of the way instead, with a `#[cold]`
/// hint, measured 1.17x to 1.29x the system allocator through entry points in profiled code,
/// against 1.13x without it (`allocator_paired`, session 6).
#[inline(always)]
fn count_around(size: usize, call: impl FnOnce() -> *mut u8) -> *mut u8 {
    if let Some(slot) = unwatched_slot() {
        // SAFETY: `UNWATCHED` is set only where adding at once is allowed, and to the
        // thread's own slot, which no other thread writes.
        unsafe { slot.allocated.add_at_once(size as u64) };
        return call_and_check(size, call);
    }
    if let Some(slot) = paired_slot() {
        // A peak measurement is open (profiled code): the pair at once, then the peak.
        // SAFETY: as for `UNWATCHED` above (`PAIRED` is set under the same conditions).
        let allocated = unsafe { slot.allocated.add_at_once_then_bytes(size as u64) };
        slot.raise_peak(allocated);
        return call_and_check(size, call);
    }
    let Some(slot) = fast_slot() else {
        return general_alloc(call(), size);
    };
    slot.count_alloc(size);
    call_and_check(size, call)
}

/// Makes an allocation of `size` bytes counted before it with `call`; takes the count back if
/// the answer is null.
#[inline(always)]
fn call_and_check(size: usize, call: impl FnOnce() -> *mut u8) -> *mut u8 {
    let p = call();
    if p.is_null() {
        take_back_refused(size);
    }
    p
}

// SAFETY: every method forwards to `A` with the caller's arguments unchanged and returns `A`'s
// result unchanged; counting touches only this module's statics and const thread-locals.
//
// The methods are always inlined, into the `#[global_allocator]` shim in a program, so that
// `reentrant` is read from the installed static at compile time and the system allocator's
// path carries no test of it.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which is passed on.
        unsafe { self.allocate(layout, false) }
    }

    #[inline(always)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe { self.allocate(layout, true) }
    }

    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.reentrant {
            track_free(ptr, layout.size());
            // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract, which is passed on.
            let ((), slot) =
                inner_call_uncounted(true, || unsafe { self.inner.dealloc(ptr, layout) });
            if let Some(slot) = slot {
                counted_free(slot, ptr, layout.size());
            }
            return;
        }
        let Some(slot) = paired_slot() else {
            // SAFETY: as below.
            return unsafe { unpaired_dealloc(ptr, layout, &self.inner) };
        };
        // SAFETY: `PAIRED` is set only where adding at once is allowed, and to the thread's own
        // slot, which no other thread writes; `freed` is a pair within it.
        unsafe {
            CounterPair::add_at_once_within::<{ mem::offset_of!(HeapSlot, freed) }, _>(
                slot,
                layout.size() as u64,
            )
        };
        // Last, so that the call is a tail call.
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract, which is passed on.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Taken off its line before the call: once the wrapped allocator has it, its address
        // may be given to another thread.
        let tracked = track_free(ptr, layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract, which is passed on.
        let (p, slot) = inner_call_uncounted(self.reentrant, || unsafe {
            self.inner.realloc(ptr, layout, new_size)
        });
        if let (true, Some(line)) = (p.is_null(), tracked) {
            // Refused: the old block is still there, on its line.
            process_tracking::put_back(ptr as usize, layout.size(), line);
        }
        if let (false, Some(slot)) = (p.is_null(), slot) {
            // Counted as dhat counts it: the old block freed, a new one allocated.
            counted_free(slot, ptr, layout.size());
            counted_alloc(slot, p, new_size);
        }
        p
    }
}

/// A reading of this thread's counters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HeapReading {
    pub(crate) alloc_bytes: u64,
    pub(crate) freed_bytes: u64,
    pub(crate) allocs: u64,
    pub(crate) frees: u64,
    pub(crate) live: i64,
}

impl HeapSlot {
    #[inline(always)]
    pub(crate) fn read(&self) -> HeapReading {
        let alloc_bytes = self.allocated.bytes.load(Relaxed);
        let freed_bytes = self.freed.bytes.load(Relaxed);
        HeapReading {
            alloc_bytes,
            freed_bytes,
            allocs: self.allocated.blocks.load(Relaxed),
            frees: self.freed.blocks.load(Relaxed),
            live: alloc_bytes.wrapping_sub(freed_bytes) as i64,
        }
    }

    /// Opens a peak measurement on this thread, whose slot this is: lowers the peak to the live
    /// level, and returns what to put back when it ends. Until the last one open has ended,
    /// allocations keep the peak.
    #[inline(always)]
    pub(crate) fn open_peak(&self, live: i64) -> PeakSave {
        let saved = PeakSave {
            peak: self.peak.load(Relaxed),
            carried: self.carried.load(Relaxed),
        };
        self.peak.store(live, Relaxed);
        self.carried.store(NOTHING_CARRIED, Relaxed);
        WATCHES.set(WATCHES.get().wrapping_add(1));
        UNWATCHED.set(ptr::null());
        saved
    }

    /// A line of the profiled call whose measurement is open ends at `live`: returns the line's
    /// peak, sets it aside for the measurement, and starts the next line's at `live`.
    #[inline(always)]
    pub(crate) fn end_line_peak(&self, live: i64) -> i64 {
        let peak = self.peak.load(Relaxed);
        self.carried
            .store(self.carried.load(Relaxed).max(peak), Relaxed);
        self.peak.store(live, Relaxed);
        peak
    }

    /// Ends a profiled call's peak measurement, which nests within the calling line's: returns
    /// its peak, and puts back the calling line's, raised by it.
    #[inline(always)]
    pub(crate) fn end_peak(&self, saved: PeakSave) -> i64 {
        let peak = self.peak.load(Relaxed).max(self.carried.load(Relaxed));
        self.peak.store(saved.peak.max(peak), Relaxed);
        self.carried.store(saved.carried, Relaxed);
        leave_watch();
        peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ends a peak measurement opened at `live`, which saved `saved`: how far the heap rose
    /// above `live`.
    fn close(slot: &HeapSlot, live: i64, saved: PeakSave) -> u64 {
        slot.end_peak(saved).saturating_sub(live).max(0) as u64
    }

    /// An allocator that always fails.
    struct Exhausted;

    // SAFETY: it never hands out memory, so there is nothing to misuse.
    unsafe impl GlobalAlloc for Exhausted {
        unsafe fn alloc(&self, _: Layout) -> *mut u8 {
            ptr::null_mut()
        }
        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
    }

    #[test]
    fn a_null_from_the_inner_allocator_is_passed_back_and_not_counted() {
        let counting = CountingAlloc::new(Exhausted);
        let layout = Layout::from_size_align(64, 8).unwrap();
        let before = this_thread().read();
        // SAFETY: a valid non-zero layout; nothing is returned to free.
        let (p, z, r) = unsafe {
            (
                counting.alloc(layout),
                counting.alloc_zeroed(layout),
                counting.realloc(ptr::NonNull::<u64>::dangling().as_ptr().cast(), layout, 128),
            )
        };
        assert!(p.is_null() && z.is_null() && r.is_null());
        let after = this_thread().read();
        assert_eq!(after.allocs, before.allocs);
        assert_eq!(after.alloc_bytes, before.alloc_bytes);
        assert_eq!(after.frees, before.frees);
    }

    /// A counting allocator that is not reentrant, as the system allocator's, over one that
    /// refuses everything: its allocations are counted before the call, on the fast paths.
    fn refusing() -> CountingAlloc<Exhausted> {
        CountingAlloc {
            inner: Exhausted,
            reentrant: false,
        }
    }

    /// Asks `refusing()` for a tebibyte aligned to `align` with `alloc` and with `alloc_zeroed`:
    /// both answers are null, and this thread's counts are as they were.
    fn refuse_a_tebibyte_twice(slot: &HeapSlot, align: usize) {
        let counting = refusing();
        let before = slot.read();
        let huge = Layout::from_size_align(1 << 40, align).unwrap();
        // SAFETY: a valid non-zero layout; nothing is returned to free.
        let (p, z) = unsafe { (counting.alloc(huge), counting.alloc_zeroed(huge)) };
        assert!(p.is_null() && z.is_null());
        let after = slot.read();
        assert_eq!(
            (after.allocs, after.alloc_bytes),
            (before.allocs, before.alloc_bytes)
        );
    }

    #[test]
    fn a_refused_allocation_on_the_fast_path_is_taken_back_peak_included() {
        let slot = this_thread();
        assert!(fast_slot().is_some(), "this test thread has the fast path");
        let live = slot.read().live;
        let saved = slot.open_peak(live);
        refuse_a_tebibyte_twice(slot, 8);
        assert_eq!(
            close(slot, live, saved),
            0,
            "a refused block never raised the heap"
        );
    }

    #[test]
    fn a_refused_allocation_on_the_unwatched_path_is_taken_back() {
        let slot = this_thread();
        // No peak measurement is open here: unwatched wherever pairs are added at once.
        assert_eq!(
            unwatched_slot().is_some(),
            counter_pair::at_once_is_atomic()
        );
        refuse_a_tebibyte_twice(slot, 8);
    }

    #[test]
    fn allocations_keep_the_peak_exactly_while_a_measurement_is_open_and_only_then() {
        let counting = CountingAlloc::system();
        let layout = Layout::from_size_align(1000, 8).unwrap();
        let slot = this_thread();
        let spike = || {
            // SAFETY: a valid layout; the block is freed once with it.
            unsafe { counting.dealloc(counting.alloc(layout), layout) }
        };
        let unwatched = counter_pair::at_once_is_atomic();
        assert_eq!(unwatched_slot().is_some(), unwatched);
        let outer_live = slot.read().live;
        let outer = slot.open_peak(outer_live);
        assert!(unwatched_slot().is_none(), "the outer measurement watches");
        spike();
        let inner_live = slot.read().live;
        let inner = slot.open_peak(inner_live);
        spike();
        spike();
        assert_eq!(close(slot, inner_live, inner), 1000);
        assert!(
            unwatched_slot().is_none(),
            "the outer measurement still watches"
        );
        assert_eq!(close(slot, outer_live, outer), 1000);
        assert_eq!(
            unwatched_slot().is_some(),
            unwatched,
            "nothing watches any more"
        );
        // Unwatched, a spike leaves the peak alone; the next measurement starts from the level.
        spike();
        let live = slot.read().live;
        let saved = slot.open_peak(live);
        assert_eq!(close(slot, live, saved), 0);
    }

    #[test]
    fn a_refusal_puts_back_only_a_peak_its_own_allocation_raised() {
        let (counting, exhausted) = (CountingAlloc::system(), refusing());
        let (small, spike, huge) = (
            Layout::from_size_align(64, 8).unwrap(),
            Layout::from_size_align(1000, 8).unwrap(),
            Layout::from_size_align(1 << 40, 8).unwrap(),
        );
        let slot = this_thread();
        // SAFETY: valid layouts; each block is freed once with the layout it was made with.
        unsafe {
            let kept = counting.alloc(small);
            let live = slot.read().live;
            let saved = slot.open_peak(live);
            counting.dealloc(counting.alloc(spike), spike);
            assert!(
                exhausted.alloc(huge).is_null(),
                "raised the peak, and was taken back"
            );
            assert_eq!(close(slot, live, saved), 1000);
            // The next allocation has the refused one's number, but raises no peak.
            let saved = slot.open_peak(live);
            counting.dealloc(kept, small);
            assert!(exhausted.alloc(small).is_null());
            assert_eq!(close(slot, live, saved), 0);
        }
    }

    #[test]
    fn without_adding_at_once_the_fast_paths_count_the_same() {
        let counting = CountingAlloc::system();
        let layout = Layout::from_size_align(100, 8).unwrap();
        let slot = this_thread();
        // As on a processor that does not promise atomic 16-byte stores.
        PAIRED.set(ptr::null());
        refresh_unwatched();
        assert!(fast_slot().is_some() && unwatched_slot().is_none());
        let before = slot.read();
        // SAFETY: valid layouts; each block is freed once with the layout it was made with.
        unsafe {
            let a = counting.alloc(layout);
            let b = counting.alloc_zeroed(layout);
            counting.dealloc(a, layout);
            counting.dealloc(b, layout);
        }
        let after = slot.read();
        refresh_fast_path();
        assert_eq!(
            (after.allocs - before.allocs, after.frees - before.frees),
            (2, 2)
        );
        assert_eq!(after.alloc_bytes - before.alloc_bytes, 200);
        assert_eq!(after.freed_bytes - before.freed_bytes, 200);
    }

    #[test]
    fn the_fast_path_counts_what_the_general_path_counts() {
        let counting = CountingAlloc::system();
        let layout = Layout::from_size_align(100, 8).unwrap();
        let slot = this_thread();
        let before = slot.read();
        let saved = slot.open_peak(before.live);
        // SAFETY: valid layouts; each block is freed once with the layout it was made with.
        unsafe {
            let a = counting.alloc(layout);
            let b = counting.alloc_zeroed(layout);
            let b = counting.realloc(b, layout, 300);
            counting.dealloc(a, layout);
            counting.dealloc(b, Layout::from_size_align(300, 8).unwrap());
        }
        let after = slot.read();
        assert_eq!(after.allocs - before.allocs, 3);
        assert_eq!(after.frees - before.frees, 3);
        assert_eq!(after.alloc_bytes - before.alloc_bytes, 500);
        assert_eq!(after.freed_bytes - before.freed_bytes, 500);
        // 100 + 100, then 100 + 300 once the realloc is counted.
        assert_eq!(close(slot, before.live, saved), 400);
    }

    /// Allocates and frees, with `alloc` and with `alloc_zeroed`, one block of each layout:
    /// returns the thread's (allocations, bytes allocated, frees, bytes freed) meanwhile.
    fn allocate_each(layouts: &[Layout]) -> (u64, u64, u64, u64) {
        let counting = CountingAlloc::system();
        let before = this_thread().read();
        for &layout in layouts {
            // SAFETY: valid non-zero layouts; each block is freed once with its layout.
            unsafe {
                let a = counting.alloc(layout);
                let z = counting.alloc_zeroed(layout);
                assert!(!a.is_null() && !z.is_null());
                assert_eq!(a as usize % layout.align(), 0);
                assert_eq!(z as usize % layout.align(), 0);
                assert!(
                    std::slice::from_raw_parts(z, layout.size())
                        .iter()
                        .all(|&b| b == 0)
                );
                counting.dealloc(a, layout);
                counting.dealloc(z, layout);
            }
        }
        let after = this_thread().read();
        (
            after.allocs - before.allocs,
            after.alloc_bytes - before.alloc_bytes,
            after.frees - before.frees,
            after.freed_bytes - before.freed_bytes,
        )
    }

    /// Layouts that `malloc` does not serve (an alignment above its own, or above the size) take
    /// another path, out of line: counted the same, watched or not.
    #[test]
    fn layouts_malloc_does_not_serve_are_counted_the_same() {
        let layouts = [
            Layout::from_size_align(100, 64).unwrap(),
            Layout::from_size_align(8, 32).unwrap(),
            Layout::from_size_align(5000, 4096).unwrap(),
        ];
        assert!(layouts.iter().all(|&l| !malloc_serves(l)));
        let expected = (6, 2 * (100 + 8 + 5000), 6, 2 * (100 + 8 + 5000));
        assert_eq!(allocate_each(&layouts), expected, "unwatched");
        let slot = this_thread();
        let live = slot.read().live;
        let saved = slot.open_peak(live);
        assert_eq!(allocate_each(&layouts), expected, "watched");
        assert_eq!(
            close(slot, live, saved),
            2 * 5000,
            "the two largest blocks, live at once"
        );
    }

    #[test]
    fn a_refused_allocation_of_a_layout_malloc_does_not_serve_is_taken_back() {
        assert!(!malloc_serves(
            Layout::from_size_align(1 << 40, 4096).unwrap()
        ));
        refuse_a_tebibyte_twice(this_thread(), 4096);
    }
}
