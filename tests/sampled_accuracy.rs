//! Sampled mode's times, checked against work of known length: a loop bounded by a deadline, a
//! function whose lines take 70%, 20% and 10% of about a second, a line that sleeps and a line
//! that spins. The tolerances follow from the sample counts, which each check states and checks.
//! One test, so that the checks run one after another, with nothing else of this binary running.

use std::time::{Duration, Instant};

use lablink_prof::{FunctionProfile, Profile, TimeMode, line_profile};

/// The rate of this binary's sampler: an interval of 0.2 ms.
const HZ: f64 = 5_000.0;

fn spin(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[line_profile]
fn deadline_loop(d: Duration) -> u64 {
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < d {
        n = std::hint::black_box(n + 1);
    }
    n
}

#[line_profile]
fn seventy_twenty_ten() {
    spin(Duration::from_millis(700));
    spin(Duration::from_millis(200));
    spin(Duration::from_millis(100));
}

#[line_profile]
fn sleeps_then_spins() {
    std::thread::sleep(Duration::from_millis(150));
    spin(Duration::from_millis(150));
}

fn function<'a>(profile: &'a Profile, suffix: &str) -> &'a FunctionProfile {
    profile
        .functions
        .iter()
        .find(|f| f.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} recorded"))
}

#[test]
fn sampled_times_match_work_of_known_length() {
    lablink_prof::set_sample_rate(HZ).expect("before recording starts");
    lablink_prof::set_time_mode(TimeMode::Sampled).expect("before recording starts");
    lablink_prof::enable();
    lablink_prof::skip_exit_report();

    // A 20 ms loop bounded by a deadline: its time is its wall time. A run of work is off by at
    // most one reading at each end: 2 intervals, as the sampler really took them (its sleeps
    // overshoot a little; each sample is credited the time that really passed).
    let d = Duration::from_millis(20);
    std::hint::black_box(deadline_loop(d));
    let profile = lablink_prof::snapshot();
    assert_eq!(profile.sample_interval_ns, 200_000);
    let f = function(&profile, "::deadline_loop");
    let interval = f.total_ns / f.samples.max(1);
    let bound = 2 * interval;
    assert!(
        bound <= 1_000_000,
        "{} samples: the bound would pass 5%",
        f.samples
    );
    let error = f.total_ns.abs_diff(20_000_000);
    assert!(
        error <= bound,
        "20 ms loop reported as {} ns from {} samples (bound {bound} ns)",
        f.total_ns,
        f.samples
    );

    // 70 / 20 / 10 of a second: each share within 2 percentage points. A line's share is off by
    // at most 2 intervals of the ~5,000 samples, 0.04 points; 2 points leave room for the
    // sampler being descheduled.
    seventy_twenty_ten();
    let profile = lablink_prof::snapshot();
    let f = function(&profile, "::seventy_twenty_ten");
    assert!(
        f.samples >= 2_500,
        "{} samples for 1 s at 0.2 ms",
        f.samples
    );
    for (needle, share) in [("700", 70.0), ("200", 20.0), ("100", 10.0)] {
        let line = f.line_containing(needle).unwrap();
        let time = f.line(line).map_or(0, |l| l.time_ns);
        let got = 100.0 * time as f64 / f.total_ns as f64;
        assert!(
            (got - share).abs() <= 2.0,
            "line {line} takes {got:.2}% of the function, not {share}%: {f:#?}"
        );
    }

    // A line that sleeps waits off the CPU; a line that spins runs on it.
    sleeps_then_spins();
    let profile = lablink_prof::snapshot();
    let f = function(&profile, "::sleeps_then_spins");
    let sleep = f.line(f.line_containing("thread::sleep").unwrap()).unwrap();
    let spin = f
        .line(f.line_containing("    spin(Duration").unwrap())
        .unwrap();
    for l in [sleep, spin] {
        let interval = l.time_ns / l.samples.max(1);
        assert!(l.samples >= 300, "{l:?}");
        // The sleep itself may overshoot by the system's timer slack.
        assert!(
            l.time_ns.abs_diff(150_000_000) <= 2 * interval + 1_000_000,
            "{l:?}"
        );
    }
    let off = sleep.off_cpu_ns().expect("the CPU clock is read on Linux");
    assert!(
        off * 10 >= sleep.time_ns * 9,
        "sleeping on the CPU? {sleep:?}"
    );
    let on = spin.cpu_ns.expect("the CPU clock is read on Linux");
    assert!(on * 4 >= spin.time_ns * 3, "spinning off the CPU? {spin:?}");
}
