//! Times what the dashboard's table worker does for one filter keystroke on
//! a store (every request the window makes until it settles, each query
//! timed): `cargo run --release --example filter_figure -- DB "number 9"
//! "number 99"`. Seed a store with the `seed_history` example.

use klang::store::Store;
use klang::tui::table::window::TaskWindow;
use klang::tui::table::window::worker::{self, CountCache};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: filter_figure STORE_PATH FILTER...";
    let path = args.next().ok_or(usage)?;
    let filters: Vec<String> = args.collect();
    let store = Store::open(std::path::Path::new(&path))?;
    let reader = store.reader()?;
    let mut cache = CountCache::default();
    let mut window = TaskWindow::new(store.totals()?);
    for filter in std::iter::once(String::new()).chain(filters) {
        window.set_filter(&filter);
        let started = Instant::now();
        let mut requests = 0;
        while let Some(request) = window.take_request() {
            requests += 1;
            let t = Instant::now();
            let answer = worker::answer(&reader, &request, &mut cache)?;
            println!("  {filter:?} request {requests}: {:?}", t.elapsed());
            window.apply(answer);
        }
        println!(
            "{filter:?}: {} rows, {requests} requests, {:?}",
            window.len(),
            started.elapsed()
        );
    }
    Ok(())
}
