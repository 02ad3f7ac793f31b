//! How the task history scales: loading 100,000 tasks at start, and the
//! queries the engine runs on it. (The dashboard's draw is benchmarked in
//! `benches/draw.rs`.)

mod common;

use common::synthetic;
use criterion::{Criterion, criterion_group, criterion_main};
use klang::store::{ListFilter, Store};
use std::hint::black_box;

fn history(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("tasks.db")).expect("store");
    store.insert_many(&synthetic(100_000)).expect("seed");
    let mut group = c.benchmark_group("history_100k");
    group.sample_size(10);
    group.bench_function("load_all", |b| {
        b.iter(|| black_box(store.list(&ListFilter::default()).expect("list")).len())
    });
    group.bench_function("unfinished", |b| {
        b.iter(|| black_box(store.unfinished().expect("unfinished")).len())
    });
    group.bench_function("total_cost", |b| {
        b.iter(|| black_box(store.total_cost().expect("cost")))
    });
    group.finish();
}

criterion_group!(benches, history);
criterion_main!(benches);
