use lablink_prof::line_profile;

// On an `async fn`, `#[tracing::instrument]` must come after `#[line_profile]`.
#[tracing::instrument]
#[line_profile]
async fn fetch(n: u32) -> u32 {
    n + 1
}

fn main() {
    let _ = fetch(1);
}
