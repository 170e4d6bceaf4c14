//! The start-up: what wires the layers together when recording starts, and the call entry the
//! attribute's expansion uses.
//!
//! A profiled call starts here ([`call_entry`]): the thread's table for the function is looked
//! up, and on the process's first recorded call everything that recording needs is set up,
//! once: the clock's anchor, the time mode (fixed from then on), the calibration of the
//! recorder's own cost, the sampler (in sampled mode), the hook through which heap regions learn
//! the running line, the settings' problems reported, dhat's profiler (with
//! the `dhat-heap` feature), the snapshot writers and the report at exit. Those live in layers
//! above the recorder, which is why the recorder does not start them itself.

pub(crate) mod call_entry;
pub(crate) mod heap_tracking;

/// Sets up what recording needs once per process. The calibration's table, dhat's profiler
/// and, on Unix, the writer threads are the recorder's memory and are not counted.
pub(crate) fn set_up_recording() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(target_os = "linux")]
        std::hint::black_box(&heap_tracking::BEFORE_MAIN);
        heap_tracking::start_if_asked();
        crate::base::clock::start();
        crate::heap::line_attribution::set_source(crate::recorder::thread_state::running_line);
        crate::control::settings::report_problems();
        let mode = crate::control::time_mode::fix();
        crate::heap::uncounted(crate::recorder::calibration::calibrate);
        if mode == crate::model::TimeMode::Exact {
            // Blocking slices are timed in exact mode only: sampled mode skips the 1 ms spin
            // that converts the threshold to ticks.
            crate::recorder::distribution::set_blocking_threshold();
        }
        if mode == crate::model::TimeMode::Sampled {
            let hz = crate::control::time_mode::sample_rate();
            crate::heap::uncounted(|| {
                crate::sampler::start(std::time::Duration::from_secs_f64(1.0 / hz));
            });
        }
        #[cfg(feature = "dhat-heap")]
        crate::heap::uncounted(crate::output::dhat_profile::start);
        crate::output::snapshot_writers::start();
        crate::output::exit_report::install();
    });
}
