//! Measuring in pairs: the statistics of the paired benchmarks. Each round times the variants
//! one right after the other, so that what drifts over a run (the disk, the CPU's clock, the
//! neighbours on the host) drifts for all of them alike; a round's ratio is its own, and the
//! figure is the median of the rounds' ratios with a 95% bootstrap interval.
#![allow(dead_code)] // each benchmark uses its own subset

/// The median of `values`.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The 2.5th and 97.5th percentiles of the median over 2,000 resamples of `values` (drawn with
/// a fixed-seed generator, so a run's interval is reproducible from its ratios).
pub fn bootstrap_interval(values: &[f64]) -> (f64, f64) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut medians: Vec<f64> = (0..2000)
        .map(|_| {
            let resample = (0..values.len())
                .map(|_| values[(next() % values.len() as u64) as usize])
                .collect();
            median(resample)
        })
        .collect();
    medians.sort_by(f64::total_cmp);
    (medians[50], medians[1949])
}

/// "1.0123x (95% interval 1.0100x to 1.0150x)": the median of `ratios` and its interval.
pub fn ratio_with_interval(ratios: &[f64]) -> String {
    let (low, high) = bootstrap_interval(ratios);
    format!(
        "{:.4}x (95% interval {low:.4}x to {high:.4}x)",
        median(ratios.to_vec())
    )
}

/// Runs this benchmark again in `processes` fresh processes, one after the other, each with
/// `--bench` and `child_var` set in its environment, and returns what each printed.
///
/// A figure moves by a few percent from one process to the next (where code's data land in
/// memory), often more than within one; a median over processes is steadier than any one.
pub fn in_processes(child_var: &str, processes: usize) -> Vec<String> {
    in_processes_with(child_var, processes, &[])
}

/// [`in_processes`], with `env` also set in each process's environment (a time mode, say:
/// it is per process).
pub fn in_processes_with(child_var: &str, processes: usize, env: &[(&str, &str)]) -> Vec<String> {
    (0..processes)
        .map(|_| run_self(&[(child_var, "1")], env))
        .collect()
}

/// Runs this benchmark once more in a fresh process, with `--bench` and the variables of both
/// lists set in its environment, and returns what it printed; panics if it fails.
pub fn run_self(vars: &[(&str, &str)], more: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let out = std::process::Command::new(&exe)
        .arg("--bench")
        .envs(vars.iter().chain(more).copied())
        .output()
        .expect("the benchmark runs itself");
    assert!(out.status.success(), "a measuring process failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The smallest and the largest of `values`.
pub fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)))
}
