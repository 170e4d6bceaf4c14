//! Threads of the profiler's own (the snapshot writers, the sampler), started so that nothing
//! they allocate, and nothing allocated to start them, is counted as the program's.

use std::ffi::CStr;
use std::io::Write;
#[cfg(not(unix))]
use std::sync::atomic::{
    AtomicUsize,
    Ordering::{Acquire, Release},
};

/// Starts a thread of the profiler's own running `work`, named `name` on Linux (at most 15
/// bytes there).
///
/// The thread is the recorder's: nothing it allocates or frees, and nothing allocated to start
/// it, is counted where the program's heap figures come from. std's `thread::spawn` cannot give
/// that: it allocates the thread's handle, name and closure on this thread, and the new thread
/// frees some of them and allocates more before `work` runs, where `heap::uncounted` cannot
/// reach. So the thread is started with `pthread_create`, which allocates nothing through Rust's
/// allocator, and everything else happens inside `heap::uncounted`: here (the caller, `start`,
/// runs there) and on the new thread from its first instruction of Rust.
#[cfg(unix)]
pub(crate) fn spawn(name: &'static CStr, work: impl FnOnce() + Send + 'static) {
    type Work = Box<dyn FnOnce() + Send>;

    extern "C" fn run(work: *mut libc::c_void) -> *mut libc::c_void {
        crate::heap::counting_alloc::uncounted(|| {
            // SAFETY: `work` is the `Box<Work>` that `spawn` leaked for this thread alone.
            let work = unsafe { Box::from_raw(work.cast::<Work>()) };
            // A panic must not unwind out of an `extern "C"` function: the thread just ends.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        });
        std::ptr::null_mut()
    }

    let work = Box::into_raw(Box::new(Box::new(work) as Work));
    let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: `thread` is writable, default attributes are asked for with null, and `run`
    // takes the one argument it is given, `work`, which stays valid until `run` frees it.
    let error =
        unsafe { libc::pthread_create(thread.as_mut_ptr(), std::ptr::null(), run, work.cast()) };
    if error != 0 {
        // SAFETY: no thread was started, so `work` is still this function's to free.
        drop(unsafe { Box::from_raw(work) });
        let error = std::io::Error::from_raw_os_error(error);
        let _ = writeln!(
            std::io::stderr(),
            "lablink-prof: no thread of the profiler's own: {error}"
        );
        return;
    }
    // SAFETY: `pthread_create` succeeded and wrote the thread's id.
    let thread = unsafe { thread.assume_init() };
    #[cfg(target_os = "linux")]
    // SAFETY: `thread` is a live thread of this process; the name is NUL-terminated. A name
    // longer than Linux takes (15 bytes) fails, which leaves the thread unnamed.
    unsafe {
        libc::pthread_setname_np(thread, name.as_ptr());
    }
    // SAFETY: `thread` is joinable and nothing joins it: its resources go when it ends.
    unsafe {
        libc::pthread_detach(thread);
    }
}

/// Starts a writer thread running `work`, and returns once `work` has begun.
///
/// Outside Unix the thread is std's. Everything it does once
/// `work` runs is the recorder's and is not counted; what std does to start it is counted, on
/// this thread and on the new one, and is over by the time this returns, so that a program
/// measuring its heap around its first profiled call sees the same figures every run.
#[cfg(not(unix))]
pub(crate) fn spawn(name: &'static CStr, work: impl FnOnce() + Send + 'static) {
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let before = STARTED.load(Acquire);
    let parent = std::thread::current();
    let started = std::thread::Builder::new()
        .name(name.to_string_lossy().into_owned())
        .spawn(move || {
            STARTED.fetch_add(1, Release);
            parent.unpark();
            drop(parent);
            crate::heap::counting_alloc::uncounted(work);
        });
    match started {
        Ok(_) => {
            while STARTED.load(Acquire) == before {
                std::thread::park_timeout(std::time::Duration::from_millis(1));
            }
        }
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "lablink-prof: no thread of the profiler's own: {e}"
            );
        }
    }
}
