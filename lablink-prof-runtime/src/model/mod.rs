//! The profile model: the profile as a value (what reports render and JSON files hold), its
//! files, and the rules by which profiles add up. It depends on nothing else in the crate, so
//! reading and combining saved profiles needs neither the recorder nor the counting allocator.

pub mod error;
pub mod heap_tracking;
pub mod histogram;
pub mod json;
pub mod profile;
pub mod rules;

pub use error::ReportError;
pub use heap_tracking::{HeapTracking, LiveFigures, TrackedLine};
pub use histogram::Histogram;
pub use profile::*;
