#![deny(warnings)]
// #[tokio::main] above #[line_profile]: tokio turns the async main into a sync one first; the
// attribute then profiles that function (its statements run inside tokio's block_on).

#[tokio::main]
#[lablink_prof::line_profile]
async fn main() {
    let v = async { 2 }.await;
    assert_eq!(v, 2);
}
