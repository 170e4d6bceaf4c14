//! Recording one statement in sampled mode (hits counted, no clock read), time only, against
//! one raw timestamp-counter read, in pairs; exact mode beside it for context.
//!
//! `cargo bench --bench line_recording_sampled` (about 15 s: four processes of 3 s). How it
//! measures: `benches/statement_pairs/mod.rs`.

mod common;
mod paired;
mod statement_pairs;

fn main() {
    statement_pairs::main("time only", false);
}
