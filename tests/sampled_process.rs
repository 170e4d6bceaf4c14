//! The sampler never changes what the program does: no system call of the program is
//! interrupted (the sampler sends no signal), and a program that exits, panics or aborts while
//! the sampler runs loses no report that exact mode would have written. Each ending runs in a
//! child process (this test binary again, told by an environment variable which ending to take).

use std::process::Command;
use std::time::{Duration, Instant};

use lablink_prof::{TimeMode, line_profile};

const CHILD: &str = "LP_SAMPLED_PROCESS_CHILD";

fn sampled() {
    let _ = lablink_prof::set_sample_rate(5_000.0);
    lablink_prof::set_time_mode(TimeMode::Sampled).expect("sampled mode");
    lablink_prof::enable();
}

#[line_profile]
fn spin_for(ms: u64) -> u64 {
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < Duration::from_millis(ms) {
        n = std::hint::black_box(n + 1);
    }
    n
}

#[line_profile]
fn blocking_calls() -> (i32, isize) {
    let pause = libc::timespec {
        tv_sec: 0,
        tv_nsec: 150_000_000,
    };
    let mut left = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: both pointers are to live timespecs.
    let slept = unsafe { libc::nanosleep(&pause, &mut left) };
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        // SAFETY: fds[1] is the pipe's open write end; one byte is written from a live buffer.
        unsafe { libc::write(fds[1], b"x".as_ptr().cast(), 1) }
    });
    let mut byte = 0u8;
    // SAFETY: fds[0] is the pipe's open read end; `byte` has room for the one byte asked for.
    let read = unsafe { libc::read(fds[0], std::ptr::from_mut(&mut byte).cast(), 1) };
    writer.join().unwrap();
    // SAFETY: both descriptors are open and closed once.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
    (slept, read)
}

#[test]
fn no_system_call_is_interrupted() {
    sampled();
    lablink_prof::skip_exit_report();
    // nanosleep returns -1 with EINTR on any signal, whatever its handler's flags; a read on a
    // pipe does too without SA_RESTART. Both run while the sampler reads at 5 kHz.
    let (slept, read) = blocking_calls();
    assert_eq!(slept, 0, "nanosleep: {}", std::io::Error::last_os_error());
    assert_eq!(read, 1, "read: {}", std::io::Error::last_os_error());
    let profile = lablink_prof::snapshot();
    let f = profile
        .functions
        .iter()
        .find(|f| f.name.ends_with("::blocking_calls"))
        .unwrap();
    // The sampler saw the call: it waited, off the CPU.
    assert!(f.samples > 100, "{f:?}");
}

/// Runs this binary's test `name` as a child taking that ending, with `env` set.
fn child(name: &str, env: &[(&str, &str)]) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .env_remove("LABLINK_PROFILE_OUT")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn is_child(name: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|v| v == name)
}

#[test]
fn a_program_that_exits_keeps_its_report() {
    if is_child("a_program_that_exits_keeps_its_report") {
        sampled();
        spin_for(30);
        std::process::exit(3);
    }
    let out = child("a_program_that_exits_keeps_its_report", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("::spin_for at line"), "{stderr}");
    assert!(stderr.contains("Mode: sampled, "), "{stderr}");
}

#[test]
fn a_program_that_panics_keeps_its_report() {
    if is_child("a_program_that_panics_keeps_its_report") {
        sampled();
        spin_for(30);
        panic!("the child panics, as asked");
    }
    let out = child("a_program_that_panics_keeps_its_report", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // libtest reports the panicked test and exits with 101; the report is printed at exit.
    assert_eq!(out.status.code(), Some(101), "{stderr}");
    assert!(stderr.contains("the child panics, as asked"), "{stderr}");
    assert!(stderr.contains("::spin_for at line"), "{stderr}");
    assert!(stderr.contains("Mode: sampled, "), "{stderr}");
}

#[test]
fn a_program_that_aborts_keeps_the_snapshots_written_before() {
    if is_child("a_program_that_aborts_keeps_the_snapshots_written_before") {
        sampled();
        spin_for(400);
        std::process::abort();
    }
    // An abort runs no exit report, in either mode; the snapshots written every 50 ms before
    // it are whole sampled profiles.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    let out = child(
        "a_program_that_aborts_keeps_the_snapshots_written_before",
        &[
            ("LABLINK_PROFILE_OUT", path.to_str().unwrap()),
            ("LABLINK_PROFILE_INTERVAL", "0.05"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(6), "{stderr}");
    }
    let profile = lablink_prof::report::read_json(&path).expect("a whole profile");
    assert_eq!(profile.mode, TimeMode::Sampled);
    let f = profile
        .functions
        .iter()
        .find(|f| f.name.ends_with("::spin_for"))
        .expect("spin_for in the snapshot");
    assert!(f.samples > 0 && f.total_ns > 0, "{f:?}");
}
