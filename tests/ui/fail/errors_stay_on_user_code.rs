use lablink_prof::line_profile;

// The user's own type error is reported on the user's tokens, not on the expansion.
#[line_profile]
fn count(items: &[u32]) -> u32 {
    let n: u32 = items.len();
    n
}

fn main() {
    let _ = count(&[]);
}
