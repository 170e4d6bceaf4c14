#![deny(warnings)]
// Shadowing `core` and `std` must not break the expansion.
#![allow(dead_code)]
mod core {}

use lablink_prof::line_profile;

/// Documented.
#[line_profile]
#[inline]
pub fn free(x: u32) -> u32 {
    x + 1
}

#[line_profile]
fn generic<T: Clone>(t: &T) -> T
where
    T: Send,
{
    t.clone()
}

#[line_profile]
fn returns_impl(n: u32) -> impl Iterator<Item = u32> {
    (0..n).map(move |x| x * n)
}

#[line_profile]
unsafe fn raw(p: *const u8) -> u8 {
    // SAFETY: caller's contract.
    unsafe { *p }
}

#[line_profile]
async fn later(x: u32) -> u32 {
    x
}

#[line_profile]
fn never() -> ! {
    loop {
        std::thread::park();
    }
}

#[line_profile]
extern "C" fn c_abi(x: i32) -> i32 {
    x * 2
}

#[line_profile]
fn empty() {}

struct S(u32);

#[line_profile]
impl S {
    fn by_ref(&self) -> u32 {
        self.0
    }
    fn by_mut(&mut self) {
        self.0 += 1;
    }
    fn by_value(self) -> u32 {
        self.0
    }
    fn boxed(self: Box<Self>) -> u32 {
        self.0
    }
    const fn left_alone() -> u32 {
        0
    }
}

impl Clone for S {
    #[line_profile]
    fn clone(&self) -> Self {
        S(self.0)
    }
}

fn main() {
    let _ = free(1);
    let _ = generic(&5u8);
    let _ = returns_impl(3).count();
    // SAFETY: valid pointer.
    let _ = unsafe { raw(&7) };
    let _ = later(1);
    let _ = c_abi(2);
    empty();
    let mut s = S(1);
    s.by_mut();
    let _ = s.by_ref() + s.clone().by_value() + Box::new(S(2)).boxed() + S::left_alone();
    if std::env::args().count() > 99 {
        never();
    }
}
