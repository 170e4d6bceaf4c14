//! dhat's heap profile beside the line tables (feature `dhat-heap`): started with recording,
//! written to `dhat-heap.json` with the exit report.

use std::sync::{Mutex, PoisonError};

static PROFILER: Mutex<Option<dhat::Profiler>> = Mutex::new(None);

/// Starts dhat's heap profiler when recording starts.
pub(crate) fn start() {
    let mut slot = PROFILER.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.is_none() {
        *slot = Some(
            dhat::Profiler::builder()
                .file_name("dhat-heap.json")
                .build(),
        );
    }
}

/// Stops it: dhat writes `dhat-heap.json` and prints its summary.
pub(crate) fn finish() {
    let profiler = PROFILER
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    drop(profiler);
}
