//! Recording one statement in sampled mode with the memory columns on (the counting allocator
//! installed), against one raw timestamp-counter read, in pairs; exact mode beside it for
//! context.
//!
//! `cargo bench --bench line_recording_sampled_heap` (about 15 s). How it measures:
//! `benches/statement_pairs/mod.rs`.

mod common;
mod paired;
mod statement_pairs;

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

fn main() {
    statement_pairs::main("time and memory columns", true);
}
