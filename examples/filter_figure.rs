//! Times what the dashboard's table does for one filter on a store: the
//! first page (every request the window makes until it shows rows, as the
//! table worker answers them) and then the count (as the counting thread
//! takes it, while the rows are already on screen). Median of `RUNS` runs
//! (default 3), each from the unfiltered view with no count cached.
//! `cargo run --release --example filter_figure -- DB [FILTER...]`; the
//! default filters are "7", "77", "777", "number 9" and "synthetic" (every
//! row of a store seeded by the `seed_history` example).

use klang::store::{SortOrder, Store, ViewQuery};
use klang::tui::runtime::window_count as counter;
use klang::tui::runtime::window_worker::{self as worker, CountCache};
use klang::tui::state::window::{CountAnswer, TaskWindow};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: filter_figure STORE_PATH [FILTER...]";
    let path = args.next().ok_or(usage)?;
    let mut filters: Vec<String> = args.collect();
    if filters.is_empty() {
        filters = ["7", "77", "777", "number 9", "synthetic"]
            .map(String::from)
            .to_vec();
    }
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let store = Store::open(std::path::Path::new(&path))?;
    let reader = store.reader()?;
    let tasks = store.totals()?.tasks();
    println!("{tasks} tasks in {path}, median of {runs} runs");
    println!("| filter | first page | rows shown first | count | count time |");
    println!("|---|---|---|---|---|");
    for filter in filters {
        let mut firsts = Vec::new();
        let mut counts = Vec::new();
        let (mut shown, mut total) = (String::new(), 0);
        for _ in 0..runs {
            let mut window = TaskWindow::new(store.totals()?);
            let mut cache = CountCache::default();
            while let Some(request) = window.take_request() {
                window.apply(worker::answer(&reader, &request, &mut cache)?);
            }
            window.set_filter(&filter);
            let started = Instant::now();
            let mut generation = 0;
            while let Some(request) = window.take_request() {
                generation = request.generation;
                window.apply(worker::answer(&reader, &request, &mut cache)?);
            }
            firsts.push(started.elapsed());
            shown = format!(
                "{}{}",
                window.len(),
                if window.is_exact() { "" } else { "+" }
            );
            let started = Instant::now();
            if !window.is_exact() {
                let query = ViewQuery::new(&filter, SortOrder::Newest);
                let n = counter::count(&reader, &query, &mut CountCache::default())?;
                window.apply_count(CountAnswer {
                    generation,
                    filter: filter.clone(),
                    total: n,
                });
            }
            counts.push(started.elapsed());
            total = window.len();
        }
        println!(
            "| {filter:?} | {} | {shown} | {total} | {} |",
            ms(median(firsts)),
            ms(median(counts)),
        );
    }
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
