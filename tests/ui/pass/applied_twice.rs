#![deny(warnings)]
// The attribute written twice on one item profiles it once: no duplicate internal names, no
// warning.
#![allow(dead_code)]

use lablink_prof::line_profile;

#[line_profile]
#[line_profile]
fn twice(x: u32) -> u32 {
    x + 1
}

#[line_profile]
#[inline]
#[lablink_prof::line_profile]
pub fn twice_by_another_path(x: u32) -> u32 {
    x * 2
}

#[line_profile]
#[line_profile(skip)]
fn skipped_by_either(x: u32) -> u32 {
    x
}

struct S;

#[line_profile]
#[line_profile]
impl S {
    fn method(&self) -> u32 {
        1
    }
}

#[line_profile]
#[line_profile]
mod m {
    pub fn inner() -> u32 {
        2
    }
}

fn main() {
    assert_eq!(twice(1), 2);
    assert_eq!(twice_by_another_path(2), 4);
    assert_eq!(skipped_by_either(3), 3);
    assert_eq!(S.method(), 1);
    assert_eq!(m::inner(), 2);
}
