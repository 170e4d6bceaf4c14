//! The cost of recording, beside a raw timestamp-counter read in the same run.
//!
//! `cargo bench --bench line_recording`. Groups:
//! - `statement`: one `rdtsc` read (the reference) against recording one statement
//!   (`Frame::start_line`, what the attribute puts before each statement), and for context a puffin
//!   scope around a statement. "record one statement" is a table without distributions
//!   (`LABLINK_PROFILE_DISTRIBUTIONS=0`: each hit's minimum and maximum kept), "distributions
//!   on" one with them (the default: each hit also counted in its line's histogram);
//! - `call`: a small function plain, profiled with recording off, and profiled with recording on.

mod common;

use common::{MARKER, SITE, raw_tsc};

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use lablink_prof::__private::{Frame, FunctionSite, SiteInfo, begin_sync};

/// A second site, whose table is made with distributions on.
static SITE_DIST: FunctionSite = FunctionSite::new(SiteInfo {
    name: "bench_dist",
    file: file!(),
    first_line: 1,
    source: &["fn bench_dist() {", "    a;", "    b;", "}"],
    is_async: false,
});
const MARKER_DIST: &str = "bench::bench_dist::__lp_here";
use lablink_prof::line_profile;

fn statement(c: &mut Criterion) {
    lablink_prof::enable();
    lablink_prof::skip_exit_report();
    let mut g = c.benchmark_group("statement");
    g.bench_function("rdtsc (reference)", |b| b.iter(|| black_box(raw_tsc())));
    // A thread's table for a function keeps distributions if they were on when it was made.
    lablink_prof::diagnostics::set_distributions(false);
    let frame = std::pin::pin!(begin_sync(&SITE, MARKER));
    let frame = Frame::activate(frame);
    g.bench_function("record one statement", |b| {
        b.iter(|| {
            frame.start_line(black_box(1));
        })
    });
    lablink_prof::diagnostics::set_distributions(true);
    let dist_frame = std::pin::pin!(begin_sync(&SITE_DIST, MARKER_DIST));
    let dist_frame = Frame::activate(dist_frame);
    g.bench_function("record one statement, distributions on", |b| {
        b.iter(|| {
            dist_frame.start_line(black_box(1));
        })
    });
    lablink_prof::diagnostics::set_distributions(false);
    // A Rust peer for context: a puffin scope around one statement, puffin recording.
    puffin::set_scopes_on(true);
    g.bench_function("puffin scope (peer)", |b| {
        b.iter(|| {
            puffin::profile_scope!("statement");
            black_box(1);
        })
    });
    puffin::set_scopes_on(false);
    g.finish();
}

fn plain_small(x: u64) -> u64 {
    let a = x.wrapping_mul(3);
    let b = a ^ (a >> 7);
    b.wrapping_add(1)
}

#[line_profile]
fn profiled_small(x: u64) -> u64 {
    let a = x.wrapping_mul(3);
    let b = a ^ (a >> 7);
    b.wrapping_add(1)
}

fn call(c: &mut Criterion) {
    lablink_prof::skip_exit_report();
    let mut g = c.benchmark_group("call");
    g.bench_function("plain", |b| b.iter(|| plain_small(black_box(7))));
    lablink_prof::disable();
    g.bench_function("profiled, recording off", |b| {
        b.iter(|| profiled_small(black_box(7)))
    });
    lablink_prof::enable();
    g.bench_function("profiled, recording on (3 statements)", |b| {
        b.iter(|| profiled_small(black_box(7)))
    });
    lablink_prof::disable();
    g.finish();
}

criterion_group!(benches, statement, call);
criterion_main!(benches);
