//! Synthetic task history shared by the benchmarks.

use klang::api::{CreateRequest, SoundEffectsParams};
use klang::store::{LocalState, TaskRecord};

/// `n` tasks: mostly completed, a tenth failed, a tenth pending.
// Not every crate that includes this module uses both (seed_history
// writes by range).
#[allow(dead_code)]
pub fn synthetic(n: usize) -> Vec<TaskRecord> {
    synthetic_range(0..n)
}

/// Rows `range` of [`synthetic`], so a large history can be written a
/// chunk at a time.
pub fn synthetic_range(range: std::ops::Range<usize>) -> Vec<TaskRecord> {
    range
        .map(|i| {
            let state = match i % 10 {
                0 => LocalState::Failed,
                1 => LocalState::Pending,
                _ => LocalState::Completed,
            };
            let prompt = format!("synthetic sound effect number {i} with some words");
            TaskRecord {
                id: i as i64 + 1,
                task_id: Some(format!("clsynthetic{i:014}")),
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
                measured_seconds: None,
                fail_msg: (state == LocalState::Failed).then(|| "Content policy violation".into()),
                updated_at: 1_700_000_000_000,
                ..TaskRecord::new(CreateRequest::SoundEffects(SoundEffectsParams {
                    prompt,
                    duration: "5.0".into(),
                    callback_url: None,
                }))
            }
        })
        .collect()
}
