//! Compile-time behaviour of the attribute: what it accepts without a warning, and the errors it
//! gives on the user's own tokens for what it rejects.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
