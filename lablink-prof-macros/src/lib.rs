//! The `#[line_profile]` attribute of [lablink-prof](https://docs.rs/lablink-prof).
//!
//! Use it through the `lablink-prof` crate: `use lablink_prof::line_profile;`. The full manual
//! is there; this crate only rewrites the function.
//!
//! # What the attribute does
//!
//! On a function (free, method, trait default method, generic, `unsafe`, `async`), on an impl
//! block (every method with a body), or on an inline module (`mod m { ... }`: its free functions,
//! the methods of its impl blocks and the default methods of its traits, recursively into nested
//! inline modules), it keeps the signature, attributes and docs, and rewrites the body:
//!
//! ```ignore
//! #[line_profile]
//! fn work(n: u64) -> u64 {
//!     let mut acc = 0;
//!     for i in 0..n {
//!         acc += i;
//!     }
//!     acc
//! }
//! ```
//!
//! becomes, in outline,
//!
//! ```ignore
//! fn work(n: u64) -> u64 {
//!     static __LP_SITE: FunctionSite = /* name, file, lines, source text */;
//!     if !enabled() {
//!         /* the body as written */
//!     } else {
//!         let frame = pin!(begin_sync(&__LP_SITE, /* path */));
//!         let frame: &Frame = Frame::activate(frame);
//!         frame.start_line(1);
//!         let mut acc = 0;
//!         for i in LineIter::new(frame.move_to_line(2), 2, 0..n) {
//!             frame.start_line(3);
//!             acc += i;
//!         }
//!         frame.start_line(5);
//!         acc
//!     }
//! }
//! ```
//!
//! With recording off the plain copy runs: one predictable branch per call, nothing per
//! statement. Two cases keep a single copy that checks per statement instead: a return type with
//! `impl Trait` (two copies would be two types), and a body that declares items in nested blocks
//! or uses statement macros that may declare them (a `static` would exist twice).
//!
//! # Arguments
//!
//! - none: profile the function, or every method of the impl block, or every function of the
//!   module;
//! - `skip`: leave it as it is (on a method inside a profiled impl block, or an item inside a
//!   profiled module: leave that item out, and for an impl block or module all it contains);
//! - `crate = path` (or `crate = "path"`): the path the generated code reaches `lablink-prof` by,
//!   when the dependency is renamed in `Cargo.toml` (`#[line_profile(crate = prof)]`) or
//!   re-exported by another crate; `::lablink_prof` otherwise. On an impl block or module it holds
//!   for everything inside, unless an inner attribute says otherwise.
//!
//! `const fn`s inside a profiled impl block or module are left alone, as are items the attribute
//! cannot see: functions made by macro invocations inside the module, and `mod m;` files.
//!
//! # With other attributes and macros
//!
//! - `#[inline]`, `#[cfg(..)]`, `#[test]`, `#[track_caller]`: either order.
//! - `#[line_profile]` itself, applied again on the same item (written twice, by any path ending
//!   in `line_profile`, or pasted by a `macro_rules!` macro that copies a template's attributes
//!   next to its own): the item is profiled once. `skip` on any of them leaves it unprofiled; a
//!   `crate = path` on any of them is used.
//! - `macro_rules!`: `#[line_profile]` written inside the macro on the generated `fn` works; the
//!   table's line numbers and source are those of the macro's definition (where the body's tokens
//!   come from), while its `File:` is `file!()`, the file of the macro's invocation. Each
//!   expansion is its own function with its own table.
//! - `#[tracing::instrument]`: either order on a plain `fn` (written first, its span set-up is
//!   counted on the `fn` line); on an `async fn` only below `#[line_profile]`, the other order is
//!   a compile error saying so.
//! - `#[async_trait]`: either order on the impl block, or `#[line_profile]` on a method of an
//!   `#[async_trait]` impl: a body `#[async_trait]` has already turned into
//!   `Box::pin(async move { .. })` is profiled as the `async fn` it was.
//!
//! # Errors
//!
//! `const fn`, a function without a body, `mod m;` without a body, unknown arguments and any
//! other item are compile errors on the user's own tokens.
//!
//! # Features
//!
//! `profiling` (turned on by `lablink-prof`'s default feature of the same name): without it the
//! attribute returns the item unchanged.

mod expand;
mod instrument;
mod lines;
mod mode;
mod parse;

use proc_macro::TokenStream;

/// Records hits, time and heap for every line of a function, of every method of an impl block,
/// or of every function of an inline module. See the `lablink-prof` crate for the manual.
#[proc_macro_attribute]
pub fn line_profile(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::line_profile(args.into(), item.into()).into()
}
