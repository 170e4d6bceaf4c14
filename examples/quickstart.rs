//! The smallest profiled program: `LABLINK_PROFILING=1 cargo run --release --example quickstart`.

use lablink_prof::line_profile;

/// kernprof's reference loop (docs/reference-output.md), in Rust.
#[line_profile]
fn work(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc = acc.wrapping_add(std::hint::black_box(i));
        acc ^= 3;
        acc = acc.wrapping_sub(1);
    }
    acc
}

#[line_profile]
fn fib(n: u32) -> u64 {
    if n < 2 {
        return n as u64;
    }
    fib(n - 1) + fib(n - 2)
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    println!("work({n}) = {}", work(n));
    println!("fib(20) = {}", fib(20));
}
