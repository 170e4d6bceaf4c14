// A frame made current cannot be moved afterwards: activating it takes it pinned, and a frame
// is not `Unpin`, so it can neither be activated where it stands nor pinned with `Pin::new`.
use lablink_prof::__private::{FunctionSite, SiteInfo, begin_sync};

static SITE: FunctionSite = FunctionSite::new(SiteInfo {
    name: "f",
    file: file!(),
    first_line: 1,
    source: &[],
    is_async: false,
});

fn main() {
    let mut frame = begin_sync(&SITE, "f");
    frame.activate();
    let _pinned = std::pin::Pin::new(&mut frame);
    let _moved = frame;
}
