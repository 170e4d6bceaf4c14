//! Whole-process heap tracking's figures read into the profile model.

use crate::base::function_site::FunctionSite;
use crate::heap::process_tracking::{self, TrackedLine as Raw};
use crate::model::{HeapTracking, LiveFigures, TrackedLine};

/// What tracking found, if it is on and the counting allocator counted (without it nothing is
/// tracked, and zeros would not be true figures).
pub(crate) fn read() -> Option<HeapTracking> {
    if !crate::heap::is_installed() {
        return None;
    }
    let raw = process_tracking::read()?;
    let figures = |l: &Raw| LiveFigures {
        live_bytes: l.live_bytes,
        live_blocks: l.live_blocks,
        at_peak_bytes: l.at_peak_bytes,
    };
    let mut lines: Vec<TrackedLine> = raw
        .lines
        .iter()
        .filter_map(|l| {
            let site: &FunctionSite = l.site?;
            Some(TrackedLine {
                function: site.path().to_owned(),
                file: site.info.file.to_owned(),
                line: site.info.first_line + l.slot,
                live_bytes: l.live_bytes,
                live_blocks: l.live_blocks,
                at_peak_bytes: l.at_peak_bytes,
            })
        })
        .collect();
    lines.sort_by(|a, b| {
        (b.live_bytes, b.at_peak_bytes)
            .cmp(&(a.live_bytes, a.at_peak_bytes))
            .then_with(|| (&a.file, a.line).cmp(&(&b.file, b.line)))
    });
    Some(HeapTracking {
        peak_bytes: raw.peak_bytes.max(0) as u64,
        at_peak_total_bytes: raw.at_peak_total,
        live_bytes: raw.live_bytes,
        live_blocks: raw.live_blocks,
        counted_live_bytes: raw.counted_live_bytes,
        unplaced_blocks: raw.unplaced_blocks,
        outside: figures(&raw.outside),
        lines,
    })
}
