use lablink_prof::line_profile;

#[line_profile]
mod elsewhere;

fn main() {}
