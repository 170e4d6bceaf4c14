//! The LabLink command flow, profiled against unprofiled, measured in pairs, with the counting
//! allocator installed: the profiled runs record time and memory columns. How it measures:
//! `benches/flow_pairs/mod.rs`.
//!
//! `cargo bench --bench lablink_paired` (about three minutes; `-- sampled` measures only the
//! sampled mode, `-- "in memory"` both modes in memory).

mod flow_pairs;
mod lablink_flow;
mod paired;

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

fn main() {
    flow_pairs::main();
}
