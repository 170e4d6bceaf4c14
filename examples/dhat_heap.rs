//! The counting allocator over dhat's: line tables and `dhat-heap.json` from one run.
//!
//! `cargo run --release --features dhat-heap --example dhat_heap`, then open `dhat-heap.json`
//! in DHAT's viewer (dh_view.html).

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc<lablink_prof::dhat::Alloc> =
    lablink_prof::CountingAlloc::dhat();

#[lablink_prof::line_profile]
fn build_index(words: usize) -> std::collections::HashMap<String, usize> {
    let mut index = std::collections::HashMap::new();
    for i in 0..words {
        let word = format!("word-{}", i % 997);
        *index.entry(word).or_insert(0) += 1;
    }
    index
}

fn main() {
    lablink_prof::enable();
    let index = build_index(100_000);
    println!("{} distinct words", index.len());
}
