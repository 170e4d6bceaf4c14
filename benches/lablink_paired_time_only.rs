//! The LabLink command flow, profiled against unprofiled, measured in pairs, without the
//! counting allocator: the profiled runs record time only. How it measures:
//! `benches/flow_pairs/mod.rs`.
//!
//! `cargo bench --bench lablink_paired_time_only -- "in memory"` (about two minutes).

mod flow_pairs;
mod lablink_flow;
mod paired;

fn main() {
    flow_pairs::main();
}
