//! Sampled mode's times, checked against work of known length: a loop bounded by a deadline, a
//! function whose lines take 70%, 20% and 10% of about a second, a line that sleeps and a line
//! that spins. The tolerances follow from the sample counts, which each check states and checks.
//! One test, so that the checks run one after another, with nothing else of this binary running.

use std::time::{Duration, Instant};

mod common;

use common::function_in;
use lablink_prof::{TimeMode, line_profile};

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

/// This thread's CPU time in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid place for the answer.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(status, 0);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The CPU time this thread really took in the sleep and in the spin.
#[line_profile]
fn sleeps_then_spins() -> (u64, u64) {
    let before = thread_cpu_ns();
    std::thread::sleep(Duration::from_millis(150));
    let slept = thread_cpu_ns();
    spin(Duration::from_millis(150));
    let spun = thread_cpu_ns();
    (slept - before, spun - slept)
}

#[test]
fn sampled_times_match_work_of_known_length() {
    lablink_prof::set_sample_rate(HZ).expect("before recording starts");
    lablink_prof::set_time_mode(TimeMode::Sampled).expect("before recording starts");
    lablink_prof::enable();
    lablink_prof::skip_exit_report();

    // A 20 ms loop bounded by a deadline: its time is its wall time, within 5%. The wall time
    // is measured around the call: on a busy machine the thread can be descheduled past its
    // deadline, and the call then really takes longer. A run of work is off by at most one
    // reading at each end, about 2 intervals as the sampler really took them; 5% of 20 ms needs
    // at least 40 samples. A reading delayed by the scheduler widens its interval (on a machine
    // busy with other work a reading can come milliseconds late), so the check takes the median
    // of five runs.
    let d = Duration::from_millis(20);
    let mut errors = Vec::new();
    for _ in 0..5 {
        lablink_prof::reset();
        let t = Instant::now();
        std::hint::black_box(deadline_loop(d));
        let wall = t.elapsed().as_nanos() as u64;
        let profile = lablink_prof::snapshot();
        assert_eq!(profile.sample_interval_ns, 200_000);
        let f = function_in(&profile, "deadline_loop");
        assert!(f.samples >= 40, "{} samples: too few for 5%", f.samples);
        errors.push((
            f.total_ns.abs_diff(wall) as f64 / wall as f64,
            f.total_ns,
            wall,
        ));
    }
    errors.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(
        errors[2].0 <= 0.05,
        "20 ms loops reported as (error, reported, wall): {errors:?}"
    );

    // 70 / 20 / 10 of a second: each share within 2 percentage points. A line's share is off by
    // at most 2 intervals of the ~5,000 samples, 0.04 points; 2 points leave room for the
    // sampler being descheduled.
    lablink_prof::reset();
    seventy_twenty_ten();
    let profile = lablink_prof::snapshot();
    let f = function_in(&profile, "seventy_twenty_ten");
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

    // A line that sleeps waits off the CPU; a line that spins runs on it, as much as the
    // system lets it (on a busy machine a spinning thread waits for a CPU too). Each line's
    // on-CPU time is compared with the CPU time the thread really took there, within 2
    // readings and 5% of the line's time.
    let (sleep_cpu, spin_cpu) = sleeps_then_spins();
    let profile = lablink_prof::snapshot();
    let f = function_in(&profile, "sleeps_then_spins");
    let sleep = f.line(f.line_containing("thread::sleep").unwrap()).unwrap();
    let spin = f
        .line(f.line_containing("    spin(Duration").unwrap())
        .unwrap();
    for (l, really) in [(sleep, sleep_cpu), (spin, spin_cpu)] {
        let interval = l.time_ns / l.samples.max(1);
        assert!(l.samples >= 300, "{l:?}");
        let on = l.cpu_ns.expect("the CPU clock is read on Linux");
        assert!(
            on.abs_diff(really) <= 2 * interval + l.time_ns / 20,
            "on-CPU {on} ns reported, {really} ns really: {l:?}"
        );
    }
    let off = sleep.off_cpu_ns().unwrap();
    assert!(
        off * 10 >= sleep.time_ns * 9,
        "sleeping on the CPU? {sleep:?}"
    );
}
