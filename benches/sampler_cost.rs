//! The sampler thread's CPU time at the default rate (500 Hz, or `LABLINK_PROFILE_HZ`), over the wall time of the same
//! window: with 8 threads busy in profiled code, and with 8 threads that made a profiled call
//! once and now wait outside profiled code (their stacks are listed, and empty).
//!
//! The sampler thread is found by its name (`lablink-prof-sa`) in `/proc/self/task`; its CPU
//! time is read from its CPU-time clock (`clock_gettime` on the thread's clock id, what
//! `pthread_getcpuclockid` returns, to the nanosecond), and its wake-ups are counted as its
//! voluntary context switches (`/proc/self/task/TID/status`), so the rate it kept is known: on a
//! loaded machine it wakes later, and less often, than asked.
//!
//! `cargo bench --bench sampler_cost` (about 40 s: two settings, 3 windows of 5 s each, after a
//! second of warm-up). Run without `--bench` (as `cargo test --benches` does), one window of
//! 0.2 s each, as a check. Linux only.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lablink_prof::{TimeMode, line_profile};

/// Recording threads per setting.
const THREADS: usize = 8;

/// A small profiled function: what the busy threads run, over and over.
#[line_profile]
fn busy_step(x: u64) -> u64 {
    let a = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let b = a ^ (a >> 29);
    let c = b.wrapping_add(x);
    c.rotate_left(7)
}

/// A profiled function that calls `busy_step` in a loop until `stop` (stacks two frames deep);
/// returns how many calls it made.
#[line_profile]
fn busy_loop(seed: u64, stop: &AtomicBool) -> u64 {
    let (mut x, mut calls) = (seed, 0);
    while !stop.load(Relaxed) {
        for _ in 0..1000 {
            x = busy_step(x);
        }
        calls += 1000;
    }
    std::hint::black_box(x);
    calls
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (windows, window, warm_up) = if measuring {
        (3, Duration::from_secs(5), Duration::from_secs(1))
    } else {
        (1, Duration::from_millis(200), Duration::from_millis(50))
    };
    lablink_prof::set_time_mode(TimeMode::Sampled).expect("before recording starts");
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    // The first recorded call starts the sampler.
    std::hint::black_box(busy_step(1));
    let sampler = SamplerThread::find();
    println!(
        "sampler thread {} at the default rate; {THREADS} threads; {} CPUs available",
        sampler.tid,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // Idle: each thread makes one profiled call (so its stack is listed), then waits.
    let idle = Threads::start(|_, stop| {
        std::hint::black_box(busy_step(2));
        while !stop.load(Relaxed) {
            std::thread::sleep(Duration::from_millis(1));
        }
        1
    });
    std::thread::sleep(warm_up);
    report(
        "8 idle threads (listed, not in profiled code)",
        &sampler,
        windows,
        window,
    );
    let mut calls = idle.stop();

    let busy = Threads::start(|i, stop| busy_loop(i as u64, stop));
    std::thread::sleep(warm_up);
    report("8 threads busy in profiled code", &sampler, windows, window);
    calls += busy.stop();
    let profile = lablink_prof::snapshot();
    let step = profile
        .functions
        .iter()
        .find(|f| f.name.ends_with("::busy_step"))
        .expect("busy_step recorded");
    assert_eq!(step.calls, calls + 1, "every call counted");
    assert!(step.samples > 0, "the sampler found the busy threads");
}

/// Measures `windows` windows of `window` and prints the sampler's share of one core in each.
fn report(setting: &str, sampler: &SamplerThread, windows: usize, window: Duration) {
    println!("{setting}:");
    let mut shares = Vec::new();
    for _ in 0..windows {
        let (cpu0, wakes0, wall0) = (sampler.cpu_ns(), sampler.wake_ups(), Instant::now());
        std::thread::sleep(window);
        let (cpu1, wakes1, wall) = (sampler.cpu_ns(), sampler.wake_ups(), wall0.elapsed());
        let wall_ns = wall.as_nanos() as f64;
        let cpu = (cpu1 - cpu0) as f64;
        let wakes = wakes1 - wakes0;
        let share = cpu / wall_ns;
        shares.push(share);
        println!(
            "  {:.2} s: sampler CPU {:.2} ms = {:.3}% of one core; {wakes} wake-ups ({:.0} per s), \
             {:.2} µs of CPU each",
            wall.as_secs_f64(),
            cpu / 1e6,
            share * 100.0,
            wakes as f64 / wall.as_secs_f64(),
            cpu / 1e3 / wakes.max(1) as f64,
        );
    }
    let (low, high) = shares
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    println!(
        "  sampler CPU / wall: {:.3}% to {:.3}% of one core over {windows} windows",
        low * 100.0,
        high * 100.0
    );
}

/// The sampler thread of this process.
struct SamplerThread {
    tid: i32,
    clock: libc::clockid_t,
}

impl SamplerThread {
    fn find() -> SamplerThread {
        let tid: i32 = std::fs::read_dir("/proc/self/task")
            .expect("/proc/self/task")
            .filter_map(|e| e.ok())
            .find(|e| {
                std::fs::read_to_string(e.path().join("comm"))
                    .is_ok_and(|comm| comm.trim_end() == "lablink-prof-sa")
            })
            .expect("a thread named lablink-prof-sa")
            .file_name()
            .to_string_lossy()
            .parse()
            .expect("a thread id");
        // The CPU-time clock of thread `tid` of this process, as glibc's
        // `pthread_getcpuclockid` makes it: MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED).
        let clock = ((!tid) << 3) | 6;
        let sampler = SamplerThread { tid, clock };
        assert!(sampler.cpu_ns() > 0, "the sampler's CPU clock reads");
        sampler
    }

    /// The thread's CPU time, in ns.
    fn cpu_ns(&self) -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid place for the answer; a wrong clock id only makes it fail.
        let status = unsafe { libc::clock_gettime(self.clock, &mut ts) };
        assert_eq!(status, 0, "the sampler's CPU clock reads");
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    /// How many times the thread went to sleep of its own accord: one per reading.
    fn wake_ups(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/self/task/{}/status", self.tid))
            .expect("the sampler's status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .expect("voluntary_ctxt_switches")
            .trim()
            .parse()
            .expect("a count")
    }
}

/// `THREADS` threads running a body until stopped; each body returns its `busy_step` calls.
struct Threads {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<u64>>,
}

impl Threads {
    fn start(body: fn(usize, &AtomicBool) -> u64) -> Threads {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..THREADS)
            .map(|i| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || body(i, &stop))
            })
            .collect();
        Threads { stop, threads }
    }

    /// Stops and joins the threads; returns the `busy_step` calls they made.
    fn stop(self) -> u64 {
        self.stop.store(true, Relaxed);
        self.threads.into_iter().map(|t| t.join().unwrap()).sum()
    }
}
