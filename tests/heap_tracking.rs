//! Whole-process heap tracking (`LABLINK_PROFILE_HEAP=track`): live at exit and live at the
//! peak, by line, with exact bytes and blocks.
//!
//! The test runs this binary again as a child, with the settings in its environment, as a
//! user's program runs (tracking starts before `main`). The child checks the figures while it
//! runs; the parent checks what the exit report printed and wrote.

use std::process::Command;

use lablink_prof::line_profile;
use lablink_prof::profile::{HeapTracking, TrackedLine};

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

const CHILD: &str = "LP_HEAP_TRACKING_CHILD";
const FILE: &str = file!();
const MIB4: i64 = 4 << 20;

#[line_profile]
fn leak_three() {
    for _ in 0..3 {
        std::mem::forget(Vec::<u8>::with_capacity(1000)); // leaks
    }
}

#[line_profile]
fn spike() -> u64 {
    let buffer = vec![1u8; 4 << 20]; // spike
    let sum = buffer.iter().map(|&b| u64::from(b)).sum();
    drop(buffer);
    sum
}

#[line_profile]
fn make_block() -> Vec<u8> {
    vec![7u8; 777] // handed over
}

/// Each call allocates `n` blocks of 100 bytes on one line.
#[allow(clippy::vec_box)] // each block is its own allocation, which is the point
#[line_profile]
fn make_blocks(n: usize) -> Vec<Box<[u8; 100]>> {
    let mut blocks = Vec::with_capacity(n); // the holder
    for _ in 0..n {
        blocks.push(Box::new([3u8; 100])); // many threads
    }
    blocks
}

/// Four threads allocate 1,000 blocks each on one profiled line and hand them to four others,
/// which free every other one while the first ones go on allocating: the line keeps exactly the
/// 2,000 blocks not freed, wherever they were freed.
fn many_threads_allocate_and_free_across() {
    let (tx, rx) = std::sync::mpsc::channel::<Vec<Box<[u8; 100]>>>();
    let rx = std::sync::Mutex::new(rx);
    let kept = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            let tx = tx.clone();
            s.spawn(move || {
                for _ in 0..10 {
                    tx.send(make_blocks(100)).unwrap();
                }
            });
        }
        drop(tx);
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let Ok(batch) = rx.lock().unwrap().recv() else {
                        break;
                    };
                    let mut mine = Vec::new();
                    for (i, block) in batch.into_iter().enumerate() {
                        if i % 2 == 0 {
                            mine.push(block);
                        }
                    }
                    kept.lock().unwrap().push(mine);
                }
            });
        }
    });
    let kept = kept.into_inner().unwrap();
    assert_eq!(kept.iter().map(Vec::len).sum::<usize>(), 2000);
    let t = tracking();
    let many = line(&t, "many threads").expect("the line is tracked");
    assert_eq!(
        (many.live_bytes, many.live_blocks),
        (200_000, 2000),
        "{t:#?}"
    );
    // The holders (40 vectors of 100 pointers) were all freed, on the consumers.
    let holder = line_of_tracked(&t, "the holder");
    assert_eq!(holder, (0, 0), "{t:#?}");
    assert_eq!(t.counted_live_bytes, t.live_bytes, "{t:#?}");
    drop(t);
    drop(kept);
    let t = tracking();
    let many = line(&t, "many threads");
    assert!(
        many.is_none_or(|l| (l.live_bytes, l.live_blocks) == (0, 0)),
        "{t:#?}"
    );
}

fn line_of_tracked(t: &HeapTracking, tag: &str) -> (i64, i64) {
    line(t, tag).map_or((0, 0), |l| (l.live_bytes, l.live_blocks))
}

/// The line of this file whose text contains `tag` (in a comment at its end).
fn line_of(tag: &str) -> u32 {
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/heap_tracking.rs");
    let text = std::fs::read_to_string(source).expect("the test's own source");
    let index = text
        .lines()
        .position(|l| l.ends_with(&format!("// {tag}")))
        .unwrap_or_else(|| panic!("no line tagged {tag}"));
    index as u32 + 1
}

fn tracking() -> HeapTracking {
    lablink_prof::snapshot()
        .heap_tracking
        .expect("tracking is on in the child")
}

fn line<'a>(t: &'a HeapTracking, tag: &str) -> Option<&'a TrackedLine> {
    t.line(FILE, line_of(tag))
}

/// The child program: every figure checked while it runs.
fn child() {
    // On Linux tracking starts before `main`, before any recorded call could start it.
    #[cfg(target_os = "linux")]
    assert!(
        lablink_prof::diagnostics::heap_is_tracked(),
        "tracking started before main"
    );
    leak_three();
    let t = tracking();
    let leaks = line(&t, "leaks").expect("the leaking line is tracked");
    assert_eq!((leaks.live_bytes, leaks.live_blocks), (3000, 3), "{t:#?}");
    assert!(leaks.function.ends_with("::leak_three"), "{leaks:?}");
    drop(t);

    assert_eq!(spike(), 4 << 20);
    let t = tracking();
    let spike = line(&t, "spike").expect("the spiking line is tracked");
    assert_eq!((spike.live_bytes, spike.live_blocks), (0, 0), "{t:#?}");
    assert_eq!(spike.at_peak_bytes, MIB4, "{t:#?}");
    // The leaked blocks were live at the peak too.
    assert_eq!(line(&t, "leaks").unwrap().at_peak_bytes, 3000, "{t:#?}");
    // One thread: the copy at the peak is its exact composition.
    assert_eq!(t.at_peak_total_bytes, t.peak_bytes as i64, "{t:#?}");
    let lines_at_peak: i64 = t.lines.iter().map(|l| l.at_peak_bytes).sum();
    assert_eq!(
        lines_at_peak + t.outside.at_peak_bytes,
        t.peak_bytes as i64,
        "{t:#?}"
    );
    drop(t);

    // Allocated on a profiled line here, freed on another thread.
    let block = make_block();
    let t = tracking();
    let handed = line(&t, "handed over").expect("the block is tracked");
    assert_eq!((handed.live_bytes, handed.live_blocks), (777, 1), "{t:#?}");
    drop(t);
    std::thread::spawn(move || drop(block))
        .join()
        .expect("the freeing thread");
    let t = tracking();
    let handed = line(&t, "handed over");
    assert!(
        handed.is_none_or(|l| (l.live_bytes, l.live_blocks) == (0, 0)),
        "freed on another thread, nothing is live: {t:#?}"
    );

    many_threads_allocate_and_free_across();
    let t = tracking();

    // The process's live heap, as the counting allocator's per-thread counters give it, is the
    // lines' live bytes plus what was allocated outside profiled code.
    assert_eq!(t.counted_live_bytes, t.live_bytes, "{t:#?}");
    assert_eq!(
        t.lines_live_bytes() + t.outside.live_bytes,
        t.live_bytes,
        "{t:#?}"
    );
    assert_eq!(t.lines_live_bytes(), 3000, "only the leaks: {t:#?}");
    assert_eq!(t.unplaced_blocks, 0);
    println!("child checks passed");
}

fn run_child(env: &[(&str, &str)]) -> (String, String, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("profile.json");
    let mut cmd = Command::new(std::env::current_exe().expect("the test's own path"));
    cmd.env(CHILD, "1")
        .env("LABLINK_PROFILE_OUT", &out)
        .env_remove("LABLINK_PROFILING")
        .env_remove("LABLINK_PROFILE_HEAP")
        .env_remove("LABLINK_PROFILE_FORMAT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{stderr}"
    );
    // Keep the file past the directory's drop.
    let kept = std::env::temp_dir().join(format!("lp-heap-tracking-{}.json", std::process::id()));
    std::fs::copy(&out, &kept).expect("the child wrote its profile");
    (stdout, stderr, kept)
}

fn tracked_exit_report() {
    let (stdout, stderr, path) = run_child(&[
        ("LABLINK_PROFILING", "1"),
        ("LABLINK_PROFILE_HEAP", "track"),
    ]);
    assert!(stdout.contains("child checks passed"), "{stdout}");
    let profile = lablink_prof::profile::json::read_json(&path).expect("a profile");
    std::fs::remove_file(&path).ok();
    let t = profile.heap_tracking.expect("the file has the tracking");
    let leaks = t.line(FILE, line_of("leaks")).expect("the leaking line");
    assert_eq!((leaks.live_bytes, leaks.live_blocks), (3000, 3));
    let spike = t.line(FILE, line_of("spike")).expect("the spiking line");
    assert_eq!(
        (spike.live_bytes, spike.at_peak_bytes),
        (0, MIB4),
        "4 MiB at the peak, nothing at exit"
    );
    assert!(t.peak_bytes >= MIB4 as u64);
    assert_eq!(t.counted_live_bytes, t.live_bytes);
    assert_eq!(t.lines_live_bytes() + t.outside.live_bytes, t.live_bytes);
    // The summary on stderr, with the same figures.
    let leak_row = format!(
        "        3000 bytes in       3 blocks  {FILE}:{}  heap_tracking::leak_three",
        line_of("leaks")
    );
    assert!(stderr.contains(&leak_row), "{leak_row:?} in\n{stderr}");
    let spike_row = format!(
        "     4194304 bytes  {FILE}:{}  heap_tracking::spike",
        line_of("spike")
    );
    assert!(stderr.contains(&spike_row), "{spike_row:?} in\n{stderr}");
    let head = format!(
        "live at exit {} bytes in {} blocks; peak {} bytes",
        t.live_bytes, t.live_blocks, t.peak_bytes
    );
    assert!(stderr.contains(&head), "{head:?} in\n{stderr}");
}

fn off_by_default() {
    let (_, stderr, path) = run_child(&[("LABLINK_PROFILING", "1"), (CHILD, "off")]);
    let profile = lablink_prof::profile::json::read_json(&path).expect("a profile");
    std::fs::remove_file(&path).ok();
    assert!(profile.heap_tracking.is_none());
    assert!(!stderr.contains("Heap by line"), "{stderr}");
}

fn main() {
    match std::env::var(CHILD).as_deref() {
        Ok("off") => {
            leak_three();
            assert!(lablink_prof::snapshot().heap_tracking.is_none());
        }
        Ok(_) => child(),
        Err(_) => {
            tracked_exit_report();
            println!("test tracked_exit_report ... ok");
            off_by_default();
            println!("test off_by_default ... ok");
        }
    }
}
