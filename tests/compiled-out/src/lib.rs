//! A crate that depends on `lablink-prof` with `default-features = false`.
//!
//! Built alone (`cargo test -p lablink-prof-compiled-out`, as CI does with
//! `LP_EXPECT_COMPILED_OUT=1`), nothing turns the `profiling` feature on, and the attribute must
//! emit its functions unchanged. Built with the whole workspace, feature unification turns it
//! on again; the test then checks the other way round.

/// A profiled function.
#[lablink_prof::line_profile]
pub fn work(n: u32) -> u32 {
    (0..n).sum()
}
