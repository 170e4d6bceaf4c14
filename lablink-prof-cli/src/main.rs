//! The `lablink-prof` command (being written).

fn main() {
    eprintln!("lablink-prof: not yet");
    std::process::exit(2);
}
