//! `klang submit`: validate, create, and optionally wait and download.

use super::args::{AfterSubmit, Lang, SubmitCommand};
use super::headless::{Headless, final_code, print_summary};
use super::output::{print_json, task_view};
use super::{Context, Failure, exit};
use crate::api::voices::{self, VoiceCheck};
use crate::api::{
    CreateRequest, SoundEffectsParams, TtsParams, VideoToAudioParams, normalize_duration,
};
use crate::sanitize::terminal_safe;
use crate::store::{LocalState, TaskRecord};
use crate::video::LocalVideo;
use std::path::{Path, PathBuf};

/// A checked request and what to do after it.
struct Prepared {
    request: CreateRequest,
    after: AfterSubmit,
    /// Check the video before sending (v2a without `--no-check`).
    check_video: bool,
    /// A clip on disk to serve as the video (`--video-file`).
    video_file: Option<PathBuf>,
}

fn build_request(command: SubmitCommand) -> Result<Prepared, Failure> {
    let invalid = |e: crate::api::ValidationError| Failure::usage(format!("{e}; nothing was sent"));
    let check_video = matches!(
        command,
        SubmitCommand::V2a {
            no_check: false,
            ..
        }
    );
    let mut video_file = None;
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
            video_file: file,
            sfx_prompt,
            bgm_prompt,
            asmr,
            no_check: _,
            after,
        } => (
            CreateRequest::VideoToAudio(VideoToAudioParams {
                video_id,
                // The clip's URL is known once its receiver runs; until
                // then one of the same shape, so the rest is checked now.
                video_url: match &file {
                    Some(_) => Some(crate::api::LOCAL_CLIP_PLACEHOLDER_URL.into()),
                    None => video_url,
                },
                sound_effect_prompt: sfx_prompt,
                bgm_prompt,
                asmr_mode: asmr.then_some(true),
                callback_url: None,
            }),
            {
                video_file = file;
                after
            },
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
        Ok(Prepared {
            request,
            after,
            check_video: check_video && video_file.is_none(),
            video_file,
        })
    })
}

/// Checks and hashes a clip on disk (off the async workers: it reads the
/// whole file once).
async fn check_local(path: &Path) -> Result<LocalVideo, Failure> {
    let path = path.to_path_buf();
    match tokio::task::spawn_blocking(move || crate::video::check_file(&path)).await {
        Ok(Ok(video)) => Ok(video),
        Ok(Err(refusal)) => Err(Failure::usage(format!(
            "{}; nothing was sent",
            refusal.message
        ))),
        Err(e) => Err(Failure::usage(format!(
            "checking the video file failed ({e}); nothing was sent"
        ))),
    }
}

/// The clip's length when it is longer than one video-to-audio call takes
/// (ffprobe's reading; without ffprobe the clip is checked as any other).
/// Only a regular file is probed: ffprobe would wait forever on a FIFO,
/// which `check_local` then refuses in one line.
async fn longer_than_a_call(path: &Path) -> Option<f64> {
    crate::input_file::open_regular(path).ok()?;
    let ffmpeg = crate::video::mux::find_ffmpeg(std::env::var_os("PATH").as_deref()).ok()?;
    let path = path.to_path_buf();
    let probed = tokio::task::spawn_blocking(move || crate::video::foley::probe(&ffmpeg, &path))
        .await
        .ok()?
        .ok()?;
    (probed.duration_s > crate::video::MAX_SECONDS).then_some(probed.duration_s)
}

/// The unknown-voice warning, if the request names a voice not in the table.
fn voice_warning(request: &CreateRequest) -> Option<String> {
    match request {
        CreateRequest::Tts(p) => (voices::check(&p.voice_id, &p.voice_language)
            == VoiceCheck::Unknown)
            .then(|| voices::unknown_warning(p.voice_id.trim())),
        _ => None,
    }
}

pub async fn run(ctx: Context, command: SubmitCommand) -> Result<i32, Failure> {
    let Prepared {
        request,
        after,
        check_video,
        video_file,
    } = build_request(command)?;
    if let Some(warning) = voice_warning(&request) {
        eprintln!("klang: warning: {}", terminal_safe(&warning));
    }
    if let (Some(path), CreateRequest::VideoToAudio(p)) = (&video_file, &request)
        && let Some(seconds) = longer_than_a_call(path).await
    {
        if after.count > 1 {
            return Err(Failure::usage(format!(
                "{} is {seconds:.1} s, over the provider's 20 s: klang makes it a foley piece, one take per window; drop --count; nothing was sent",
                terminal_safe(&path.display().to_string())
            )));
        }
        eprintln!(
            "klang: {} is {seconds:.1} s, over the provider's 20 s: making it a foley piece (klang foley), a call per window",
            terminal_safe(&path.display().to_string())
        );
        let args = super::args::FoleyArgs {
            video: path.clone(),
            sfx_prompt: p.sound_effect_prompt.clone(),
            bgm_prompt: p.bgm_prompt.clone(),
            asmr: p.asmr_mode.unwrap_or(false),
            out: None,
            format: None,
            normalize: super::args::FOLEY_NORMALIZE_LUFS,
            dry_run: false,
            max_cost: None,
            json: after.json,
        };
        return super::foley::run(ctx, args).await;
    }
    let local = match &video_file {
        Some(path) => {
            if let Some(problem) = ctx.media_receiver_problem() {
                return Err(Failure::usage(problem));
            }
            Some(check_local(path).await?)
        }
        None => None,
    };
    let video = if check_video {
        super::video_check::check_request(&request).await?
    } else {
        local.as_ref().map(|v| v.facts.clone())
    };
    let count = usize::from(after.count);
    let model = request.model();
    let mut headless = Headless::start(&ctx, after.json).await?;
    if ctx.is_sandbox() {
        headless.say("SANDBOX: simulated audio, nothing is charged");
    }
    if let Some(facts) = video {
        headless.say(format!("video: {facts}"));
    }
    headless.say(format!(
        "submitting {} ({})",
        model.label(),
        model.price_for(count)
    ));
    let submitted = match &local {
        Some(clip) => headless.engine.submit_video_file(request, clip, count),
        None => headless.engine.submit_variations(request, count),
    };
    let ids = submitted.map_err(|e| match e {
        crate::engine::SubmitError::Store(e) => Failure::from(e),
        e => Failure::usage(e.to_string()),
    })?;
    match follow(&mut headless, &ids, &after).await {
        Ok(records) => {
            if after.json {
                match records.as_slice() {
                    [one] => print_json(&task_view(one)),
                    many => print_json(&many.iter().map(task_view).collect::<Vec<_>>()),
                }
            } else {
                records.iter().for_each(print_summary);
            }
            if ctx.is_sandbox() && records.iter().any(|r| !r.result_urls.is_empty()) {
                headless.say(sandbox_url_note(&records));
            }
            // The worst outcome decides: one failed take fails the command.
            Ok(records.iter().map(final_code).max().unwrap_or(exit::OK))
        }
        // A create was sent and may have been paid for: a script still
        // learns the tasks (and their ids, when there are some) with the error.
        Err(failure) => {
            if after.json {
                let records: Vec<TaskRecord> = ids
                    .iter()
                    .filter_map(|&id| headless.engine.store().get(id).ok())
                    .collect();
                match records.as_slice() {
                    [one] => print_json(&task_view(one).with_error(&failure.message)),
                    many => print_json(
                        &many
                            .iter()
                            .map(|r| task_view(r).with_error(&failure.message))
                            .collect::<Vec<_>>(),
                    ),
                }
            }
            Err(failure)
        }
    }
}

/// Everything after the creates: their answers, then waiting and downloading.
async fn follow(
    headless: &mut Headless,
    ids: &[i64],
    after: &AfterSubmit,
) -> Result<Vec<TaskRecord>, Failure> {
    let mut records = Vec::with_capacity(ids.len());
    headless.created(ids);
    for &id in ids {
        let submitted = headless
            .wait_events(id, |r| r.state != LocalState::Submitting)
            .await?;
        headless.announce(&submitted);
        records.push(submitted);
    }
    if let Some(group) = records.first().and_then(|r| r.group_id.clone()) {
        headless.say(format!("group {group}: klang list --group {group}"));
    }
    if after.wait || after.download {
        for record in &mut records {
            let id = record.id;
            *record = headless.wait_for(id, |r| r.state.is_final()).await?;
            if let Some(msg) = &record.fail_msg {
                headless.say(format!("#{id} failed: {msg}"));
            }
            if after.download && record.state == LocalState::Completed {
                *record = headless.download(id, None).await?;
            }
        }
    }
    Ok(records)
}

/// The embedded sandbox's result URLs are served by this very command, so
/// they stop working when it exits: said plainly, with where the file is
/// (or how to keep one).
fn sandbox_url_note(records: &[TaskRecord]) -> String {
    let saved: Vec<&str> = records
        .iter()
        .filter_map(|r| r.local_path.as_deref())
        .collect();
    let lead = "SANDBOX: the result URL is served by this command and stops working when it exits";
    if saved.is_empty() {
        format!("{lead}; add --download to keep the file")
    } else {
        format!("{lead}; the file is saved at {}", saved.join(", "))
    }
}
