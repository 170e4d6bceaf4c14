use lablink_prof::line_profile;

#[line_profile(sample_rate = 10)]
fn work() -> u32 {
    1
}

fn main() {
    let _ = work();
}
