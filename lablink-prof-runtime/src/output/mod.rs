//! The outputs: the report at exit and its explicit forms, the snapshot files written while the
//! program runs, and dhat's heap profile (feature `dhat-heap`).

#[cfg(feature = "dhat-heap")]
pub(crate) mod dhat_profile;
pub(crate) mod exit_report;
pub(crate) mod snapshot_writers;
