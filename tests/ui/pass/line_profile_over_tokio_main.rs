#![deny(warnings)]
// #[line_profile] above #[tokio::main]: the async body is profiled (with its Wait column), then
// tokio wraps it.

#[lablink_prof::line_profile]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    tokio::task::yield_now().await;
    let v = async { 2 }.await;
    assert_eq!(v, 2);
}
