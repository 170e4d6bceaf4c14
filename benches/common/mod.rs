//! What the recording benchmarks share: the reference clock read and a function site.

use lablink_prof::__private::{FunctionSite, SiteInfo};

/// A function site for frames made by hand in benchmarks.
pub static SITE: FunctionSite = FunctionSite::new(SiteInfo {
    name: "bench",
    file: file!(),
    first_line: 1,
    source: &["fn bench() {", "    a;", "    b;", "}"],
    is_async: false,
});

/// The type name the attribute would pass for `SITE`'s function.
pub const MARKER: &str = "bench::bench::__lp_here";

/// One raw read of the timestamp counter: the reference every recording cost is measured
/// against.
#[inline(always)]
pub fn raw_tsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: rdtsc has no preconditions.
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::time::Instant::now().elapsed().as_nanos() as u64
    }
}
