//! Without the `profiling` feature the attribute emits the function unchanged: nothing records,
//! even with recording turned on.

#[test]
fn profiled_functions_record_only_when_the_profiling_feature_is_compiled_in() {
    if std::env::var_os("LP_EXPECT_COMPILED_OUT").is_some() {
        assert!(
            !std::hint::black_box(lablink_prof::PROFILING_COMPILED_IN),
            "this build must have profiling off"
        );
    }
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    assert_eq!(lablink_prof_compiled_out::work(10), 45);
    let recorded = lablink_prof::snapshot()
        .functions
        .iter()
        .any(|f| f.name.ends_with("::work"));
    assert_eq!(recorded, lablink_prof::PROFILING_COMPILED_IN);
}
