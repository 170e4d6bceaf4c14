//! More places the attribute goes (issue 7): inline modules, trait default methods, functions
//! made by `macro_rules!`, and composition with other attributes (`#[inline]`, `#[cfg]`,
//! `#[test]`, `#[track_caller]`, `#[tracing::instrument]`, `#[async_trait]`), in both orders.

mod common;

use common::{YieldOnce, block_on, function, hits, record};
use lablink_prof::line_profile;

// ---------------------------------------------------------------------------------------------
// 1. Inline modules.

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
mod shapes {
    pub fn mod_double(x: u32) -> u32 {
        x * 2 // L:double
    }

    pub struct Acc(pub u32);

    impl Acc {
        pub fn mod_add(&mut self, n: u32) {
            for i in 0..n { // L:add
                self.0 += i;
            }
        }
    }

    pub trait Named {
        fn mod_default(&self) -> u32 {
            7 // L:default
        }
    }

    impl Named for Acc {}

    #[line_profile(skip)]
    pub fn mod_left_out() -> u32 {
        1
    }

    pub const fn mod_constant() -> u32 {
        2
    }

    pub mod inner {
        pub fn mod_triple(x: u32) -> u32 {
            x * 3 // L:triple
        }

        #[line_profile(skip)]
        pub mod quiet {
            pub fn mod_quiet() -> u32 {
                0
            }
        }
    }
}

fn profiled(suffix: &str) -> bool {
    lablink_prof::snapshot()
        .functions
        .iter()
        .any(|f| f.name.ends_with(suffix))
}

#[test]
fn every_function_of_an_inline_module_is_recorded_recursively() {
    use shapes::Named;
    record();
    let mut acc = shapes::Acc(0);
    acc.mod_add(4);
    acc.mod_add(2);
    assert_eq!(acc.0, 6 + 1);
    assert_eq!(shapes::mod_double(5), 10);
    assert_eq!(shapes::inner::mod_triple(5), 15);
    assert_eq!(shapes::inner::mod_triple(1), 3);
    assert_eq!(acc.mod_default(), 7);
    assert_eq!(shapes::mod_left_out(), 1);
    assert_eq!(shapes::mod_constant(), 2);
    assert_eq!(shapes::inner::quiet::mod_quiet(), 0);

    let add = function("mod_add");
    assert_eq!(add.calls, 2);
    assert_eq!(hits(&add, "L:add"), 5 + 3);
    assert!(add.name.ends_with("shapes::Acc::mod_add"), "{}", add.name);
    assert_eq!(hits(&function("mod_double"), "L:double"), 1);
    let triple = function("mod_triple");
    assert_eq!(hits(&triple, "L:triple"), 2);
    assert!(
        triple.name.ends_with("shapes::inner::mod_triple"),
        "{}",
        triple.name
    );
    assert_eq!(hits(&function("mod_default"), "L:default"), 1);
    assert!(!profiled("::mod_left_out"));
    assert!(!profiled("::mod_constant"));
    assert!(!profiled("::mod_quiet"));
}

// ---------------------------------------------------------------------------------------------
// 2. Trait default methods.

trait Greeter {
    fn times(&self) -> u32;

    #[rustfmt::skip] // the `// L:` tags must stay on their lines
    #[line_profile]
    fn default_greet(&self) -> u32 {
        let mut n = 0; // L:init
        for _ in 0..self.times() { // L:loop
            n += 1; // L:body
        }
        n
    }
}

struct Twice;
struct Thrice;
struct Overrides;

impl Greeter for Twice {
    fn times(&self) -> u32 {
        2
    }
}

impl Greeter for Thrice {
    fn times(&self) -> u32 {
        3
    }
}

impl Greeter for Overrides {
    fn times(&self) -> u32 {
        100
    }
    fn default_greet(&self) -> u32 {
        0
    }
}

#[test]
fn a_trait_default_method_records_for_every_impl_that_uses_it() {
    record();
    assert_eq!(Twice.default_greet(), 2);
    assert_eq!(Thrice.default_greet(), 3);
    assert_eq!(Overrides.default_greet(), 0);
    let f = function("default_greet");
    assert_eq!(f.calls, 2);
    assert_eq!(hits(&f, "L:init"), 2);
    assert_eq!(hits(&f, "L:loop"), 3 + 4);
    assert_eq!(hits(&f, "L:body"), 5);
    assert!(f.name.ends_with("Greeter::default_greet"), "{}", f.name);
    common::assert_adds_up(&f);
}

// ---------------------------------------------------------------------------------------------
// 3. Functions made by `macro_rules!`: the spans of the body, and so the table's lines, are in
// the macro's definition; each expansion is its own function with its own table.

#[rustfmt::skip] // the `// L:` tags must stay on their lines
macro_rules! scaled_sum {
    ($vis:vis $name:ident, $k:expr) => {
        #[line_profile]
        $vis fn $name(n: u32) -> u32 {
            let mut acc = 0;
            for i in 0..n { // L:macro_loop
                acc += i * $k; // L:macro_body
            }
            acc
        }
    };
}

scaled_sum!(pub macro_by_two, 2);
scaled_sum!(macro_by_three, 3);

#[test]
fn functions_made_by_macro_rules_record_on_the_macro_definitions_lines() {
    record();
    assert_eq!(macro_by_two(4), 12);
    assert_eq!(macro_by_three(2), 3);
    assert_eq!(macro_by_three(0), 0);
    let two = function("macro_by_two");
    assert_eq!(two.calls, 1);
    assert_eq!(hits(&two, "L:macro_loop"), 5);
    assert_eq!(hits(&two, "L:macro_body"), 4);
    let three = function("macro_by_three");
    assert_eq!(three.calls, 2);
    assert_eq!(hits(&three, "L:macro_loop"), 3 + 1);
    assert_eq!(hits(&three, "L:macro_body"), 2);
    // Both tables show the definition's lines, from its `fn` line.
    assert_eq!(two.line, three.line);
    assert!(two.line_containing("$vis fn $name").is_some());
    common::assert_adds_up(&two);
}

// ---------------------------------------------------------------------------------------------
// 4. Composition with other attributes.

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[inline]
#[line_profile]
fn inline_first(x: u32) -> u32 {
    x + 1 // L:inline_first
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[inline(always)]
fn inline_after(x: u32) -> u32 {
    x + 2 // L:inline_after
}

#[test]
fn inline_composes_in_both_orders() {
    record();
    assert_eq!(inline_first(1) + inline_first(2), 5);
    assert_eq!(inline_after(1), 3);
    assert_eq!(hits(&function("inline_first"), "L:inline_first"), 2);
    assert_eq!(hits(&function("inline_after"), "L:inline_after"), 1);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[cfg(test)]
#[line_profile]
fn cfg_first() -> u32 {
    1 // L:cfg_first
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[cfg(not(test))]
fn cfg_after() -> u32 {
    1 // L:cfg_after_off
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[cfg(test)]
fn cfg_after() -> u32 {
    2 // L:cfg_after_on
}

#[test]
fn cfg_composes_in_both_orders() {
    record();
    assert_eq!(cfg_first(), 1);
    assert_eq!(cfg_after() + cfg_after(), 4);
    assert_eq!(hits(&function("cfg_first"), "L:cfg_first"), 1);
    let after = function("cfg_after");
    assert_eq!(after.calls, 2);
    assert_eq!(hits(&after, "L:cfg_after_on"), 2);
    assert!(after.line_containing("L:cfg_after_off").is_none());
}

// Each test checks its own lines while it runs: its statements have been hit once so far.
// Recording must be on before they start (the switch is read when a call begins), so this
// binary turns it on before `main`, from the ELF constructor list.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static RECORD_FROM_THE_START: extern "C" fn() = {
    extern "C" fn record_from_the_start() {
        lablink_prof::enable();
    }
    record_from_the_start
};

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[cfg(target_os = "linux")]
#[test]
#[line_profile]
fn test_then_profile() {
    record(); // L:test_first
    let me = function("test_then_profile"); // L:test_first_snapshot
    assert_eq!(hits(&me, "L:test_first"), 1);
    assert_eq!(hits(&me, "L:test_first_snapshot"), 1);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[cfg(target_os = "linux")]
#[line_profile]
#[test]
fn profile_then_test() {
    record(); // L:test_after
    let me = function("profile_then_test"); // L:test_after_snapshot
    assert_eq!(hits(&me, "L:test_after"), 1);
    assert_eq!(hits(&me, "L:test_after_snapshot"), 1);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[track_caller]
#[line_profile]
fn caller_line_first() -> u32 {
    std::panic::Location::caller().line() // L:caller_first
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[track_caller]
fn caller_line_after() -> u32 {
    std::panic::Location::caller().line() // L:caller_after
}

#[test]
fn track_caller_composes_in_both_orders() {
    record();
    assert_eq!(caller_line_first(), line!());
    assert_eq!(caller_line_after(), line!());
    assert_eq!(hits(&function("caller_line_first"), "L:caller_first"), 1);
    assert_eq!(hits(&function("caller_line_after"), "L:caller_after"), 1);
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[tracing::instrument]
#[line_profile]
fn traced_first(n: u32) -> u32 {
    let mut acc = 0; // L:traced_first_init
    for i in 0..n { // L:traced_first_loop
        acc += i;
    }
    acc
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[tracing::instrument]
fn traced_after(n: u32) -> u32 {
    let mut acc = 0; // L:traced_after_init
    for i in 0..n { // L:traced_after_loop
        acc += i;
    }
    acc
}

#[test]
fn tracing_instrument_composes_in_both_orders() {
    record();
    assert_eq!(traced_first(3), 3);
    assert_eq!(traced_after(4), 6);
    assert_eq!(traced_after(0), 0);
    let first = function("traced_first");
    assert_eq!(first.calls, 1);
    // The span set-up `#[tracing::instrument]` adds is spanned on the `fn` line and counts there.
    assert_eq!(hits(&first, "fn traced_first"), 2);
    assert_eq!(hits(&first, "L:traced_first_init"), 1);
    assert_eq!(hits(&first, "L:traced_first_loop"), 4);
    let after = function("traced_after");
    assert_eq!(after.calls, 2);
    assert_eq!(hits(&after, "fn traced_after"), 2);
    assert_eq!(hits(&after, "L:traced_after_init"), 2);
    assert_eq!(hits(&after, "L:traced_after_loop"), 5 + 1);
    assert_eq!(block_on(traced_async_after(3)), 15);
    let async_after = function("traced_async_after");
    assert_eq!(async_after.calls, 1);
    assert!(async_after.is_async);
    assert_eq!(hits(&async_after, "L:traced_async_loop"), 4);
    assert_eq!(hits(&async_after, "L:traced_async_await"), 3);
}

// On an `async fn` only this order works: `#[tracing::instrument]` first would move the body into
// an `async` block the profiler cannot enter, and is a compile error (tests/ui/fail).
#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[tracing::instrument]
async fn traced_async_after(n: u32) -> u32 {
    let mut total = 0;
    for _ in 0..n { // L:traced_async_loop
        total += YieldOnce(false).await; // L:traced_async_await
    }
    total
}

#[async_trait::async_trait]
trait Store {
    async fn load(&self, n: u32) -> u32;
}

struct ProfileFirst;
struct AsyncTraitFirst;
struct OnTheMethod;

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[line_profile]
#[async_trait::async_trait]
impl Store for ProfileFirst {
    async fn load(&self, n: u32) -> u32 {
        let mut total = 0; // L:pf_init
        for _ in 0..n { // L:pf_loop
            total += YieldOnce(false).await; // L:pf_await
        }
        total
    }
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[async_trait::async_trait]
#[line_profile]
impl Store for AsyncTraitFirst {
    async fn load(&self, n: u32) -> u32 {
        let mut total = 0; // L:atf_init
        for _ in 0..n { // L:atf_loop
            total += YieldOnce(false).await; // L:atf_await
        }
        total
    }
}

#[rustfmt::skip] // the `// L:` tags must stay on their lines
#[async_trait::async_trait]
impl Store for OnTheMethod {
    #[line_profile]
    async fn load(&self, n: u32) -> u32 {
        let mut total = 0; // L:otm_init
        for _ in 0..n { // L:otm_loop
            total += YieldOnce(false).await; // L:otm_await
        }
        total
    }
}

#[test]
fn async_trait_impls_record_in_every_order() {
    record();
    let stores: [(&dyn Store, &str); 3] = [
        (&ProfileFirst, "pf"),
        (&AsyncTraitFirst, "atf"),
        (&OnTheMethod, "otm"),
    ];
    for (store, _) in stores {
        assert_eq!(block_on(store.load(3)), 15);
    }
    let loads: Vec<_> = lablink_prof::snapshot()
        .functions
        .into_iter()
        .filter(|f| f.name.ends_with("::load"))
        .collect();
    assert_eq!(
        loads.len(),
        3,
        "{:?}",
        loads.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    for (_, tag) in stores {
        let f = loads
            .iter()
            .find(|f| f.line_containing(&format!("L:{tag}_init")).is_some())
            .unwrap_or_else(|| panic!("no table for {tag}"));
        assert_eq!(f.calls, 1, "{tag}");
        assert!(f.is_async, "{tag}");
        assert_eq!(hits(f, &format!("L:{tag}_init")), 1, "{tag}");
        assert_eq!(hits(f, &format!("L:{tag}_loop")), 4, "{tag}");
        assert_eq!(hits(f, &format!("L:{tag}_await")), 3, "{tag}");
        common::assert_adds_up(f);
    }
}
