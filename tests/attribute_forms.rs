//! Every kind of function the attribute accepts compiles, behaves as before and records.
// The forms below are chosen for what they exercise, not for style.
#![allow(clippy::multiple_bound_locations, clippy::boxed_local)]

// The expansion must find the real `core` and `std` even when the user shadows them.
#[allow(dead_code)]
mod core {}
#[allow(dead_code)]
mod std {}

mod common;

use ::std::fmt::Display;

use common::{YieldOnce, block_on, function, hits, record};
use lablink_prof::line_profile;

struct Counter {
    n: u32,
}

#[line_profile]
impl Counter {
    /// Docs are kept.
    fn new() -> Self {
        Counter { n: 0 } // L:new
    }

    fn bump(&mut self) -> u32 {
        self.n += 1; // L:bump
        self.n
    }

    fn get(&self) -> u32 {
        self.n // L:get
    }

    fn into_inner(self) -> u32 {
        self.n // L:into
    }

    fn boxed(self: Box<Self>) -> u32 {
        self.n * 10 // L:boxed
    }

    #[line_profile(skip)]
    fn skipped(&self) -> u32 {
        self.n // L:skipped
    }

    const fn constant() -> u32 {
        7
    }
}

#[test]
fn every_method_of_a_profiled_impl_block_is_recorded() {
    record();
    let mut c = Counter::new();
    assert_eq!(c.bump(), 1);
    assert_eq!(c.bump(), 2);
    assert_eq!(c.get(), 2);
    assert_eq!(c.skipped(), 2);
    assert_eq!(Counter::constant(), 7);
    assert_eq!(Box::new(Counter { n: 3 }).boxed(), 30);
    assert_eq!(c.into_inner(), 2);
    assert_eq!(function("bump").calls, 2);
    assert_eq!(hits(&function("bump"), "L:bump"), 2);
    assert_eq!(function("get").calls, 1);
    assert_eq!(function("into_inner").calls, 1);
    assert_eq!(function("boxed").calls, 1);
    assert!(function("bump").name.ends_with("Counter::bump"));
    let profile = lablink_prof::snapshot();
    assert!(
        !profile
            .functions
            .iter()
            .any(|f| f.name.ends_with("::skipped"))
    );
}

trait Shape {
    fn area(&self) -> f64;
    fn describe(&self) -> String {
        format!("area {}", self.area())
    }
}

struct Square(f64);

impl Shape for Square {
    #[line_profile]
    fn area(&self) -> f64 {
        self.0 * self.0 // L:area
    }
}

#[test]
fn trait_impl_methods_are_recorded_under_their_impl() {
    record();
    assert_eq!(Square(3.0).describe(), "area 9");
    let f = function("area");
    assert_eq!(f.calls, 1);
    assert!(f.name.contains("Square as"), "{}", f.name);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn generic<T: Display + Clone, const N: usize>(items: [T; N]) -> Vec<String>
where
    T: Send,
{
    let mut out = Vec::with_capacity(N);
    for item in items.iter() { // L:items
        out.push(item.to_string());
    }
    out
}

#[test]
fn all_instantiations_of_a_generic_function_add_up_in_one_table() {
    record();
    assert_eq!(generic([1, 2, 3]), ["1", "2", "3"]);
    assert_eq!(generic(["a"]), ["a"]);
    let f = function("generic");
    assert_eq!(f.calls, 2);
    assert_eq!(hits(&f, "L:items"), 4 + 2);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn lifetimes<'a, 'b: 'a>(a: &'a str, b: &'b str) -> &'a str {
    if a.len() >= b.len() { a } else { b }
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn impl_trait_in_and_out(items: impl IntoIterator<Item = u32>) -> impl Iterator<Item = u32> {
    let doubled: Vec<u32> = items.into_iter().map(|x| x * 2).collect(); // L:collect
    doubled.into_iter().filter(|x| x % 3 != 0)
}

#[line_profile]
unsafe fn read_raw(p: *const u32) -> u32 {
    // SAFETY: the caller passes a valid pointer.
    unsafe { *p } // L:read
}

#[test]
fn lifetimes_impl_trait_and_unsafe_fns_work() {
    record();
    assert_eq!(lifetimes("long", "x"), "long");
    let v: Vec<u32> = impl_trait_in_and_out([1, 2, 3]).collect();
    assert_eq!(v, [2, 4]);
    let x = 42u32;
    // SAFETY: `&x` is valid.
    assert_eq!(unsafe { read_raw(&x) }, 42);
    assert_eq!(hits(&function("impl_trait_in_and_out"), "L:collect"), 1);
    assert_eq!(hits(&function("read_raw"), "L:read"), 1);
    assert_eq!(function("lifetimes").calls, 1);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn async_work(n: u32) -> u32 {
    let mut total = 0;
    for _ in 0..n { // L:loop
        total += YieldOnce(false).await; // L:await
    }
    total
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[test]
fn async_fns_record_across_awaits_and_stay_send() {
    record();
    assert_eq!(block_on(assert_send(async_work(3))), 15);
    let f = function("async_work");
    assert_eq!(f.calls, 1);
    assert!(f.is_async);
    assert_eq!(hits(&f, "L:loop"), 4);
    assert_eq!(hits(&f, "L:await"), 3);
    common::assert_adds_up(&f);
}
