//! Shared by the dashboard's screen tests: tasks in every state, and a
//! runner over them with no engine.
#![allow(dead_code)]

use klang::api::{CreateRequest, SoundEffectsParams, TtsParams, VideoToAudioParams};
use klang::store::{LocalState, TaskRecord, now_ms};
use klang::tui::AppInit;
use klang::tui::harness::{Runner, empty_init};

pub const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

pub fn sfx(prompt: &str) -> CreateRequest {
    CreateRequest::SoundEffects(SoundEffectsParams {
        prompt: prompt.into(),
        duration: "5.0".into(),
        callback_url: None,
    })
}

pub fn task(id: i64, state: LocalState, params: CreateRequest) -> TaskRecord {
    task_at(now_ms(), id, state, params)
}

/// A task as it looks at `now` (ms since the epoch): submitted 20 s before,
/// created 15 s before, finished 2.7 s before when it is done.
pub fn task_at(now: i64, id: i64, state: LocalState, params: CreateRequest) -> TaskRecord {
    let done = matches!(state, LocalState::Completed | LocalState::Failed);
    TaskRecord {
        id,
        task_id: Some(format!("tsk_{id:04}")),
        state,
        submitted_at: now - 20_000 + id,
        create_time: Some(now - 15_000),
        complete_time: done.then_some(now - 2_700),
        result_urls: if state == LocalState::Completed {
            vec![format!("https://cdn.example/audio/{id}.mp3")]
        } else {
            vec![]
        },
        audio_duration: (state == LocalState::Completed).then_some(5.0),
        fail_msg: (state == LocalState::Failed).then(|| "Content policy violation".into()),
        last_poll_at: Some(now - 1000),
        updated_at: now,
        ..TaskRecord::new(params.clone())
    }
}

pub fn mixed_tasks() -> Vec<TaskRecord> {
    mixed_tasks_at(now_ms())
}

/// One task in each state, of every model, as they look at `now`.
pub fn mixed_tasks_at(now: i64) -> Vec<TaskRecord> {
    let task = |id, state, params| task_at(now, id, state, params);
    vec![
        task(1, LocalState::Completed, sfx("rain on a tin roof")),
        task(2, LocalState::Failed, sfx("this will fail")),
        task(3, LocalState::Processing, sfx("distant thunder")),
        task(4, LocalState::Pending, sfx("a cat purring")),
        task(5, LocalState::SubmitUnknown, sfx("door creak")),
        task(
            6,
            LocalState::Completed,
            CreateRequest::Tts(TtsParams {
                text: "Hello there".into(),
                voice_id: "uk_boy1".into(),
                voice_language: "en".into(),
                voice_speed: Some(1.0),
                callback_url: None,
            }),
        ),
        task(
            7,
            LocalState::SubmitFailed,
            CreateRequest::VideoToAudio(VideoToAudioParams {
                video_url: Some("https://v.example/clip.mp4".into()),
                ..Default::default()
            }),
        ),
    ]
}

pub fn runner_with(
    tasks: Vec<TaskRecord>,
    size: (u16, u16),
    edit: impl FnOnce(&mut AppInit),
) -> Runner {
    let mut init = empty_init();
    init.tasks = tasks;
    init.history_cost = 1.5;
    edit(&mut init);
    Runner::new(init, size.0, size.1)
}

pub fn last_line(screen: &str) -> &str {
    screen.lines().last().unwrap_or_default()
}
