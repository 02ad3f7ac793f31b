//! `klang submit`: validate, create, and optionally wait and download.

use super::args::{AfterSubmit, Lang, SubmitCommand};
use super::headless::{Headless, final_code, print_summary};
use super::output::{print_json, task_view};
use super::{Context, Failure};
use crate::api::{
    CreateRequest, SoundEffectsParams, TtsParams, VideoToAudioParams, normalize_duration,
};
use crate::store::{LocalState, TaskRecord};

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

pub async fn run(ctx: Context, command: SubmitCommand) -> Result<i32, Failure> {
    let (request, after) = build_request(command)?;
    let mut headless = Headless::start(&ctx, after.json).await?;
    let id = headless
        .engine
        .submit(request)
        .map_err(|e| Failure::usage(e.to_string()))?;
    if ctx.is_sandbox() {
        headless.say("SANDBOX: simulated audio, nothing is charged");
    }
    match follow(&mut headless, id, &after).await {
        Ok(record) => {
            if after.json {
                print_json(&task_view(&record));
            } else {
                print_summary(&record);
            }
            Ok(final_code(&record))
        }
        // A create was sent and may have been paid for: a script still
        // learns the task (and its id, when there is one) with the error.
        Err(failure) => {
            if after.json
                && let Ok(record) = headless.engine.store().get(id)
            {
                print_json(&task_view(&record).with_error(&failure.message));
            }
            Err(failure)
        }
    }
}

/// Everything after the create: its answer, then waiting and downloading.
async fn follow(
    headless: &mut Headless,
    id: i64,
    after: &AfterSubmit,
) -> Result<TaskRecord, Failure> {
    let submitted = headless
        .wait_events(id, |r| r.state != LocalState::Submitting)
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
    Ok(record)
}
