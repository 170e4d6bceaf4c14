//! Starting the whole process's heap tracking (`LABLINK_PROFILE_HEAP=track`).
//!
//! Tracking must see a thread's allocations from its first one: a thread that allocated
//! before tracking started keeps counting on the counting allocator's fast path, which tracking
//! closes only for threads that take it after it starts. So on Linux it starts before `main`,
//! from the ELF `.init_array` (as C's constructors do), when only the main thread exists; the
//! first recorded call starts it too, for platforms without that section (where threads
//! started earlier are not tracked).

use crate::control::settings::heap_setting;
use crate::heap::{self, process_tracking};

/// Starts tracking if the environment asks for it (once; later calls do nothing).
pub(crate) fn start_if_asked() {
    if process_tracking::is_on() || !heap_setting().track {
        return;
    }
    let (bytes, blocks) = (
        heap::process_live_bytes() as i64,
        heap::process_live_blocks(),
    );
    if let Err(why) = process_tracking::start(bytes, blocks) {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "lablink-prof: LABLINK_PROFILE_HEAP=track: {why}; not tracking"
        );
    }
}

/// Runs before `main`: the loader calls every function pointer in `.init_array`.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
pub(crate) static BEFORE_MAIN: extern "C" fn() = {
    extern "C" fn before_main() {
        // A panic must not cross into C; reading the environment or mapping memory failing
        // leaves tracking off, and the program runs on.
        let _ = std::panic::catch_unwind(start_if_asked);
    }
    before_main
};
