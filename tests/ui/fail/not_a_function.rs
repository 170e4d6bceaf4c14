use lablink_prof::line_profile;

#[line_profile]
struct Record {
    id: u32,
}

fn main() {
    let _ = Record { id: 1 }.id;
}
