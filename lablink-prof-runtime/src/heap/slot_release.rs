//! Gives a thread's heap slot back when the thread ends.
//!
//! The counting allocator claims a slot for a thread on its first allocation, from inside the
//! allocator, where nothing may allocate or lock. A POSIX thread-specific key fits that place:
//! its destructor runs when the thread ends (after the thread's Rust thread-locals are gone),
//! setting it takes no lock, and it goes through no Rust allocator (so never back into ours).
//! The key is created once per process, lock-free (a losing racer deletes its own).
//!
//! Elsewhere than Unix, slots are not given back: the first [`THREAD_SLOTS`] threads started
//! keep theirs, and later ones share the overflow slot.
//!
//! [`THREAD_SLOTS`]: crate::THREAD_SLOTS

use crate::heap::HeapSlot;

/// Arranges for `slot`, just claimed by this thread, to be given back when the thread ends.
#[cfg(unix)]
pub(crate) fn on_thread_end(slot: &'static HeapSlot) {
    if let Some(key) = key() {
        // SAFETY: `key` is a live key of this process; the value is a pointer to a static,
        // read back only by `release`.
        unsafe { libc::pthread_setspecific(key, std::ptr::from_ref(slot).cast()) };
    }
}

#[cfg(not(unix))]
pub(crate) fn on_thread_end(_slot: &'static HeapSlot) {}

/// The process's key, created on first use; `None` if the system has no key left (slots are
/// then kept, as elsewhere than Unix).
#[cfg(unix)]
fn key() -> Option<libc::pthread_key_t> {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    /// The key plus one; 0 while there is none.
    static KEY: AtomicUsize = AtomicUsize::new(0);
    if let Some(key) = KEY.load(Relaxed).checked_sub(1) {
        return Some(key as libc::pthread_key_t);
    }
    let mut key: libc::pthread_key_t = 0;
    // SAFETY: `key` is a valid place for the new key; `release` has the destructor's signature.
    if unsafe { libc::pthread_key_create(&mut key, Some(release)) } != 0 {
        return None;
    }
    match KEY.compare_exchange(0, key as usize + 1, Relaxed, Relaxed) {
        Ok(_) => Some(key),
        Err(winner) => {
            // SAFETY: `key` was created above and nothing has used it.
            unsafe { libc::pthread_key_delete(key) };
            Some((winner - 1) as libc::pthread_key_t)
        }
    }
}

/// The key's destructor: runs on the ending thread, with the value `on_thread_end` set.
#[cfg(unix)]
unsafe extern "C" fn release(slot: *mut libc::c_void) {
    // SAFETY: the only values set for the key are pointers to static slots.
    crate::heap::release_this_thread(unsafe { &*slot.cast::<HeapSlot>() });
}
