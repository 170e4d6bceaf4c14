//! `#[line_profile]` applied twice on one item, written twice or pasted again by a
//! `macro_rules!` macro that copies a template's attributes, profiles it once: one table, each
//! call and each hit counted once.

mod common;

use common::{assert_adds_up, function, hits, record};
use lablink_prof::line_profile;

/// How many functions of the snapshot have a name ending in `::name`.
fn tables_named(name: &str) -> usize {
    let suffix = format!("::{name}");
    lablink_prof::snapshot()
        .functions
        .iter()
        .filter(|f| f.name.ends_with(&suffix))
        .count()
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[line_profile]
fn written_twice(n: u32) -> u32 {
    let mut acc = 0;
    for i in 0..n { // L:twice_loop
        acc += i; // L:twice_body
    }
    acc
}

#[test]
fn written_twice_counts_each_call_and_hit_once() {
    record();
    assert_eq!(written_twice(4), 6);
    assert_eq!(written_twice(2), 1);
    let f = function("written_twice");
    assert_eq!(tables_named("written_twice"), 1);
    assert_eq!(f.calls, 2);
    assert_eq!(f.primitive_calls, 2);
    assert_eq!(hits(&f, "L:twice_loop"), 5 + 3);
    assert_eq!(hits(&f, "L:twice_body"), 4 + 2);
    assert_adds_up(&f);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[line_profile(skip)]
fn skipped_by_the_second(x: u32) -> u32 {
    x + 1 // L:skipped
}

#[test]
fn skip_on_either_leaves_it_unprofiled() {
    record();
    assert_eq!(skipped_by_the_second(1), 2);
    assert_eq!(tables_named("skipped_by_the_second"), 0);
}

struct Meter(u32);

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[lablink_prof::line_profile]
impl Meter {
    fn read_twice_profiled(&self) -> u32 {
        self.0 * 10 // L:meter
    }
}

#[test]
fn an_impl_block_marked_twice_has_its_methods_profiled_once() {
    record();
    let m = Meter(3);
    assert_eq!(m.read_twice_profiled(), 30);
    assert_eq!(m.read_twice_profiled(), 30);
    assert_eq!(m.read_twice_profiled(), 30);
    let f = function("read_twice_profiled");
    assert_eq!(tables_named("read_twice_profiled"), 1);
    assert_eq!(f.calls, 3);
    assert_eq!(hits(&f, "L:meter"), 3);
    assert_adds_up(&f);
}

/// Makes `fn $name(n) -> u32` with the caller's attributes (here `#[line_profile]` among
/// them), then its own `#[line_profile]`, as a macro pasting a template's attributes does.
#[rustfmt::skip] // the `// L:` tags must stay on their lines
macro_rules! summing_fn {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[line_profile]
        fn $name(n: u32) -> u32 {
            let mut acc = 0;
            for i in 0..n { // L:pasted_loop
                acc += i * 2; // L:pasted_body
            }
            acc
        }
    };
}

summing_fn! {
    #[line_profile]
    #[inline]
    pasted_by_a_macro
}

#[test]
fn pasted_by_a_macro_counts_each_call_and_hit_once() {
    record();
    assert_eq!(pasted_by_a_macro(3), 6);
    let f = function("pasted_by_a_macro");
    assert_eq!(tables_named("pasted_by_a_macro"), 1);
    assert_eq!(f.calls, 1);
    assert_eq!(hits(&f, "L:pasted_loop"), 4);
    assert_eq!(hits(&f, "L:pasted_body"), 3);
    assert_adds_up(&f);
}

/// The same with its own `#[line_profile]` first and the caller's attributes after it.
#[rustfmt::skip] // the `// L:` tags must stay on their lines
macro_rules! summing_fn_own_first {
    ($(#[$meta:meta])* $name:ident) => {
        #[line_profile]
        $(#[$meta])*
        fn $name(n: u32) -> u32 {
            let mut acc = 0;
            for i in 0..n { // L:pasted_after_loop
                acc += i; // L:pasted_after_body
            }
            acc
        }
    };
}

summing_fn_own_first! {
    #[inline]
    #[lablink_prof::line_profile]
    pasted_after_its_own
}

#[test]
fn pasted_after_the_macros_own_counts_each_call_and_hit_once() {
    record();
    assert_eq!(pasted_after_its_own(2), 1);
    assert_eq!(pasted_after_its_own(1), 0);
    let f = function("pasted_after_its_own");
    assert_eq!(tables_named("pasted_after_its_own"), 1);
    assert_eq!(f.calls, 2);
    assert_eq!(hits(&f, "L:pasted_after_loop"), 3 + 2);
    assert_eq!(hits(&f, "L:pasted_after_body"), 2 + 1);
    assert_adds_up(&f);
}
