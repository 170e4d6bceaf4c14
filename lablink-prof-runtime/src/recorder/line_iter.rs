//! The iterator of a profiled `for` loop.

use crate::recorder::frame::LineCursor;

/// The iterator of a profiled `for` loop: each fetch of the next item is a hit of the loop's
/// header line, and the fetch's time is the header's time, as kernprof counts it.
///
/// `C` is what records the loop's lines: the call's frame, or the lines of a closure.
#[derive(Debug)]
pub struct LineIter<'f, C: ?Sized, I> {
    cursor: &'f C,
    line: u32,
    inner: I,
}

impl<'f, C: LineCursor + ?Sized, I: Iterator> LineIter<'f, C, I> {
    /// Wraps the iterable of a `for` loop whose header is line slot `line`.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn new(cursor: &'f C, line: u32, iterable: impl IntoIterator<IntoIter = I>) -> Self {
        LineIter {
            cursor,
            line,
            inner: iterable.into_iter(),
        }
    }
}

impl<C: LineCursor + ?Sized, I: Iterator> Iterator for LineIter<'_, C, I> {
    type Item = I::Item;

    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn next(&mut self) -> Option<I::Item> {
        self.cursor.start_line(self.line);
        self.inner.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
