//! Whether heap figures are real: set by the counting allocator on its first use.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Whether the counting allocator has served an allocation in this process.
pub fn is_installed() -> bool {
    INSTALLED.load(Relaxed)
}

/// Marks the counting allocator as installed.
#[allow(dead_code)]
pub(crate) fn mark_installed() {
    if !INSTALLED.load(Relaxed) {
        INSTALLED.store(true, Relaxed);
    }
}
