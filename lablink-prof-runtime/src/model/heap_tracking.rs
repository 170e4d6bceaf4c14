//! What whole-process heap tracking found (`LABLINK_PROFILE_HEAP=track`): by line, the bytes
//! still live when the profile was taken (at exit, for the exit report) and the bytes live at
//! the moment the process's heap was largest.
//!
//! In the JSON file it is the optional top-level field `heap_tracking`; files without it (made
//! without tracking, or before it existed) load with `None`.
//!
//! ```json
//! "heap_tracking": {
//!   "peak_bytes": 4195328, "at_peak_total_bytes": 4195328,
//!   "live_bytes": 3072, "live_blocks": 3, "counted_live_bytes": 3072, "unplaced_blocks": 0,
//!   "outside": { "live_bytes": 0, "live_blocks": 0, "at_peak_bytes": 1024 },
//!   "lines": [{ "function": "demo::leak", "file": "src/main.rs", "line": 12,
//!               "live_bytes": 3000, "live_blocks": 3, "at_peak_bytes": 3000 }]
//! }
//! ```

use serde::{Deserialize, Serialize};

/// Live blocks by the line that allocated them, for the whole process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeapTracking {
    /// The highest the process's live heap was, in bytes (from when tracking started, before
    /// `main` on Linux).
    pub peak_bytes: u64,
    /// The sum of the figures copied at that peak, lines and outside: equal to `peak_bytes`
    /// when one thread was allocating at the time (a copy made while other threads allocate
    /// sees each line at some instant of the copy).
    pub at_peak_total_bytes: i64,
    /// The process's live heap when the profile was taken, in bytes and blocks.
    pub live_bytes: i64,
    /// Its blocks.
    pub live_blocks: i64,
    /// The counting allocator's own figure for the process's live heap (its per-thread
    /// counters added up), read at the same moment: with no other thread allocating then, equal
    /// to `live_bytes`, which tracking counts on its own.
    #[serde(default)]
    pub counted_live_bytes: i64,
    /// Blocks that found no room in the tracking table: counted under `outside`.
    #[serde(default)]
    pub unplaced_blocks: u64,
    /// Blocks allocated outside profiled code (and blocks allocated before tracking started).
    pub outside: LiveFigures,
    /// Profiled lines with blocks live when the profile was taken or at the peak, most live
    /// bytes first.
    pub lines: Vec<TrackedLine>,
}

/// Live figures of one place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveFigures {
    /// Bytes allocated there and not freed when the profile was taken.
    pub live_bytes: i64,
    /// Their blocks.
    pub live_blocks: i64,
    /// Bytes allocated there and live when the process's heap was at its peak.
    pub at_peak_bytes: i64,
}

/// One profiled line's live blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedLine {
    /// The function's path.
    pub function: String,
    /// Its file.
    pub file: String,
    /// The line number in the file.
    pub line: u32,
    /// Bytes the line allocated and nothing had freed when the profile was taken.
    pub live_bytes: i64,
    /// Their blocks.
    pub live_blocks: i64,
    /// Bytes the line allocated that were live when the process's heap was at its peak.
    pub at_peak_bytes: i64,
}

impl HeapTracking {
    /// The line `line` of `file`, if it has figures.
    ///
    /// ```
    /// use lablink_prof_runtime::profile::HeapTracking;
    /// assert!(HeapTracking::default().line("src/main.rs", 3).is_none());
    /// ```
    pub fn line(&self, file: &str, line: u32) -> Option<&TrackedLine> {
        self.lines.iter().find(|l| l.file == file && l.line == line)
    }

    /// The sum of the lines' live bytes (outside profiled code not included).
    ///
    /// ```
    /// use lablink_prof_runtime::profile::HeapTracking;
    /// assert_eq!(HeapTracking::default().lines_live_bytes(), 0);
    /// ```
    pub fn lines_live_bytes(&self) -> i64 {
        self.lines.iter().map(|l| l.live_bytes).sum()
    }
}
