//! The `.await`s of a profiled `async fn`: time suspended is the line's Wait, not its Time.

use crate::recorder::frame::Frame;

/// A future awaited in a profiled `async fn`: the time between its returning `Pending` and its
/// next poll is the task's wait at that line (the Wait column), kept out of the line's time; and
/// when the task comes back, perhaps on another worker thread, later lines record into that
/// thread's table.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct AwaitTimer<'f, F> {
    frame: &'f Frame,
    inner: F,
}

impl<'f, F: std::future::Future> AwaitTimer<'f, F> {
    /// Wraps what an `.await` awaits.
    pub fn new(frame: &'f Frame, awaited: impl std::future::IntoFuture<IntoFuture = F>) -> Self {
        AwaitTimer {
            frame,
            inner: awaited.into_future(),
        }
    }
}

impl<F: std::future::Future> std::future::Future for AwaitTimer<'_, F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let frame = self.frame;
        frame.resume_from_wait();
        // SAFETY: `inner` is pinned structurally: it is never moved out of `self`, and
        // `AwaitTimer` has no `Drop` and is `Unpin` only when `F` is.
        let inner = unsafe { self.map_unchecked_mut(|t| &mut t.inner) };
        let poll = inner.poll(cx);
        if poll.is_pending() {
            frame.suspend();
        }
        poll
    }
}
