use lablink_prof::line_profile;

trait Sensor {
    #[line_profile]
    fn read(&self) -> f64;
}

fn main() {}
