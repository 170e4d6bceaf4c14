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
