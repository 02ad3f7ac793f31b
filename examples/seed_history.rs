//! Writes N synthetic finished tasks into a klang store, for measuring the
//! dashboard with a large history: `cargo run --release --example
//! seed_history -- PATH/sandbox.db 100000`.

#[path = "../benches/common/mod.rs"]
mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: seed_history STORE_PATH [COUNT]")?;
    let count: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(100_000);
    let store = klang::store::Store::open(std::path::Path::new(&path))?;
    // A chunk at a time (one transaction each): memory stays the same for
    // ten million rows as for ten thousand.
    const CHUNK: usize = 50_000;
    for start in (0..count).step_by(CHUNK) {
        let mut tasks = common::synthetic_range(start..count.min(start + CHUNK));
        // Only finished tasks: a benchmark must not poll anything.
        for t in &mut tasks {
            if t.state.is_running() {
                t.state = klang::store::LocalState::Completed;
            }
        }
        store.insert_many(&tasks)?;
    }
    println!("{} tasks in {path}", store.count()?);
    Ok(())
}
