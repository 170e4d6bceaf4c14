//! Reading profile files, with every problem reported against the file's name and the place in
//! it.
//!
//! A file is read in three steps, none of which can panic:
//!
//! 1. **Parse.** The bytes are parsed straight into a [`Profile`] (no intermediate JSON tree,
//!    so reading takes little more memory than the file and the profile). A parse error names
//!    the field's path (`functions[3].lines[2].hits`, from `serde_path_to_error`), the function
//!    it belongs to, and the byte offset, line and column in the file.
//! 2. **Check.** Figures no run records are refused: any figure above 2^53 (104 days in
//!    nanoseconds, 8 PiB), a field whose values in one file add up to more than 2^58 (so that
//!    sums within a file and over up to 64 files cannot overflow), line numbers past the end of
//!    `u32`, thread indexes above 2^31. An empty profile is refused too: there is
//!    nothing to show; so is a sampled profile without its interval (its times could not be
//!    given an error bound), and a sampled stack with no frame.
//! 3. **Warn.** Figures that cannot all be true but can still be shown are reported on stderr
//!    and kept: primitive calls above calls, cumulative or own time above total time, lines
//!    whose times do not add up to the function's total, lines outside the function's source,
//!    a line listed twice; in sampled profiles, a stack frame of a function the profile does not
//!    hold, on-CPU time above the time, stacks in an exact profile.
//!
//! Files written before a field existed get it filled in by the profile model's rules
//! (`Profile::complete_missing_figures`), so the subcommands can rely on every figure.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::path::Path;

use lablink_prof_runtime::profile::{FORMAT_NAME, FunctionProfile, LineProfile, Profile, TimeMode};
use serde::Deserialize;

use crate::error::CliError;

/// The largest figure a file may hold: 2^53, the largest integer an `f64` holds exactly
/// (104 days in nanoseconds, 8 PiB in bytes).
pub const MAX_FIGURE: u64 = 1 << 53;

/// The largest sum of one field over a file: 2^58 (9 years in nanoseconds; a line's time
/// counts again in each caller's line, so nested functions add up to more than the run). 64
/// such files still add up within `u64`.
pub const MAX_SUM: u64 = 1 << 58;

/// The largest thread index a file may hold.
const MAX_THREAD: u32 = 1 << 31;

/// How many warnings of one file are printed; the rest are counted.
const MAX_WARNINGS: usize = 10;

/// Reads, checks and completes one profile file; prints its warnings on stderr.
///
/// # Errors
/// [`CliError::Input`] naming the file when it is missing, empty, unreadable, truncated,
/// not JSON, not a profile, of a newer format version, holds a wrong or out-of-range figure
/// (naming the place), or holds no function.
pub fn load(path: &Path) -> Result<Profile, CliError> {
    match std::fs::metadata(path) {
        Err(e) => return Err(CliError::input(path, format!("cannot read it: {e}"))),
        Ok(m) if m.is_dir() => return Err(CliError::input(path, "is a directory, not a profile")),
        Ok(m) if m.len() == 0 => {
            return Err(CliError::input(
                path,
                "the file is empty, not a lablink-prof profile",
            ));
        }
        Ok(_) => {}
    }
    let bytes =
        std::fs::read(path).map_err(|e| CliError::input(path, format!("cannot read it: {e}")))?;
    let mut profile = parse(&bytes).map_err(|problem| CliError::input(path, problem))?;
    drop(bytes);
    check(&profile).map_err(|problem| CliError::input(path, problem))?;
    let warnings = warnings(&profile);
    print_warnings(path, &warnings);
    profile.complete_missing_figures();
    Ok(profile)
}

/// Reads every file, stopping at the first that cannot be read.
///
/// # Errors
/// The first file's [`CliError::Input`].
pub fn load_all<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<Profile>, CliError> {
    paths.iter().map(|p| load(p.as_ref())).collect()
}

/// The first fields of a file, read before the rest so that a file of another format or a
/// newer version is named as such rather than by its first unknown field.
#[derive(Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// Just the functions' names, to name the function a parse error is in.
#[derive(Deserialize)]
struct Names {
    functions: Vec<NameOnly>,
}

#[derive(Deserialize)]
struct NameOnly {
    name: Option<serde_json::Value>,
}

/// Parses a profile file's bytes; the error says what is wrong and where.
///
/// # Errors
/// The problem, as a sentence naming the place.
pub fn parse(bytes: &[u8]) -> Result<Profile, String> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(format!(
            "cannot read it as text: not UTF-8 at byte {} (a binary file?)",
            e.valid_up_to()
        ));
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | None => {}
        Some(_) => {
            // Not an object; serde would take an array as a struct, field by field.
            return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Err(e) => Err(json_problem(bytes, &e)),
                Ok(_) => Err(format!(
                    "not a lablink-prof profile: it is not a JSON object with \"format\": \
                     \"{FORMAT_NAME}\""
                )),
            };
        }
    }
    let header: Header = serde_json::from_slice(bytes).map_err(|e| json_problem(bytes, &e))?;
    match header.format {
        Some(serde_json::Value::String(f)) if f == FORMAT_NAME => {}
        Some(serde_json::Value::String(other)) => {
            return Err(format!(
                "its format is {:?}, not {FORMAT_NAME:?}",
                shorten(&other)
            ));
        }
        Some(_) => return Err(format!("its \"format\" is not the string {FORMAT_NAME:?}")),
        None => return Err(format!("it has no \"format\": \"{FORMAT_NAME}\" field")),
    }
    lablink_prof_runtime::model::json::check_version(
        header.version.as_ref().and_then(serde_json::Value::as_u64),
    )?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let profile: Profile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let function = function_of(bytes, &path);
        let mut problem = json_problem(bytes, &inner);
        if path != "." && !path.is_empty() {
            problem = format!("at {path}{function}: {problem}");
        }
        problem
    })?;
    de.end().map_err(|e| json_problem(bytes, &e))?;
    Ok(profile)
}

/// ` (function "name")` for a path inside `functions[i]`, when the name can be read.
fn function_of(bytes: &[u8], path: &str) -> String {
    let Some(index) = path
        .strip_prefix("functions[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|i| i.parse::<usize>().ok())
    else {
        return String::new();
    };
    let Ok(names) = serde_json::from_slice::<Names>(bytes) else {
        return String::new();
    };
    match names.functions.get(index).and_then(|f| f.name.as_ref()) {
        Some(serde_json::Value::String(name)) => format!(" (function {})", quoted(name)),
        _ => String::new(),
    }
}

/// A JSON error as a sentence with its byte offset, line and column.
fn json_problem(bytes: &[u8], e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = match text.rfind(" at line ") {
        Some(at) if e.line() > 0 => &text[..at],
        _ => text.as_str(),
    };
    let place = if e.line() > 0 {
        // At the end of a file, serde_json points at the last byte read; the place is the end.
        let offset = if e.is_eof() {
            bytes.len()
        } else {
            byte_offset(bytes, e.line(), e.column())
        };
        format!(" (byte {offset}, line {} column {})", e.line(), e.column())
    } else {
        String::new()
    };
    match e.classify() {
        serde_json::error::Category::Eof => {
            format!("the file ends early (truncated?): {what}{place}")
        }
        serde_json::error::Category::Syntax => format!("not valid JSON: {what}{place}"),
        serde_json::error::Category::Io => format!("cannot read it: {what}"),
        serde_json::error::Category::Data => format!("a field is missing or wrong: {what}{place}"),
    }
}

/// The byte offset of 1-based `line` and `column` (serde_json's position of an error).
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map_or(bytes.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

/// A name for messages: quoted, control characters escaped, cut to 80 characters.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", shorten(name).escape_debug())
}

/// `text` cut to 80 characters, with `…` when cut.
fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(80).collect();
    if chars.next().is_some() {
        format!("{head}… ({} bytes)", text.len())
    } else {
        head
    }
}

/// `functions[i] ("name")`: where a function is, for messages.
fn place(i: usize, f: &FunctionProfile) -> String {
    format!("functions[{i}] ({})", quoted(&f.name))
}

/// Sums of one field over the file, to keep every later sum within `u64`.
#[derive(Default)]
struct Sums(HashMap<&'static str, u128>);

impl Sums {
    /// Adds `value` of `field` at `at`; an error when the value or the field's sum is too large.
    fn add(
        &mut self,
        field: &'static str,
        value: u64,
        at: &dyn Fn() -> String,
    ) -> Result<(), String> {
        if value > MAX_FIGURE {
            return Err(format!(
                "{}: {field} is {value}, out of range (more than 2^53 = {MAX_FIGURE}, which no \
                 run records)",
                at()
            ));
        }
        let sum = self.0.entry(field).or_default();
        *sum += u128::from(value);
        if *sum > u128::from(MAX_SUM) {
            return Err(format!(
                "{}: the {field} figures of the file add up to more than 2^58 = {MAX_SUM} \
                 here, out of range for any run",
                at()
            ));
        }
        Ok(())
    }

    /// Adds the figures of one line.
    fn add_line(&mut self, l: &LineProfile, at: &dyn Fn() -> String) -> Result<(), String> {
        let at = || format!("{}, line {}", at(), l.line);
        self.add("hits", l.hits, &at)?;
        self.add("time_ns", l.time_ns, &at)?;
        self.add("alloc_bytes", l.alloc_bytes, &at)?;
        self.add("freed_bytes", l.freed_bytes, &at)?;
        self.add("net_bytes", l.net_bytes.unsigned_abs(), &at)?;
        self.add("allocs", l.allocs, &at)?;
        self.add("peak_bytes", l.peak_bytes, &at)?;
        self.add("mem_usage_bytes", l.mem_usage_bytes, &at)?;
        self.add("wait_ns", l.wait_ns, &at)?;
        self.add("samples", l.samples, &at)?;
        self.add("cpu_ns", l.cpu_ns.unwrap_or(0), &at)
    }
}

/// Refuses what no run writes and what later sums could not hold.
///
/// # Errors
/// The first problem, naming its place.
pub fn check(profile: &Profile) -> Result<(), String> {
    if profile.functions.is_empty() {
        return Err(
            "the profile is empty: it holds no function, so there is nothing to show \
                    (did the program run with LABLINK_PROFILING=1, and reach a function marked \
                    #[line_profile]?)"
                .to_owned(),
        );
    }
    for (name, overhead) in [
        ("overhead_ns_per_hit", profile.overhead_ns_per_hit),
        ("overhead_ns_per_call", profile.overhead_ns_per_call),
    ] {
        if !(overhead.is_finite() && (0.0..=MAX_FIGURE as f64).contains(&overhead)) {
            return Err(format!("{name} is {overhead}, out of range (0 to 2^53)"));
        }
    }
    for t in &profile.threads {
        if t.index >= MAX_THREAD {
            return Err(format!(
                "threads: index {} is out of range (at most 2^31)",
                t.index
            ));
        }
    }
    let mut sums = Sums::default();
    check_sampled(profile, &mut sums)?;
    for (i, f) in profile.functions.iter().enumerate() {
        let at = || place(i, f);
        let source_end = u32::try_from(f.source.len())
            .ok()
            .and_then(|n| f.line.checked_add(n));
        if source_end.is_none() {
            return Err(format!(
                "{}: its source (line {} and {} more) runs past the largest line number",
                at(),
                f.line,
                f.source.len()
            ));
        }
        sums.add("calls", f.calls, &at)?;
        sums.add("primitive_calls", f.primitive_calls, &at)?;
        sums.add("total_ns", f.total_ns, &at)?;
        sums.add("cumulative_ns", f.cumulative_ns, &at)?;
        sums.add("own_ns", f.own_ns, &at)?;
        sums.add("function samples", f.samples, &at)?;
        sums.add("measured_ns", f.measured_ns, &at)?;
        for l in &f.lines {
            sums.add_line(l, &at)?;
        }
        for c in &f.callers {
            let at = || format!("{}, caller {}", at(), quoted(&c.caller));
            sums.add("callers.calls", c.calls, &at)?;
            sums.add("callers.time_ns", c.time_ns, &at)?;
        }
        for t in &f.threads {
            let at = || format!("{}, thread {}", at(), t.thread);
            if t.thread >= MAX_THREAD {
                return Err(format!(
                    "{}: the thread index is out of range (at most 2^31)",
                    at()
                ));
            }
            sums.add("threads.calls", t.calls, &at)?;
            sums.add("threads.total_ns", t.total_ns, &at)?;
            for l in &t.lines {
                sums.add_line(l, &at)?;
            }
            for c in &t.callers {
                sums.add("callers.calls", c.calls, &at)?;
                sums.add("callers.time_ns", c.time_ns, &at)?;
            }
        }
    }
    Ok(())
}

/// Refuses a sampled profile without an interval (its times would have no error bound), and
/// stacks whose figures or thread are out of range or that have no frame.
fn check_sampled(profile: &Profile, sums: &mut Sums) -> Result<(), String> {
    if profile.mode == TimeMode::Sampled && profile.sample_interval_ns == 0 {
        return Err("it is a sampled profile (\"mode\": \"sampled\") without a \
                    sample_interval_ns: its times could not be given an error bound"
            .to_owned());
    }
    sums.add("sample_interval_ns", profile.sample_interval_ns, &|| {
        "sample_interval_ns".to_owned()
    })?;
    for (i, s) in profile.stacks.iter().enumerate() {
        let at = || format!("stacks[{i}]");
        if s.thread >= MAX_THREAD {
            return Err(format!(
                "{}: the thread index {} is out of range (at most 2^31)",
                at(),
                s.thread
            ));
        }
        if s.frames.is_empty() {
            return Err(format!("{}: the stack has no frame", at()));
        }
        sums.add("stacks.samples", s.samples, &at)?;
        sums.add("stacks.time_ns", s.time_ns, &at)?;
        sums.add("stacks.cpu_ns", s.cpu_ns.unwrap_or(0), &at)?;
    }
    Ok(())
}

/// Figures that cannot all be true, each a sentence naming its place.
pub fn warnings(profile: &Profile) -> Vec<String> {
    let mut out = Vec::new();
    if profile.mode == TimeMode::Exact && !profile.stacks.is_empty() {
        out.push(
            "an exact profile with sampled stacks: the stacks are ignored (the flame graph and \
             pprof rebuild stacks from the caller edges)"
                .to_owned(),
        );
    }
    let names: HashSet<&str> = profile.functions.iter().map(|f| f.name.as_str()).collect();
    for (i, s) in profile.stacks.iter().enumerate() {
        if let Some(frame) = s
            .frames
            .iter()
            .find(|fr| !names.contains(fr.function.as_str()))
        {
            out.push(format!(
                "stacks[{i}]: the frame {} is of no function in the profile; drawn as named",
                quoted(&frame.function)
            ));
        }
        if s.cpu_ns.is_some_and(|cpu| cpu > s.time_ns) {
            out.push(format!(
                "stacks[{i}]: cpu_ns ({}) is more than time_ns ({}); its off-CPU time is taken as 0",
                s.cpu_ns.unwrap_or(0),
                s.time_ns
            ));
        }
    }
    for (i, f) in profile.functions.iter().enumerate() {
        let at = || place(i, f);
        for l in &f.lines {
            if let Some(cpu) = l.cpu_ns.filter(|&cpu| cpu > l.time_ns) {
                out.push(format!(
                    "{}: line {}: cpu_ns ({cpu}) is more than time_ns ({}); its off-CPU time is \
                     shown as 0",
                    at(),
                    l.line,
                    l.time_ns
                ));
            }
        }
        if f.primitive_calls > f.calls {
            out.push(format!(
                "{}: primitive_calls ({}) is more than calls ({}); shown as recorded",
                at(),
                f.primitive_calls,
                f.calls
            ));
        }
        if f.cumulative_ns > f.total_ns && f.total_ns > 0 {
            out.push(format!(
                "{}: cumulative_ns ({}) is more than total_ns ({})",
                at(),
                f.cumulative_ns,
                f.total_ns
            ));
        }
        if f.own_ns > f.total_ns && f.total_ns > 0 {
            out.push(format!(
                "{}: own_ns ({}) is more than total_ns ({})",
                at(),
                f.own_ns,
                f.total_ns
            ));
        }
        let lines_ns: u64 = f.lines.iter().map(|l| l.time_ns).sum();
        if f.total_ns > 0 && lines_ns != f.total_ns {
            out.push(format!(
                "{}: its lines' times add up to {lines_ns} ns, not its total_ns ({}); \
                 percentages are of total_ns",
                at(),
                f.total_ns
            ));
        }
        let end = f.line.saturating_add(f.source.len() as u32);
        let mut seen = HashSet::new();
        let mut outside = Vec::new();
        for l in &f.lines {
            if !seen.insert(l.line) {
                out.push(format!(
                    "{}: line {} is listed twice; the figures of the first are shown",
                    at(),
                    l.line
                ));
            }
            if !f.source.is_empty() && (l.line < f.line || l.line >= end) {
                outside.push(l.line);
            }
        }
        outside.sort_unstable();
        outside.dedup();
        if !outside.is_empty() {
            let outside: Vec<String> = outside.iter().map(u32::to_string).collect();
            out.push(format!(
                "{}: line{} {} {} outside its source (lines {} to {})",
                at(),
                if outside.len() == 1 { "" } else { "s" },
                outside.join(", "),
                if outside.len() == 1 { "is" } else { "are" },
                f.line,
                end - 1
            ));
        }
    }
    out
}

/// Prints `warnings` on stderr against `path`, at most [`MAX_WARNINGS`] of them.
fn print_warnings(path: &Path, warnings: &[String]) {
    if warnings.is_empty() {
        return;
    }
    let mut text = String::new();
    for w in warnings.iter().take(MAX_WARNINGS) {
        let _ = writeln!(text, "lablink-prof: warning: {}: {w}", path.display());
    }
    if warnings.len() > MAX_WARNINGS {
        let _ = writeln!(
            text,
            "lablink-prof: warning: {}: {} more warnings like these",
            path.display(),
            warnings.len() - MAX_WARNINGS
        );
    }
    eprint!("{text}");
}

/// Parses the text of a snapshot the caller has read once (a running program may replace the
/// file at any moment), checks and completes it.
///
/// # Errors
/// [`CliError::Input`] naming `path` when the text is not a readable, plausible profile.
pub fn parse_snapshot(path: &Path, text: &str) -> Result<Profile, CliError> {
    let mut profile = parse(text.as_bytes()).map_err(|problem| CliError::input(path, problem))?;
    check(&profile).map_err(|problem| CliError::input(path, problem))?;
    profile.complete_missing_figures();
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_name_the_place() {
        let text = br#"{"format":"lablink-prof","version":1,"functions":[
{"name":"a::f","file":"a.rs","line":1,"calls":1,"total_ns":5,"lines":[{"line":1,"hits":"x","time_ns":5}]}]}"#;
        let e = parse(text).unwrap_err();
        assert!(
            e.starts_with("at functions[0].lines[0].hits (function \"a::f\"): "),
            "{e}"
        );
        assert!(
            e.contains("invalid type: string \"x\", expected u64"),
            "{e}"
        );
        // The place is the last byte read: the closing quote of `"x"`, on line 2.
        let line_2 = text.iter().position(|&b| b == b'\n').unwrap() + 1;
        let at = text.windows(3).position(|w| w == b"\"x\"").unwrap() + 2;
        let column = at - line_2 + 1;
        assert!(
            e.contains(&format!("(byte {at}, line 2 column {column})")),
            "{e}"
        );
    }

    #[test]
    fn truncated_and_trailing_bytes() {
        let e = parse(br#"{"format":"lablink-prof","version":1,"functions":[{"name""#).unwrap_err();
        assert!(e.contains("ends early") && e.contains("byte 57"), "{e}");
        let e = parse(br#"{"format":"lablink-prof","version":1,"functions":[]} x"#).unwrap_err();
        assert!(e.contains("not valid JSON") && e.contains("byte 53"), "{e}");
    }

    #[test]
    fn byte_offsets_count_lines() {
        assert_eq!(byte_offset(b"ab\ncd\nef", 3, 2), 7);
        assert_eq!(byte_offset(b"ab", 1, 1), 0);
        assert_eq!(byte_offset(b"ab", 9, 1), 2);
    }

    #[test]
    fn long_names_are_cut_in_messages() {
        let q = quoted(&"n\n".repeat(100));
        assert!(
            q.starts_with("\"n\\nn\\n") && q.ends_with("… (200 bytes)\""),
            "{q}"
        );
    }
}
