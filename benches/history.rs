//! How the task history scales: loading 100,000 tasks at start, and the
//! queries the engine runs on it. (The dashboard's draw is benchmarked in
//! `benches/draw.rs`.)

use criterion::{Criterion, criterion_group, criterion_main};
use klang::api::{CreateRequest, Model, SoundEffectsParams};
use klang::store::{ListFilter, LocalState, Store, TaskRecord};
use std::hint::black_box;

pub fn synthetic(n: usize) -> Vec<TaskRecord> {
    (0..n)
        .map(|i| {
            let state = match i % 10 {
                0 => LocalState::Failed,
                1 => LocalState::Pending,
                _ => LocalState::Completed,
            };
            let prompt = format!("synthetic sound effect number {i} with some words");
            TaskRecord {
                id: 0,
                task_id: Some(format!("clsynthetic{i:014}")),
                model: Model::SoundEffects,
                params: CreateRequest::SoundEffects(SoundEffectsParams {
                    prompt: prompt.clone(),
                    duration: "5.0".into(),
                    callback_url: None,
                }),
                summary: prompt,
                state,
                submitted_at: 1_700_000_000_000 + i as i64 * 1000,
                create_time: Some(1_700_000_000_000 + i as i64 * 1000),
                complete_time: (state == LocalState::Completed)
                    .then_some(1_700_000_000_000 + i as i64 * 1000 + 12_000),
                result_urls: if state == LocalState::Completed {
                    vec![format!("https://r2.example/audio/{i}.mp3")]
                } else {
                    vec![]
                },
                audio_duration: Some(5.0),
                fail_msg: (state == LocalState::Failed).then(|| "Content policy violation".into()),
                cost_usd: 0.0295,
                local_path: None,
                last_poll_at: None,
                last_error: None,
                not_found_count: 0,
                has_callback: false,
                updated_at: 1_700_000_000_000,
            }
        })
        .collect()
}

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
