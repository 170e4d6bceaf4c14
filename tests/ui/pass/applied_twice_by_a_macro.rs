#![deny(warnings)]
// A `macro_rules!` macro that pastes a template's attributes onto the functions it makes, the
// template's `#[line_profile]` included, next to its own: each function is profiled once.
#![allow(dead_code)]

use lablink_prof::line_profile;

/// Makes `fn $name() -> u32 { $value }` with the caller's attributes, then its own
/// `#[line_profile]`.
macro_rules! profiled_getter {
    ($(#[$meta:meta])* $name:ident = $value:expr) => {
        $(#[$meta])*
        #[line_profile]
        fn $name() -> u32 {
            $value
        }
    };
}

/// The same with its own `#[line_profile]` first, the caller's attributes after it.
macro_rules! profiled_getter_own_first {
    ($(#[$meta:meta])* $name:ident = $value:expr) => {
        #[line_profile]
        $(#[$meta])*
        fn $name() -> u32 {
            $value
        }
    };
}

profiled_getter! {
    #[line_profile]
    #[inline]
    pasted_before = 1
}

profiled_getter_own_first! {
    #[inline]
    #[lablink_prof::line_profile]
    pasted_after = 2
}

fn main() {
    assert_eq!(pasted_before(), 1);
    assert_eq!(pasted_after(), 2);
}
