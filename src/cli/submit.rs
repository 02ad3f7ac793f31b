//! `klang submit` and `klang download`: the engine, driven headless. The
//! same engine code path as the dashboard, so a script sees exactly what
//! the dashboard would.

use super::args::{AfterSubmit, DownloadArgs, Lang, SubmitCommand, WaitArgs};
use super::output::{print_json, task_view};
use super::{Context, Failure, exit};
use crate::api::{
    ApiError, CreateRequest, SoundEffectsParams, TtsParams, VideoToAudioParams, normalize_duration,
};
use crate::engine::{DownloadEvent, Engine, EngineEvent, EngineStatus};
use crate::sanitize::terminal_safe;
use crate::store::{LocalState, TaskRecord};
use std::sync::Arc;
use tokio::sync::mpsc;

fn build_request(command: SubmitCommand) -> Result<(CreateRequest, AfterSubmit), Failure> {
    let invalid = |e: crate::api::ValidationError| Failure::usage(format!("{e}; nothing was sent"));
    Ok(match command {
        SubmitCommand::Sfx {
            prompt,
            duration,
            after,
        } => {
            let duration = normalize_duration(&duration).map_err(invalid)?;
            (
                CreateRequest::SoundEffects(SoundEffectsParams {
                    prompt,
                    duration,
                    callback_url: None,
                }),
                after,
            )
        }
        SubmitCommand::V2a {
            video_url,
            video_id,
            sfx_prompt,
            bgm_prompt,
            asmr,
            after,
        } => (
            CreateRequest::VideoToAudio(VideoToAudioParams {
                video_id,
                video_url,
                sound_effect_prompt: sfx_prompt,
                bgm_prompt,
                asmr_mode: asmr.then_some(true),
                callback_url: None,
            }),
            after,
        ),
        SubmitCommand::Tts {
            text,
            voice_id,
            lang,
            speed,
            after,
        } => (
            CreateRequest::Tts(TtsParams {
                text,
                voice_id,
                voice_language: match lang {
                    Lang::En => "en".into(),
                    Lang::Zh => "zh".into(),
                },
                voice_speed: speed,
                callback_url: None,
            }),
            after,
        ),
    })
    .and_then(|(request, after)| {
        request.validate().map_err(invalid)?;
        Ok((request, after))
    })
}

/// Engine events for one command, delivered on a channel.
struct Headless {
    engine: Engine,
    /// Kept alive while the command waits.
    _receiver: Option<crate::engine::callbacks::CallbackReceiver>,
    events: mpsc::UnboundedReceiver<EngineEvent>,
    json: bool,
    /// The last state reported, so each change is said once.
    said_state: Option<LocalState>,
}

/// However the command ends, its tasks are handed to any other klang on the
/// store at once instead of when the lease runs out.
impl Drop for Headless {
    fn drop(&mut self) {
        self.engine.shutdown();
    }
}

impl Headless {
    async fn start(ctx: &Context, json: bool) -> Result<Headless, Failure> {
        let (tx, events) = mpsc::unbounded_channel();
        let sink = Arc::new(move |event| {
            let _ = tx.send(event);
        });
        let (engine, receiver) = ctx.start_engine(sink).await?;
        Ok(Headless {
            engine,
            _receiver: receiver,
            events,
            json,
            said_state: None,
        })
    }

    /// Progress for people goes to stderr, and only without --json.
    fn say(&self, line: impl AsRef<str>) {
        if !self.json {
            eprintln!("{}", terminal_safe(line.as_ref()));
        }
    }

    /// Waits until task `id` satisfies `done`, reporting progress. Returns
    /// the record, or a failure for account, network or engine problems.
    async fn wait_for(
        &mut self,
        id: i64,
        done: impl Fn(&TaskRecord) -> bool,
    ) -> Result<TaskRecord, Failure> {
        if let Ok(record) = self.engine.store().get(id)
            && done(&record)
        {
            return Ok(record);
        }
        while let Some(event) = self.events.recv().await {
            match event {
                EngineEvent::TaskChanged(record) if record.id == id => {
                    if self.said_state != Some(record.state) {
                        self.said_state = Some(record.state);
                        self.say(format!("#{id} {}", record.state));
                    }
                    if done(&record) {
                        return Ok(*record);
                    }
                }
                EngineEvent::CreateFailed { id: failed, error } if failed == id => {
                    return Err(create_failure(&error));
                }
                EngineEvent::Status(EngineStatus::Paused { reason }) => {
                    return Err(Failure {
                        code: exit::ACCOUNT,
                        message: reason,
                    });
                }
                EngineEvent::Status(EngineStatus::Retrying { reason, retry_in }) => {
                    self.say(format!("retrying in {} s: {reason}", retry_in.as_secs()));
                }
                EngineEvent::Notice(text) => self.say(text),
                _ => {}
            }
        }
        Err(Failure {
            code: exit::NETWORK,
            message: "the engine stopped unexpectedly; see the log (klang paths)".into(),
        })
    }

    async fn download(
        &mut self,
        id: i64,
        dir: Option<std::path::PathBuf>,
    ) -> Result<TaskRecord, Failure> {
        self.engine.download(id, dir);
        while let Some(event) = self.events.recv().await {
            match event {
                EngineEvent::Download(DownloadEvent::Finished { id: done, path }) if done == id => {
                    self.say(format!("saved {}", path.display()));
                    return self.engine.store().get(id).map_err(Failure::from);
                }
                EngineEvent::Download(DownloadEvent::Failed { id: failed, error })
                    if failed == id =>
                {
                    return Err(Failure {
                        code: exit::NETWORK,
                        message: error,
                    });
                }
                EngineEvent::Notice(text) => self.say(text),
                _ => {}
            }
        }
        Err(Failure {
            code: exit::NETWORK,
            message: "the engine stopped during the download".into(),
        })
    }
}

fn create_failure(error: &ApiError) -> Failure {
    Failure {
        code: error.exit_code(),
        message: error.to_string(),
    }
}

fn final_code(record: &TaskRecord) -> i32 {
    match record.state {
        LocalState::Completed | LocalState::Pending | LocalState::Processing => exit::OK,
        LocalState::SubmitUnknown => exit::NETWORK,
        _ => exit::TASK_FAILED,
    }
}

pub async fn submit(ctx: Context, command: SubmitCommand) -> Result<i32, Failure> {
    let (request, after) = build_request(command)?;
    let mut headless = Headless::start(&ctx, after.json).await?;
    let id = headless
        .engine
        .submit(request)
        .map_err(|e| Failure::usage(e.to_string()))?;
    if ctx.is_sandbox() {
        headless.say("SANDBOX: simulated audio, nothing is charged");
    }
    let submitted = headless
        .wait_for(id, |r| r.state != LocalState::Submitting)
        .await?;
    if let Some(task_id) = &submitted.task_id {
        headless.say(format!(
            "submitted #{id} as {task_id} ({}, ${:.4})",
            submitted.model.label(),
            submitted.cost_usd
        ));
    }
    let mut record = submitted;
    if after.wait || after.download {
        record = headless.wait_for(id, |r| r.state.is_final()).await?;
        if let Some(msg) = &record.fail_msg {
            headless.say(format!("failed: {msg}"));
        }
        if after.download && record.state == LocalState::Completed {
            record = headless.download(id, None).await?;
        }
    }
    if after.json {
        print_json(&task_view(&record));
    } else {
        print_summary(&record);
    }
    Ok(final_code(&record))
}

pub async fn download(ctx: Context, args: DownloadArgs) -> Result<i32, Failure> {
    let record = ctx.store.resolve(&args.id)?.ok_or_else(|| {
        Failure::usage(format!(
            "no task matches {:?}: give a local id, a task id, or a unique prefix (see `klang list`)",
            args.id
        ))
    })?;
    if record.state != LocalState::Completed {
        return Err(Failure {
            code: exit::TASK_FAILED,
            message: format!(
                "task {} is {}: only completed tasks have audio to download",
                record.id, record.state
            ),
        });
    }
    let mut headless = Headless::start(&ctx, args.json).await?;
    let record = headless.download(record.id, args.out).await?;
    if args.json {
        print_json(&task_view(&record));
    } else if let Some(path) = &record.local_path {
        println!("{}", terminal_safe(path));
    }
    Ok(exit::OK)
}

pub async fn wait(ctx: Context, args: WaitArgs) -> Result<i32, Failure> {
    let mut ids = Vec::new();
    for key in &args.ids {
        let record = ctx.store.resolve(key)?.ok_or_else(|| {
            Failure::usage(format!(
                "no task matches {key:?}: give a local id, a task id, or a unique prefix (see `klang list`)"
            ))
        })?;
        ids.push(record.id);
    }
    if ids.is_empty() {
        ids = ctx.store.unfinished()?.iter().map(|r| r.id).collect();
    }
    let mut headless = Headless::start(&ctx, args.json).await?;
    let mut records = Vec::new();
    for id in ids {
        let mut record = headless.wait_for(id, |r| r.state.is_final()).await?;
        if args.download && record.state == LocalState::Completed && record.local_path.is_none() {
            record = headless.download(id, None).await?;
        }
        records.push(record);
    }
    if args.json {
        let views: Vec<_> = records.iter().map(task_view).collect();
        print_json(&views);
    } else {
        records.iter().for_each(print_summary);
    }
    let code = records.iter().map(final_code).max().unwrap_or(exit::OK);
    Ok(code)
}

fn print_summary(record: &TaskRecord) {
    let mut line = format!(
        "#{} {} {}",
        record.id,
        record.task_id.as_deref().unwrap_or("-"),
        record.state
    );
    if let Some(ms) = record.generation_ms() {
        line.push_str(&format!(" in {:.1} s", ms as f64 / 1000.0));
    }
    println!("{}", terminal_safe(&line));
    for url in &record.result_urls {
        println!("{}", terminal_safe(url));
    }
    if let Some(path) = &record.local_path {
        println!("{}", terminal_safe(path));
    }
    if let Some(error) = &record.last_error {
        eprintln!("{}", terminal_safe(error));
    }
}
