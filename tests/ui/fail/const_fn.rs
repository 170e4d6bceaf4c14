use lablink_prof::line_profile;

#[line_profile]
const fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}
