use lablink_prof::line_profile;

#[line_profile(crate = 42)]
fn answer() -> u32 {
    42
}

fn main() {
    answer();
}
