//! With recording off (the default without `LABLINK_PROFILING`), profiled functions run their
//! plain copy and record nothing. Its own binary: the switch is process-wide.

use lablink_prof::line_profile;

#[line_profile]
fn work(n: u32) -> u32 {
    let mut s = 0;
    for i in 0..n {
        s += i;
    }
    s
}

#[line_profile]
fn with_nested_static() -> u32 {
    let v = {
        static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    };
    v
}

/// One test, because the switch it turns is process-wide.
#[test]
fn nothing_is_recorded_until_recording_is_turned_on() {
    // This test binary must run without LABLINK_PROFILING set (the README's test command does).
    assert!(std::env::var_os("LABLINK_PROFILING").is_none());
    assert!(!lablink_prof::enabled());
    assert_eq!(work(10), 45);
    assert!(lablink_prof::snapshot().functions.is_empty());

    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    assert_eq!(work(10), 45);
    lablink_prof::disable();
    assert_eq!(work(10), 45);
    let profile = lablink_prof::snapshot();
    assert_eq!(profile.functions.len(), 1);
    assert_eq!(profile.functions[0].calls, 1);

    lablink_prof::reset();
    assert!(lablink_prof::snapshot().functions.is_empty());

    // A static declared in a nested block exists once, whether the call records or not.
    assert_eq!(with_nested_static(), 1);
    lablink_prof::enable();
    assert_eq!(with_nested_static(), 2);
    lablink_prof::disable();
    assert_eq!(with_nested_static(), 3);
}
