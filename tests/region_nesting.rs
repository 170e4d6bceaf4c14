//! Heap regions that do not nest with profiled calls, or with each other, keep exact figures.
//! Its own binary: it installs the counting allocator.

mod common;

use common::{YieldOnce, block_on, function, record};
use lablink_prof::{CountingAlloc, HeapRegion, HeapStats, LineProfile, line_profile};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

const MIB: usize = 1 << 20;
const SPIKE: usize = 1000;

fn line(f: &lablink_prof::FunctionProfile, tag: &str) -> LineProfile {
    let n = f.line_containing(tag).unwrap_or_else(|| panic!("no {tag}"));
    f.line(n).cloned().unwrap_or_default()
}

/// A region's figures that do not depend on where it began or ended: (allocs, alloc_bytes,
/// net_bytes, peak_bytes).
fn figures(stats: &HeapStats) -> (u64, u64, i64, u64) {
    (
        stats.allocs,
        stats.alloc_bytes,
        stats.net_bytes,
        stats.peak_bytes,
    )
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn opens_a_region() -> HeapRegion {
    drop(vec![1u8; 2 * MIB]); // L:o_before
    HeapRegion::start() // L:o_start
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn keeps_a_region_past_the_call() -> HeapStats {
    let region = opens_a_region(); // L:k_call
    drop(vec![1u8; SPIKE]); // L:k_spike
    region.finish() // L:k_finish
}

/// The region outlives the call that started it: its peak is the spike after the call, not the
/// call's earlier one, nor the larger one before it in the measurement around.
#[test]
fn a_region_finished_after_the_call_that_started_it_returned() {
    record();
    let (stats, around) = lablink_prof::measure(|| {
        drop(vec![1u8; 4 * MIB]);
        keeps_a_region_past_the_call()
    });
    assert_eq!(figures(&stats), (1, SPIKE as u64, 0, SPIKE as u64));
    assert_eq!(around.peak_bytes, 4 * MIB as u64);
    let opened = function("opens_a_region");
    assert_eq!(line(&opened, "L:o_before").peak_bytes, 2 * MIB as u64);
    assert_eq!(line(&opened, "L:o_start").peak_bytes, 0);
    let kept = function("keeps_a_region_past_the_call");
    assert_eq!(line(&kept, "L:k_call").peak_bytes, 2 * MIB as u64);
    assert_eq!(line(&kept, "L:k_spike").peak_bytes, SPIKE as u64);
    assert_eq!(line(&kept, "L:k_finish").peak_bytes, 0);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn finishes_a_region(region: HeapRegion) -> HeapStats {
    drop(vec![1u8; SPIKE]); // L:f_spike
    region.finish() // L:f_finish
}

/// The region began before the call that finishes it: its peak is the spike before the call.
#[test]
fn a_region_finished_inside_a_call_that_began_after_it() {
    record();
    let region = HeapRegion::start();
    drop(vec![1u8; 2 * MIB]);
    let stats = finishes_a_region(region);
    assert_eq!(
        figures(&stats),
        (2, 2 * MIB as u64 + SPIKE as u64, 0, 2 * MIB as u64)
    );
    let f = function("finishes_a_region");
    assert_eq!(line(&f, "L:f_spike").peak_bytes, SPIKE as u64);
    assert_eq!(line(&f, "L:f_finish").peak_bytes, 0);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
async fn a_region_across_an_await() -> HeapStats {
    let region = HeapRegion::start(); // L:a_start
    drop(vec![1u8; 2 * MIB]); // L:a_before
    YieldOnce(false).await; // L:a_await
    drop(vec![1u8; SPIKE]); // L:a_after
    region.finish() // L:a_finish
}

/// The task suspends, and its call's peak measurement with it, while the region stays open: the
/// spike before the `.await` is still the region's.
#[test]
fn a_region_open_across_an_await_of_a_profiled_async_fn() {
    record();
    let stats = block_on(a_region_across_an_await());
    assert_eq!(
        figures(&stats),
        (2, 2 * MIB as u64 + SPIKE as u64, 0, 2 * MIB as u64)
    );
    let f = function("a_region_across_an_await");
    assert_eq!(line(&f, "L:a_before").peak_bytes, 2 * MIB as u64);
    assert_eq!(line(&f, "L:a_after").peak_bytes, SPIKE as u64);
    assert_eq!(line(&f, "L:a_finish").peak_bytes, 0);
}

/// Two regions, the first finished first: each has its own peak.
#[test]
fn regions_finished_in_the_order_they_started() {
    let first = HeapRegion::start();
    drop(vec![1u8; 2 * MIB]);
    let second = HeapRegion::start();
    drop(vec![1u8; SPIKE]);
    let first = first.finish();
    drop(vec![1u8; 3 * SPIKE]);
    let second = second.finish();
    assert_eq!(
        figures(&first),
        (2, 2 * MIB as u64 + SPIKE as u64, 0, 2 * MIB as u64)
    );
    assert_eq!(figures(&second), (2, 4 * SPIKE as u64, 0, 3 * SPIKE as u64));
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
fn leaks_a_little() -> Vec<u8> {
    vec![1u8; 100] // L:leak
}

/// A block allocated inside an inner tracking region and still live when the outer one ends is
/// named by the outer one too.
#[test]
fn an_outer_tracking_region_names_blocks_allocated_inside_an_inner_one() {
    record();
    let (kept, outer) = lablink_prof::measure(|| {
        let (kept, inner) = lablink_prof::measure(leaks_a_little);
        assert_eq!(inner.live_by_line.len(), 1, "{inner}");
        kept
    });
    let line = function("leaks_a_little")
        .line_containing("L:leak")
        .unwrap();
    let place = format!("region_nesting::leaks_a_little ({}:{line})", file!());
    let named: Vec<_> = outer
        .live_by_line
        .iter()
        .map(|l| (l.place.as_str(), l.blocks, l.bytes))
        .collect();
    assert_eq!(named, [(place.as_str(), 1, 100)], "{outer}");
    drop(kept);
}
