//! The process-wide list of profiled functions, threads and their tables.
//!
//! Touched only on cold paths: a function's first recorded call in the process, a thread's first
//! recorded call of a function, and reports.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::base::function_site::{FunctionSite, qualified_name};
use crate::recorder::line_table::LineTable;

/// A function the registry knows.
#[derive(Debug)]
pub(crate) struct RegisteredSite {
    pub(crate) site: &'static FunctionSite,
}

/// A thread that recorded something.
#[derive(Debug, Clone)]
pub(crate) struct RegisteredThread {
    pub(crate) name: String,
}

#[derive(Debug, Default)]
pub(crate) struct Registry {
    /// Index `id - 1` holds the site with id `id`.
    pub(crate) sites: Vec<RegisteredSite>,
    pub(crate) threads: Vec<RegisteredThread>,
    pub(crate) tables: Vec<&'static LineTable>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    sites: Vec::new(),
    threads: Vec::new(),
    tables: Vec::new(),
});

/// Locks the registry. A panic while it was held cannot leave it inconsistent (every change is a
/// single push), so a poisoned lock is used as it is.
pub(crate) fn lock() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Gives `site` its id if it has none yet, and returns the id.
pub(crate) fn register_site(site: &'static FunctionSite, marker_type_name: &str) -> u32 {
    let mut registry = lock();
    let id = site.id();
    if id != 0 {
        return id;
    }
    registry.sites.push(RegisteredSite { site });
    let id = registry.sites.len() as u32;
    site.set_id(id, qualified_name(marker_type_name));
    id
}

/// Registers a thread and returns its number.
pub(crate) fn register_thread(name: String) -> u32 {
    let mut registry = lock();
    registry.threads.push(RegisteredThread { name });
    registry.threads.len() as u32 - 1
}

/// Keeps a new table for the life of the process and lists it for reports.
pub(crate) fn register_table(table: LineTable) -> &'static LineTable {
    let table: &'static LineTable = Box::leak(Box::new(table));
    lock().tables.push(table);
    table
}

/// Sets every recorded counter back to zero. Counters that another thread is updating at the
/// same moment may keep that one update.
pub(crate) fn reset() {
    for table in lock().tables.iter() {
        table.reset();
    }
}

/// The recorder's own memory on the heap: every thread's tables (one slot per source line of
/// each function it ran), each recording thread's state, and the registry's lists. It depends
/// on the functions and threads, never on the number of hits.
pub fn recorder_bytes() -> usize {
    use std::mem::size_of;
    let registry = lock();
    let tables: usize = registry
        .tables
        .iter()
        .map(|t| size_of::<LineTable>() + std::mem::size_of_val(&*t.slots) + t.histograms.bytes())
        .sum();
    let paths: usize = registry.sites.iter().map(|s| s.site.path_capacity()).sum();
    let names: usize = registry.threads.iter().map(|t| t.name.capacity()).sum();
    tables
        + paths
        + names
        + registry.sites.capacity() * size_of::<RegisteredSite>()
        + registry.threads.capacity() * size_of::<RegisteredThread>()
        + registry.tables.capacity() * size_of::<&LineTable>()
        + crate::recorder::thread_state::state_bytes()
        + crate::recorder::published_stack::bytes()
}
