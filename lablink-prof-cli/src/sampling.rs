//! Sampled profiles (`"mode": "sampled"`): how uncertain their times are, the header lines the
//! layouts add for them, and the rules by which two of them add up.
//!
//! # The uncertainty of a sampled time
//!
//! A time made of `n` samples of interval `I` is within `1.96 × √n × I` of the truth 95% of the
//! time (the model's [`sampled_time_error_ns`]: the samples of a line are a Poisson count).
//! A figure that counts a sample more than once (recursion: a line with `m` frames in one stack
//! counts that stack's samples `m` times, as exact mode counts every nested call) has the
//! variance `Σ m² n` over the stacks, so its bound is `sampled_time_error_ns(Σ m² n, I)`; with
//! `m = 1` that is the plain `n`. The figures are computed from the profile's `stacks`; a
//! profile without stacks falls back on the sample counts of its lines and functions.
//!
//! - a line's time: its frames in each stack;
//! - a function's total time: all its frames in each stack (every recursion level);
//! - its cumulative time: the stacks it is in, once each;
//! - its own time: the stacks whose innermost frame is it.

use std::collections::HashMap;

use lablink_prof_runtime::model::rules;
use lablink_prof_runtime::profile::{
    FunctionProfile, LineProfile, Profile, SampledStack, TimeMode, sampled_time_error_ns,
};
use lablink_prof_runtime::report::units::duration;

use crate::error::CliError;

/// Sample counts (as `Σ m² n`, see the module's docs) behind each figure of a sampled profile.
#[derive(Debug, Clone, Default)]
pub struct SampledErrors {
    /// The sampler's interval.
    pub interval_ns: u64,
    from_stacks: bool,
    lines: HashMap<(String, u32), u64>,
    totals: HashMap<String, u64>,
    cumulative: HashMap<String, u64>,
    own: HashMap<String, u64>,
}

impl SampledErrors {
    /// The errors of `profile`'s times, `None` for an exact profile.
    pub fn of(profile: &Profile) -> Option<SampledErrors> {
        if profile.mode != TimeMode::Sampled {
            return None;
        }
        let mut e = SampledErrors {
            interval_ns: profile.sample_interval_ns,
            from_stacks: !profile.stacks.is_empty(),
            ..SampledErrors::default()
        };
        for s in &profile.stacks {
            let mut per_line: HashMap<(&str, u32), u64> = HashMap::new();
            let mut per_function: HashMap<&str, u64> = HashMap::new();
            for frame in &s.frames {
                *per_line
                    .entry((frame.function.as_str(), frame.line))
                    .or_default() += 1;
                *per_function.entry(frame.function.as_str()).or_default() += 1;
            }
            for ((f, l), m) in per_line {
                let v = e.lines.entry((f.to_owned(), l)).or_default();
                *v = v.saturating_add(m.saturating_mul(m).saturating_mul(s.samples));
            }
            for (f, m) in per_function {
                let v = e.totals.entry(f.to_owned()).or_default();
                *v = v.saturating_add(m.saturating_mul(m).saturating_mul(s.samples));
                let v = e.cumulative.entry(f.to_owned()).or_default();
                *v = v.saturating_add(s.samples);
            }
            if let Some(leaf) = s.frames.last() {
                let v = e.own.entry(leaf.function.clone()).or_default();
                *v = v.saturating_add(s.samples);
            }
        }
        Some(e)
    }

    fn bound(&self, n: u64) -> u64 {
        sampled_time_error_ns(n, self.interval_ns)
    }

    /// The 95% bound of the error of line `l` of `f`'s time, as a table cell: `≤ 3.00 ms` (three
    /// intervals, the 95% upper bound of a count that came out 0) for a line no sample found.
    pub fn line_cell(&self, f: &FunctionProfile, l: &LineProfile) -> String {
        match self.line_ns(f, l) {
            0 if l.time_ns == 0 => format!("≤ {}", duration(3.0 * self.interval_ns as f64)),
            e => duration(e as f64),
        }
    }

    /// The 95% bound of the error of line `l` of `f`'s time.
    pub fn line_ns(&self, f: &FunctionProfile, l: &LineProfile) -> u64 {
        if self.from_stacks {
            let n = self.lines.get(&(f.name.clone(), l.line)).copied();
            self.bound(n.unwrap_or(0))
        } else {
            self.bound(l.samples)
        }
    }

    /// The 95% bound of the error of `f`'s total time.
    pub fn total_ns(&self, f: &FunctionProfile) -> u64 {
        if self.from_stacks {
            self.bound(self.totals.get(&f.name).copied().unwrap_or(0))
        } else {
            self.bound(f.lines.iter().map(|l| l.samples).sum())
        }
    }

    /// The 95% bound of the error of `f`'s cumulative time.
    pub fn cumulative_ns(&self, f: &FunctionProfile) -> u64 {
        self.bound(self.samples(f))
    }

    /// The 95% bound of the error of `f`'s own time.
    pub fn own_ns(&self, f: &FunctionProfile) -> u64 {
        if self.from_stacks {
            self.bound(self.own.get(&f.name).copied().unwrap_or(0))
        } else {
            self.bound(f.samples)
        }
    }

    /// How many samples found `f` on a stack (from the stacks when the profile has them, so
    /// that a thread's part of a profile counts its own).
    pub fn samples(&self, f: &FunctionProfile) -> u64 {
        if self.from_stacks {
            self.cumulative.get(&f.name).copied().unwrap_or(0)
        } else {
            f.samples
        }
    }
}

pub use lablink_prof_runtime::report::measured_differs;

/// `1.14 s ± 66.1 ms`: a time and its 95% error bound.
pub fn with_error(ns: u64, error_ns: u64) -> String {
    format!("{} ± {}", duration(ns as f64), duration(error_ns as f64))
}

/// The start of the header line naming the mode of a sampled function: its samples and the
/// interval (`Mode: sampled, 294 samples every 1.00 ms`).
pub fn mode_line(errors: &SampledErrors, f: &FunctionProfile) -> String {
    let n = errors.samples(f);
    format!(
        "Mode: sampled, {n} sample{} every {}",
        if n == 1 { "" } else { "s" },
        duration(errors.interval_ns as f64),
    )
}

/// The sum of `profiles`, as [`rules::add_up`] adds them, with the sampled mode's figures the
/// model's rules do not carry: the mode, the interval and the stacks (threads renumbered as
/// `add_up` renumbers them); and a `measured_ns` of 0 (nothing taken out) counted as the total
/// it stands for.
///
/// # Errors
/// [`CliError::Input`] naming the file when a sampled and an exact profile are given together,
/// or two sampled profiles of different intervals.
pub fn add_up(
    profiles: Vec<Profile>,
    paths: &[std::path::PathBuf],
    labels: &[String],
) -> Result<Profile, CliError> {
    let first = profiles.first().map_or(TimeMode::Exact, |p| p.mode);
    let interval = profiles.first().map_or(0, |p| p.sample_interval_ns);
    for (i, p) in profiles.iter().enumerate().skip(1) {
        let path = paths
            .get(i)
            .map_or(std::path::Path::new(""), |p| p.as_path());
        let first_path = paths
            .first()
            .map_or(String::new(), |p| p.display().to_string());
        if p.mode != first {
            return Err(CliError::input(
                path,
                format!(
                    "its times are {}, those of {first_path} are {first}: sampled and exact \
                     times cannot be added up (one is a count of samples with an error bound, \
                     the other a clock's reading); view them one at a time",
                    mode_words(p.mode),
                ),
            ));
        }
        if p.mode == TimeMode::Sampled && p.sample_interval_ns != interval {
            return Err(CliError::input(
                path,
                format!(
                    "it was sampled every {}, {first_path} every {}: profiles sampled at \
                     different intervals cannot be added up (their error bounds differ)",
                    duration(p.sample_interval_ns as f64),
                    duration(interval as f64),
                ),
            ));
        }
    }
    let mut stacks: Vec<SampledStack> = Vec::new();
    let mut offset = 0u32;
    for p in &profiles {
        let renumber: HashMap<u32, u32> = p
            .threads
            .iter()
            .enumerate()
            .map(|(n, t)| (t.index, offset + n as u32))
            .collect();
        for s in &p.stacks {
            let mut s = s.clone();
            s.thread = match renumber.get(&s.thread) {
                Some(&n) => n,
                None => s.thread.saturating_add(offset),
            };
            stacks.push(s);
        }
        offset += p.threads.len() as u32;
    }
    // `measured_ns` of 0 means "nothing was taken out": the same as the total. Summed as 0, it
    // would understate the measured total of a function another file has a measured time for.
    let several = profiles.len() > 1;
    let mut profiles = profiles;
    if several {
        for f in profiles.iter_mut().flat_map(|p| p.functions.iter_mut()) {
            if f.measured_ns == 0 {
                f.measured_ns = f.total_ns;
            }
        }
    }
    let mut sum = rules::add_up(profiles, labels);
    if several {
        for f in &mut sum.functions {
            if f.measured_ns == f.total_ns {
                f.measured_ns = 0;
            }
        }
    }
    sum.mode = first;
    sum.sample_interval_ns = if first == TimeMode::Sampled {
        interval
    } else {
        0
    };
    sum.stacks = stacks;
    Ok(sum)
}

fn mode_words(mode: TimeMode) -> &'static str {
    match mode {
        TimeMode::Exact => "exact",
        TimeMode::Sampled => "sampled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lablink_prof_runtime::profile::StackFrame;

    fn frame(function: &str, line: u32) -> StackFrame {
        StackFrame {
            function: function.to_owned(),
            line,
        }
    }

    #[test]
    fn recursion_counts_a_stack_once_per_frame_squared() {
        let mut p = Profile::empty();
        p.mode = TimeMode::Sampled;
        p.sample_interval_ns = 1_000_000;
        p.stacks = vec![
            SampledStack {
                thread: 0,
                frames: vec![frame("f", 2), frame("f", 2), frame("g", 7)],
                samples: 25,
                time_ns: 25_000_000,
                cpu_ns: None,
            },
            SampledStack {
                thread: 0,
                frames: vec![frame("f", 3)],
                samples: 11,
                time_ns: 11_000_000,
                cpu_ns: None,
            },
        ];
        let f = FunctionProfile {
            name: "f".to_owned(),
            ..FunctionProfile::default()
        };
        let e = SampledErrors::of(&p).unwrap();
        let line = |n| LineProfile {
            line: n,
            ..LineProfile::default()
        };
        // Line 2: 2 frames in 25 samples, so Σ m² n = 100: 1.96 × 10 × 1 ms.
        assert_eq!(e.line_ns(&f, &line(2)), 19_600_000);
        // Line 3: 11 samples: 1.96 × √11 ms = 6.500585 ms.
        assert_eq!(e.line_ns(&f, &line(3)), 6_500_585);
        // Total: 4 × 25 + 11 = 111; cumulative: 36 samples; own: only the second stack ends in f.
        assert_eq!(e.total_ns(&f), sampled_time_error_ns(111, 1_000_000));
        assert_eq!(e.cumulative_ns(&f), 11_760_000);
        assert_eq!(e.own_ns(&f), 6_500_585);
        assert_eq!(e.samples(&f), 36);
    }

    #[test]
    fn measured_is_shown_past_one_and_a_half_times_or_the_error() {
        let f = |total_ns, measured_ns| FunctionProfile {
            total_ns,
            measured_ns,
            ..FunctionProfile::default()
        };
        assert!(!measured_differs(&f(100, 0), 0));
        assert!(!measured_differs(&f(100, 150), 0));
        assert!(measured_differs(&f(100, 151), 0));
        assert!(measured_differs(&f(151, 100), 0));
        assert!(!measured_differs(&f(1000, 1100), 100));
        assert!(measured_differs(&f(1000, 1101), 100));
    }
}
