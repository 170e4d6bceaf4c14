//! The summary of whole-process heap tracking: the lines with the most bytes live at exit and
//! at the process's peak, each with its file:line and function.

use std::fmt::Write;

use crate::model::{HeapTracking, TrackedLine};

/// The summary of `tracking`, listing at most `top` lines in each part (all with `None`).
/// Figures are exact bytes and blocks.
///
/// ```
/// use lablink_prof_runtime::profile::{HeapTracking, LiveFigures, TrackedLine};
/// let tracking = HeapTracking {
///     peak_bytes: 5000,
///     at_peak_total_bytes: 5000,
///     live_bytes: 3000,
///     live_blocks: 3,
///     counted_live_bytes: 3000,
///     unplaced_blocks: 0,
///     outside: LiveFigures { live_bytes: 0, live_blocks: 0, at_peak_bytes: 2000 },
///     lines: vec![TrackedLine {
///         function: "demo::leak".into(), file: "src/main.rs".into(), line: 12,
///         live_bytes: 3000, live_blocks: 3, at_peak_bytes: 3000,
///     }],
/// };
/// let text = lablink_prof_runtime::report::heap_tracking::render(&tracking, Some(10));
/// assert!(text.contains("3000 bytes in 3 blocks"));
/// assert!(text.contains("src/main.rs:12"));
/// ```
pub fn render(tracking: &HeapTracking, top: Option<usize>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Heap by line, whole process (LABLINK_PROFILE_HEAP=track): live at exit {} bytes in {} \
         blocks; peak {} bytes",
        tracking.live_bytes, tracking.live_blocks, tracking.peak_bytes
    );
    if tracking.at_peak_total_bytes != tracking.peak_bytes as i64 {
        let _ = writeln!(
            out,
            "  (the lines' figures at the peak add up to {} bytes: they were read while other \
             threads allocated)",
            tracking.at_peak_total_bytes
        );
    }
    let outside = tracking.outside;
    let limit = top.unwrap_or(usize::MAX);
    let place = |l: &TrackedLine| format!("{}:{}  {}", l.file, l.line, l.function);

    let mut at_exit: Vec<&TrackedLine> = tracking
        .lines
        .iter()
        .filter(|l| l.live_bytes != 0)
        .collect();
    at_exit.sort_by(|a, b| b.live_bytes.cmp(&a.live_bytes).then(a.line.cmp(&b.line)));
    let _ = writeln!(out, "Live at exit, by line:");
    if at_exit.is_empty() {
        let _ = writeln!(out, "  nothing allocated on a profiled line is still live");
    }
    for l in at_exit.iter().take(limit) {
        let _ = writeln!(
            out,
            "  {:>12} bytes in {:>7} blocks  {}",
            l.live_bytes,
            l.live_blocks,
            place(l)
        );
    }
    more(&mut out, at_exit.len(), limit);
    let _ = writeln!(
        out,
        "  {:>12} bytes in {:>7} blocks  outside profiled code",
        outside.live_bytes, outside.live_blocks
    );

    let mut at_peak: Vec<&TrackedLine> = tracking
        .lines
        .iter()
        .filter(|l| l.at_peak_bytes != 0)
        .collect();
    at_peak.sort_by(|a, b| {
        b.at_peak_bytes
            .cmp(&a.at_peak_bytes)
            .then(a.line.cmp(&b.line))
    });
    let _ = writeln!(out, "Live at peak, by line:");
    if at_peak.is_empty() {
        let _ = writeln!(
            out,
            "  nothing allocated on a profiled line was live at the peak"
        );
    }
    for l in at_peak.iter().take(limit) {
        let _ = writeln!(out, "  {:>12} bytes  {}", l.at_peak_bytes, place(l));
    }
    more(&mut out, at_peak.len(), limit);
    let _ = writeln!(
        out,
        "  {:>12} bytes  outside profiled code",
        outside.at_peak_bytes
    );
    if tracking.unplaced_blocks > 0 {
        let _ = writeln!(
            out,
            "  ({} blocks found no room in the tracking table and are counted as outside \
             profiled code)",
            tracking.unplaced_blocks
        );
    }
    out
}

fn more(out: &mut String, shown: usize, limit: usize) {
    if shown > limit {
        let _ = writeln!(out, "  ... and {} more lines", shown - limit);
    }
}
