//! The recording thread's own state: its tables and the profiled call it is in.

use std::cell::Cell;
use std::mem::size_of;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::base::function_site::FunctionSite;
use crate::recorder::frame::Frame;
use crate::recorder::line_table::LineTable;
use crate::recorder::published_stack::PublishedStack;
use crate::recorder::registry;

/// A thread's tables, indexed by site id. Allocated on the thread's first recorded call and
/// never freed, so that it stays valid during thread-local destruction and after.
#[derive(Debug)]
struct ThreadState {
    index: u32,
    tables: Vec<Option<&'static LineTable>>,
    /// In sampled mode, the thread's stack of profiled frames, published for the sampler.
    stack: Option<&'static PublishedStack>,
}

thread_local! {
    // Both are const-initialised and have no destructor: reading them never allocates, never
    // registers a destructor and works at any point of the thread's life.
    static STATE: Cell<*mut ThreadState> = const { Cell::new(ptr::null_mut()) };
    /// The frame of the innermost profiled call running on this thread, once it is in place
    /// (see `Frame::activate`); null if none.
    static FRAME: Cell<*const Frame> = const { Cell::new(ptr::null()) };
    /// The thread's key for `FunctionSite::owner`: its registry number plus one, 0 until it has
    /// one (keys are never reused, unlike thread-local addresses).
    static KEY: Cell<u32> = const { Cell::new(0) };
}

/// The key the calibration's private state uses (no recording thread has it).
const CALIBRATION_KEY: u32 = u32::MAX;

/// Bytes of every thread's `ThreadState` and its list of tables.
static STATE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// The heap the recording threads' own states take (part of `recorder_bytes`).
pub(crate) fn state_bytes() -> usize {
    STATE_BYTES.load(Relaxed)
}

/// The innermost current frame running on this thread: a synchronous call, or an `async fn`
/// being polled.
#[inline(always)]
pub(crate) fn current_frame() -> Option<&'static Frame> {
    // SAFETY: `FRAME` is set to a frame in its final place (by `Frame::activate`, or when an
    // `async fn` resumes), and the previous value is put back when it stops being current (its
    // drop, or the `async fn` suspending, within the same poll): frames stop being current in
    // the reverse order they became so on a thread, so a non-null value always points to a live
    // frame of this thread. The `'static` is a lie kept inside this crate: callers use the
    // reference only while the frame is current (within the call that reads it).
    unsafe { FRAME.get().as_ref() }
}

/// The function and line slot of the innermost profiled call running on this thread, if any
/// (what heap regions note with a block; registered with the heap layer by the start-up).
pub(crate) fn running_line() -> Option<(&'static FunctionSite, u32)> {
    current_frame().map(|f| (f.site(), f.line_slot()))
}

/// This thread's published stack of profiled frames (sampled mode), once it has recorded.
#[inline]
pub(crate) fn published_stack() -> Option<&'static PublishedStack> {
    let state = STATE.get();
    // SAFETY: `state` is null, this thread's leaked `ThreadState` or the calibration's (alive
    // while `with_private_tables` runs), only read here (it is written only in
    // `register_table`, which is not running: this thread is here).
    unsafe { state.as_ref() }.and_then(|s| s.stack)
}

/// The address of the innermost current frame, null if none.
#[inline(always)]
pub(crate) fn current_frame_ptr() -> *mut Frame {
    FRAME.get().cast_mut()
}

/// Makes `frame` the current one; returns the previous one to restore.
#[inline(always)]
pub(crate) fn set_current_frame(frame: *const Frame) -> *const Frame {
    FRAME.replace(frame)
}

/// This thread's table for `site`, created on first use. Recording must already be set up
/// (the start-up does it before a thread's first table of a function).
#[inline(always)]
pub(crate) fn table_for(site: &'static FunctionSite, marker: &'static str) -> &'static LineTable {
    match existing_table(site) {
        Some(table) => table,
        None => new_table(site, marker),
    }
}

/// This thread's table for `site`, if it has made one.
#[inline(always)]
pub(crate) fn existing_table(site: &'static FunctionSite) -> Option<&'static LineTable> {
    let key = KEY.get();
    if key != 0 && site.owner.load(Relaxed) == key {
        // SAFETY: `owner_table` only ever holds null or a `&'static LineTable` (tables are
        // leaked and never freed); the owner stored its table there before it first reads it
        // (see `claim`).
        return unsafe { site.owner_table.load(Relaxed).cast::<LineTable>().as_ref() };
    }
    let id = site.id() as usize;
    let state = STATE.get();
    if state.is_null() {
        return None;
    }
    // SAFETY: `state` was leaked by this thread in `register_table`, or is the calibration's
    // state, alive while `with_private_tables` runs; either is only ever used from this thread,
    // and no other reference to it is alive while this shared one is.
    let tables = unsafe { &(*state).tables };
    tables.get(id).copied().flatten()
}

/// Runs `f` as a recording thread of its own would run: its tables are `tables` (each site
/// owned by it, so found as an owner finds its tables), its published stack `stack`, and it is in
/// no profiled call. The calibration uses it, so that its calls look their tables up and publish
/// as a recording thread's do. The thread's own state is put back afterwards, also if `f`
/// panics. The sites must be the caller's own (no function of the program).
pub(crate) fn with_private_tables<R>(
    tables: &[(&'static FunctionSite, &'static LineTable)],
    stack: Option<&'static PublishedStack>,
    f: impl FnOnce() -> R,
) -> R {
    struct Restore(*mut ThreadState, *const Frame, u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            STATE.set(self.0);
            FRAME.set(self.1);
            KEY.set(self.2);
        }
    }
    for (site, table) in tables {
        site.owner_table
            .store(ptr::from_ref(*table).cast_mut().cast(), Relaxed);
        site.owner.store(CALIBRATION_KEY, Relaxed);
    }
    let mut private = ThreadState {
        index: 0,
        tables: Vec::new(),
        stack,
    };
    // The thread's current frame (when a report is made from profiled code) is set aside too,
    // so that the calibration's calls are not counted as its line's callees.
    let _restore = Restore(
        STATE.replace(&raw mut private),
        FRAME.replace(ptr::null()),
        KEY.replace(CALIBRATION_KEY),
    );
    f()
}

/// Makes and registers this thread's table for `site`. What that allocates is the recorder's
/// own memory, not the program's: it is counted nowhere the program's figures come from.
#[cold]
#[inline(never)]
pub(crate) fn new_table(site: &'static FunctionSite, marker: &'static str) -> &'static LineTable {
    // The handle is std's (made when the thread started, or now for a thread std did not
    // start), and is freed by std when the thread ends: counted as the program's.
    let thread = std::thread::current();
    crate::heap::uncounted(|| register_table(site, marker, thread.name()))
}

fn register_table(
    site: &'static FunctionSite,
    marker: &'static str,
    thread_name: Option<&str>,
) -> &'static LineTable {
    let id = registry::register_site(site, marker);
    let mut state = STATE.get();
    if state.is_null() {
        let name = thread_name.map(str::to_owned).unwrap_or_default();
        let index = registry::register_thread(name);
        state = Box::into_raw(Box::new(ThreadState {
            index,
            tables: Vec::new(),
            stack: None,
        }));
        STATE_BYTES.fetch_add(size_of::<ThreadState>(), Relaxed);
        STATE.set(state);
        KEY.set(index + 1);
    }
    // SAFETY: `state` is this thread's leaked `ThreadState`; this is the only reference to it
    // for the duration of this function (table lookups happen only on this thread, not here).
    let state = unsafe { &mut *state };
    if state.stack.is_none() && crate::control::time_mode::is_sampled() {
        state.stack = Some(PublishedStack::new_for_this_thread(state.index));
    }
    let table = registry::register_table(LineTable::new(
        id,
        state.index,
        site.line_count(),
        state.stack,
    ));
    let id = id as usize;
    if state.tables.len() <= id {
        let before = state.tables.capacity();
        state.tables.resize(id + 1, None);
        let grown = state.tables.capacity() - before;
        STATE_BYTES.fetch_add(grown * size_of::<Option<&LineTable>>(), Relaxed);
    }
    state.tables[id] = Some(table);
    claim(site, table);
    table
}

/// Makes this thread `site`'s owner, with `table`, if no thread is: the first thread to record a
/// function finds its table with one load from then on.
fn claim(site: &'static FunctionSite, table: &'static LineTable) {
    let key = KEY.get();
    if key != 0
        && site.owner.load(Relaxed) == 0
        && site
            .owner
            .compare_exchange(0, key, Relaxed, Relaxed)
            .is_ok()
    {
        // Only this thread reads `owner_table`, and only after this store (in its own order).
        site.owner_table
            .store(ptr::from_ref(table).cast_mut().cast(), Relaxed);
    }
}
