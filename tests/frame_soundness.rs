//! The hidden API the attribute expands to cannot be misused into undefined behaviour from safe
//! code: a frame's address stays valid while the thread keeps it (the compile-fail case
//! `ui/fail/frame_moved_after_activate.rs` shows a frame cannot be moved once current), frames
//! that end out of order leave the thread's chain sound, a closure's guard kept past its call
//! records nothing, and a frame that ends on another thread than the one it is current on aborts
//! the process rather than leave a dangling pointer behind.

use std::pin::Pin;

use lablink_prof::__private::{ClosureLines, Frame, FunctionSite, SiteInfo, begin_sync};
use lablink_prof::line_profile;

static SITE: FunctionSite = FunctionSite::new(SiteInfo {
    name: "by_hand",
    file: file!(),
    first_line: 1000,
    source: &["fn by_hand() {", "    one();", "    two();", "}"],
    is_async: false,
});
const MARKER: &str = "frame_soundness::by_hand::__lp_here";

#[line_profile]
fn called_at_top_level() -> u32 {
    7
}

fn hits_of_by_hand(line: u32) -> u64 {
    lablink_prof::snapshot()
        .function("frame_soundness::by_hand")
        .map_or(0, |f| f.hits(line))
}

#[test]
fn a_closure_guard_kept_past_its_call_records_nothing() {
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    let kept = {
        let frame = std::pin::pin!(begin_sync(&SITE, MARKER));
        let _current = Frame::activate(frame);
        let lines = ClosureLines::start(&SITE);
        lines.start_line(1);
        lines
    };
    let before = hits_of_by_hand(1001);
    assert_eq!(before, 1, "the statement inside the call is recorded");
    // The frame is gone: the guard must neither record nor touch its memory.
    for _ in 0..10 {
        kept.start_line(1);
        kept.move_to_line(2);
    }
    drop(kept);
    assert_eq!(hits_of_by_hand(1001), before);
    assert_eq!(called_at_top_level(), 7);
}

#[test]
fn frames_ending_out_of_order_leave_the_chain_sound() {
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    let mut outer: Pin<Box<Frame>> = Box::pin(begin_sync(&SITE, MARKER));
    let mut inner: Pin<Box<Frame>> = Box::pin(begin_sync(&SITE, MARKER));
    Frame::activate(outer.as_mut());
    Frame::activate(inner.as_mut());
    // The outer frame ends first, while the inner one is still current.
    drop(outer);
    drop(inner);
    // No frame is current now: a profiled call is a top-level one, not a callee of freed memory.
    assert_eq!(called_at_top_level(), 7);
    let profile = lablink_prof::snapshot();
    let f = profile
        .functions
        .iter()
        .find(|f| f.name.ends_with("called_at_top_level"))
        .expect("recorded");
    assert!(f.callers.iter().all(|c| c.caller == "<root>"), "{f:?}");
}

#[test]
fn a_frame_current_on_another_thread_aborts() {
    if std::env::var_os("LP_FRAME_SOUNDNESS_CHILD").is_some() {
        // In the child this test starts: the misuse itself.
        lablink_prof::enable();
        lablink_prof::skip_exit_report();
        let mut frame: Pin<Box<Frame>> = Box::pin(begin_sync(&SITE, MARKER));
        Frame::activate(frame.as_mut());
        std::thread::spawn(move || drop(frame)).join().unwrap();
        unreachable!("the process aborts before this");
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_frame_current_on_another_thread_aborts",
            "--nocapture",
        ])
        .env("LP_FRAME_SOUNDNESS_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(libc_sigabrt()), "{stderr}");
    }
    assert!(!out.status.success());
    assert!(
        stderr.contains("ended on another thread than the one it was current on"),
        "{stderr}"
    );
}

#[cfg(unix)]
fn libc_sigabrt() -> i32 {
    6 // SIGABRT on every Unix this project runs on (Linux, macOS, the BSDs)
}
