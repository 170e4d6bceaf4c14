use lablink_prof::line_profile;

struct Scope;

#[line_profile]
impl Scope {
    #[line_profile(fast)]
    fn measure(&self) -> f64 {
        1.0
    }
}

fn main() {
    let _ = Scope.measure();
}
