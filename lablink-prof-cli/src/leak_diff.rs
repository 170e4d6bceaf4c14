//! `lablink-prof diff --metric leaks BASE NEW`: bytes live at exit, per line, for leak
//! regressions in CI. Both profiles must come from runs with `LABLINK_PROFILE_HEAP=track`.
//!
//! Lines are paired across versions of the code as the time comparison pairs them: by function
//! and the line's source text (which occurrence of it), so that a line that moved keeps its
//! figures. The exit status is 1 when a line's live bytes at exit grew by more than
//! `--max-growth` bytes (0 by default), else 0.

use std::collections::BTreeMap;

use comfy_table::{CellAlignment, ContentArrangement, Table};
use lablink_prof_runtime::profile::{HeapTracking, Profile, TrackedLine};

use crate::diff::{DiffArgs, line_keys};
use crate::error::CliError;
use crate::output;

/// One line's live bytes and blocks at exit in each profile.
#[derive(Debug, Default)]
struct Pair<'a> {
    base: Option<&'a TrackedLine>,
    new: Option<&'a TrackedLine>,
}

impl Pair<'_> {
    fn growth(&self) -> i64 {
        live(self.new) - live(self.base)
    }

    fn place(&self) -> String {
        let l = self.new.or(self.base).expect("one side at least");
        format!("{}:{}  {}", l.file, l.line, l.function)
    }
}

fn live(l: Option<&TrackedLine>) -> i64 {
    l.map_or(0, |l| l.live_bytes)
}

/// The tracking of a profile, or a clear error naming the file.
fn tracking<'a>(
    profile: &'a Profile,
    path: &std::path::Path,
) -> Result<&'a HeapTracking, CliError> {
    profile
        .heap_tracking
        .as_ref()
        .ok_or_else(|| CliError::Input {
            path: path.to_owned(),
            problem: "has no heap tracking (write it with LABLINK_PROFILE_HEAP=track and \
                  LABLINK_PROFILING=1) for --metric leaks"
                .to_owned(),
        })
}

/// A line's key: its function and its source text (with which occurrence of it), else its
/// line number.
fn key(profile: &Profile, l: &TrackedLine) -> (String, String) {
    let text = profile
        .functions
        .iter()
        .find(|f| f.name == l.function && f.file == l.file)
        .and_then(|f| line_keys(f).remove(&l.line));
    (
        l.function.clone(),
        text.unwrap_or_else(|| format!("\u{0}line {}", l.line)),
    )
}

/// Runs the comparison; the result is the exit status.
///
/// # Errors
/// A profile without heap tracking.
pub fn run(base: &Profile, new: &Profile, args: &DiffArgs) -> Result<i32, CliError> {
    let (bt, nt) = (tracking(base, &args.base)?, tracking(new, &args.new)?);
    let mut pairs: BTreeMap<(String, String), Pair<'_>> = BTreeMap::new();
    for l in &bt.lines {
        pairs.entry(key(base, l)).or_default().base = Some(l);
    }
    for l in &nt.lines {
        pairs.entry(key(new, l)).or_default().new = Some(l);
    }
    let mut pairs: Vec<Pair<'_>> = pairs
        .into_values()
        .filter(|p| live(p.base) != 0 || live(p.new) != 0)
        .collect();
    pairs.sort_by(|a, b| b.growth().cmp(&a.growth()).then(a.place().cmp(&b.place())));
    let limit = args.max_growth as i64;
    let grew: Vec<&Pair<'_>> = pairs.iter().filter(|p| p.growth() > limit).collect();

    let mut out = format!(
        "lablink-prof diff --metric leaks: {} → {}\nbytes live at exit by line; a line fails when \
         they grow by more than {} bytes\n\n",
        args.base.display(),
        args.new.display(),
        args.max_growth
    );
    let mut table = Table::new();
    table
        .load_preset(lablink_prof_runtime::report::table_layout::HEADER_RULE_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header([
            "Status",
            "Line",
            "Live base",
            "Live new",
            "Growth",
            "Blocks",
        ]);
    for p in &pairs {
        let status = match (p.base, p.new) {
            _ if p.growth() > limit => "GREW",
            (None, Some(_)) => "new",
            (Some(_), None) => "gone",
            _ => "ok",
        };
        let blocks = |l: Option<&TrackedLine>| l.map_or(0, |l| l.live_blocks);
        table.add_row([
            status.to_owned(),
            p.place(),
            format!("{} B", live(p.base)),
            format!("{} B", live(p.new)),
            format!("{:+} B", p.growth()),
            format!("{} → {}", blocks(p.base), blocks(p.new)),
        ]);
    }
    for c in 2..6 {
        if let Some(column) = table.column_mut(c) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    if !pairs.is_empty() {
        out.push_str(&table.to_string());
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "Whole process: live at exit {} → {} bytes; peak {} → {} bytes\n",
        bt.live_bytes, nt.live_bytes, bt.peak_bytes, nt.peak_bytes
    ));
    if grew.is_empty() {
        out.push_str(&format!(
            "OK: no line's bytes live at exit grew by more than {} bytes ({} lines compared)\n",
            args.max_growth,
            pairs.len()
        ));
    } else {
        out.push_str(&format!(
            "FAIL: {} line{} with more bytes live at exit (by more than {} bytes):\n",
            grew.len(),
            if grew.len() == 1 { "" } else { "s" },
            args.max_growth
        ));
        for p in &grew {
            out.push_str(&format!(
                "  {} {:+} bytes ({} → {})\n",
                p.place(),
                p.growth(),
                live(p.base),
                live(p.new)
            ));
        }
    }
    output::stdout(out.as_bytes())?;
    Ok(if grew.is_empty() { 0 } else { 1 })
}
