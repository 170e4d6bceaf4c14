//! With the `dhat-heap` feature (`cargo test --features dhat-heap --test dhat_heap_feature`,
//! which CI runs), a recording run under `CountingAlloc::dhat()` writes `dhat-heap.json` at
//! exit beside the line tables. The run is a child process, as a user's program would be.
#![cfg(feature = "dhat-heap")]

use std::process::Command;

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc<dhat::Alloc> = lablink_prof::CountingAlloc::dhat();

#[lablink_prof::line_profile]
fn build(n: usize) -> Vec<String> {
    let mut v = Vec::new();
    for i in 0..n {
        v.push(i.to_string());
    }
    v
}

#[lablink_prof::line_profile]
fn nothing() -> u32 {
    std::hint::black_box(7)
}

#[test]
fn child() {
    if std::env::var_os("LP_DHAT_CHILD").is_some() {
        // The process's first recorded call starts dhat's profiler too: the recorder's memory,
        // not the call's.
        let (seven, first) = lablink_prof::measure(nothing);
        assert_eq!(seven, 7);
        assert_eq!(
            (first.allocs, first.alloc_bytes, first.net_bytes),
            (0, 0, 0)
        );
        assert_eq!(build(100).len(), 100);
    }
    if std::env::var_os("LP_DHAT_TRACK_CHILD").is_some() {
        // Whole-process tracking over dhat's allocator: 100 strings of 1 or 2 bytes (190
        // bytes) and the vector's buffer, grown by reallocation to 128 entries of 24 bytes,
        // all allocated on the `push` line and leaked.
        std::mem::forget(build(100));
        let t = lablink_prof::snapshot()
            .heap_tracking
            .expect("tracking is on");
        let push = t
            .lines
            .iter()
            .find(|l| l.function.ends_with("::build") && l.live_blocks > 0)
            .expect("the push line");
        assert_eq!(
            (push.live_bytes, push.live_blocks),
            (190 + 128 * 24, 101),
            "{t:#?}"
        );
        assert_eq!(t.counted_live_bytes, t.live_bytes, "{t:#?}");
        assert_eq!(t.lines_live_bytes() + t.outside.live_bytes, t.live_bytes);
        println!("tracked over dhat");
    }
}

#[test]
fn whole_process_tracking_works_over_dhat() {
    let dir = std::env::temp_dir().join(format!("lp-dhat-track-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("LP_DHAT_TRACK_CHILD", "1")
        .env("LABLINK_PROFILING", "1")
        .env("LABLINK_PROFILE_HEAP", "track")
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("tracked over dhat"), "{stdout}");
    assert!(stderr.contains("Heap by line, whole process"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_recording_run_writes_dhat_heap_json_beside_the_tables() {
    let dir = std::env::temp_dir().join(format!("lp-dhat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("LP_DHAT_CHILD", "1")
        .env("LABLINK_PROFILING", "1")
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Function: dhat_heap_feature::build"),
        "{stderr}"
    );
    let json = std::fs::read_to_string(dir.join("dhat-heap.json")).unwrap();
    assert!(json.contains("\"dhatFileVersion\""), "{json}");
    std::fs::remove_dir_all(&dir).unwrap();
}
