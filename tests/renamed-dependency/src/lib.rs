//! A crate that depends on `lablink-prof` under the name `prof`: `::lablink_prof` does not
//! resolve here, so the attribute is told the name with `crate = prof`, on each form it takes.
#![allow(clippy::let_and_return)] // a statement per line is what the tests count

use prof::line_profile;

/// A function.
#[line_profile(crate = prof)]
pub fn triangle(n: u64) -> u64 {
    let mut total = 0;
    for i in 1..=n {
        total += i;
    }
    total
}

/// A type with profiled methods.
#[derive(Debug)]
pub struct Doubler;

#[line_profile(crate = "prof")]
impl Doubler {
    /// A method.
    pub fn double(&self, x: u64) -> u64 {
        let twice = x * 2;
        twice
    }
}

/// An inline module, with an async function and a closure inside.
#[line_profile(crate = prof)]
pub mod inner {
    /// A closure's statements and an `.await` need the path too.
    pub async fn squares(n: u64) -> u64 {
        let square = |x: u64| {
            let y = x * x;
            y
        };
        let total = (1..=n).map(square).sum();
        std::future::ready(()).await;
        total
    }
}
