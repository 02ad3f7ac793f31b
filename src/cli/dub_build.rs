//! Building a planned dub: what is missing is sent through the engine's
//! single submit (as narration's segments are: nothing sent twice, a
//! rerun after kill -9 included), waited for and downloaded; each take
//! measured; with `--overrun retake` a line that runs into the next gets
//! one faster take; then the lines are placed, the speech track written
//! on the timeline, the report written beside it, and with `--video` the
//! ducked mix muxed.

use super::args::{DubArgs, RenderFormat};
use super::dub::{DubOutputs, dollars};
use super::headless::Headless;
use super::output::print_json;
use super::speak_build::Build;
use super::{Context, Failure, exit};
use crate::audio::assemble::Measured;
use crate::dub::build::{Settings, speech_ms};
use crate::dub::place::Overrun;
use crate::dub::{DubPlan, fit, room_ms, rows, speed_param};
use crate::pieces::build::{Chosen, choose_all, missing_summary};
use crate::pieces::plan::{Plan, Segment};
use crate::pieces::{Take, Voice, choose, content_key, request};
use crate::store::{FitAction, OVERRUN_TOLERANCE_MS};
use std::collections::HashSet;
use std::path::PathBuf;

/// Kept between a retaken line's end and the next line's start.
const RETAKE_MARGIN_MS: u64 = 50;

pub(super) async fn run(
    ctx: Context,
    args: DubArgs,
    mut plan: DubPlan,
    outputs: DubOutputs,
    video_ms: Option<u64>,
) -> Result<i32, Failure> {
    std::fs::create_dir_all(&outputs.dir).map_err(|e| Failure {
        code: exit::NETWORK,
        message: format!(
            "cannot create {}: {e}; nothing was sent. Give --out a folder you can write",
            outputs.dir.display()
        ),
    })?;
    let settings = settings(&ctx, &args, video_ms);
    let source = std::fs::canonicalize(&args.subs).map_or_else(
        |_| args.subs.display().to_string(),
        |p| p.display().to_string(),
    );
    let piece = ctx.store.upsert_piece(
        "dub",
        &source,
        &outputs.audio.display().to_string(),
        &serde_json::to_string(&settings).unwrap_or_default(),
    )?;
    ctx.store.set_segments(piece, &rows(&plan))?;
    let headless = Headless::start(&ctx, args.json).await?;
    if ctx.is_sandbox() {
        headless.say("SANDBOX: simulated audio, nothing is charged");
    }
    let mut build = Build {
        headless,
        calls_sent: 0,
        cost_usd: 0.0,
        stop: None,
        interrupted: false,
        clips: std::collections::HashMap::new(),
    };
    let takes_dir = ctx
        .engine_config
        .download_dir
        .join("pieces")
        .join(outputs.audio.file_stem().unwrap_or_default());
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    send_and_fetch(&ctx, &mut build, &plan.plan, &takes_dir, &mut ctrl_c).await;
    build.left_partial(&ctx, piece)?;
    let chosen = chosen_or_partial(&ctx, &args, &build, piece, &plan.plan, &outputs)?;
    let mut measured = measure(chosen.iter().map(|c| c.path.clone()).collect()).await?;
    let mut chosen = chosen;
    if args.overrun == Overrun::Retake {
        let retakes = retakes(&plan, &measured, video_ms, args.max_speed);
        if !retakes.is_empty() {
            build.say(format!(
                "{} lines run over: one faster take each",
                retakes.len()
            ));
            let retake_plan = retake_plan(&ctx, &plan, &retakes)?;
            send_and_fetch(&ctx, &mut build, &retake_plan, &takes_dir, &mut ctrl_c).await;
            build.left_partial(&ctx, piece)?;
            for (segment, (i, speed)) in retake_plan.segments.into_iter().zip(&retakes) {
                plan.plan.segments[*i] = segment;
                plan.fits[*i].speed = *speed;
                plan.fits[*i].action = FitAction::Retaken;
            }
            ctx.store.set_segments(piece, &rows(&plan))?;
            chosen = chosen_or_partial(&ctx, &args, &build, piece, &plan.plan, &outputs)?;
            let again: Vec<PathBuf> = retakes
                .iter()
                .map(|(i, _)| chosen[*i].path.clone())
                .collect();
            for ((i, _), m) in retakes.iter().zip(measure(again).await?) {
                measured[*i] = m;
            }
        }
    }
    super::dub_finish::finish(
        &ctx, &args, build, piece, plan, chosen, measured, &outputs, settings,
    )
    .await
}

/// Sends what `plan` lacks and waits for (and downloads) every take it
/// uses.
async fn send_and_fetch(
    ctx: &Context,
    build: &mut Build,
    plan: &Plan,
    dir: &std::path::Path,
    ctrl_c: &mut (impl std::future::Future<Output = std::io::Result<()>> + Unpin),
) {
    let mut waiting = build.send(ctx, plan, ctrl_c).await;
    for s in &plan.segments {
        if let Take::Running(r) | Take::Made(r) = &s.take {
            waiting.insert(r.id);
        }
    }
    if build.stop.is_none() && !build.interrupted {
        build
            .wait_and_download(waiting, dir.to_path_buf(), ctrl_c)
            .await;
    }
}

/// Each line's take on disk, or the piece left partial with each missing
/// line named.
fn chosen_or_partial(
    ctx: &Context,
    args: &DubArgs,
    build: &Build,
    piece: i64,
    plan: &Plan,
    outputs: &DubOutputs,
) -> Result<Vec<Chosen>, Failure> {
    match choose_all(&ctx.store, piece, plan)? {
        Ok(chosen) => Ok(chosen),
        Err(problems) => {
            let summary = missing_summary(&problems, plan.segments.len());
            ctx.store
                .set_piece_state(piece, "partial", Some(&summary))?;
            for p in &problems {
                build.say(p);
            }
            if args.json {
                print_json(&serde_json::json!({
                    "piece": piece,
                    "state": "partial",
                    "missing": problems,
                    "calls_sent": build.calls_sent,
                    "cost_usd": dollars(build.cost_usd),
                }));
            }
            Err(Failure {
                code: exit::TASK_FAILED,
                message: format!(
                    "the dub is partial: {summary}; {} was not written",
                    outputs.audio.display()
                ),
            })
        }
    }
}

/// What the piece is made with, stored with it (the dashboard assembles
/// from it): `--format`, rate and bits as `render` has them.
fn settings(ctx: &Context, args: &DubArgs, video_ms: Option<u64>) -> Settings {
    let base = ctx
        .config
        .render
        .as_ref()
        .map(|c| c.settings())
        .unwrap_or_default();
    Settings {
        kind: "dub".into(),
        overrun: args.overrun,
        max_speed: args.max_speed,
        normalize: args.normalize,
        wav: !matches!(args.format, Some(RenderFormat::Flac)),
        rate: base.rate,
        bits: base.bits,
        video: args
            .video
            .as_ref()
            .map(|v| std::fs::canonicalize(v).unwrap_or_else(|_| v.clone())),
        video_ms,
        duck_db: args.duck.abs(),
    }
}

/// Every take measured, off the async runtime.
async fn measure(paths: Vec<PathBuf>) -> Result<Vec<Measured>, Failure> {
    tokio::task::spawn_blocking(move || crate::dub::build::measure(&paths))
        .await
        .map_err(|e| Failure {
            code: exit::NETWORK,
            message: format!("measuring stopped unexpectedly ({e}); run again"),
        })?
        .map_err(|message| Failure {
            code: exit::TASK_FAILED,
            message,
        })
}

/// The lines that run into the next by more than 150 ms and may go
/// faster, with the speed of their retake. A line already retaken is not
/// retaken again.
fn retakes(
    plan: &DubPlan,
    measured: &[Measured],
    video_ms: Option<u64>,
    max_speed: f64,
) -> Vec<(usize, f64)> {
    plan.lines
        .iter()
        .zip(&plan.fits)
        .zip(measured)
        .enumerate()
        .filter(|(_, ((_, f), _))| f.action != FitAction::Retaken)
        .filter_map(|(i, ((line, f), m))| {
            let speech = speech_ms(m);
            let room = match (line.next_start_ms, video_ms) {
                (Some(_), _) => room_ms(line),
                (None, Some(end)) => end.saturating_sub(line.slot_start_ms),
                (None, None) => return None,
            };
            if speech <= room + OVERRUN_TOLERANCE_MS {
                return None;
            }
            let room = room.saturating_sub(RETAKE_MARGIN_MS);
            fit::retake_speed(&line.text, f.speed, speech, room, max_speed).map(|s| (i, s))
        })
        .collect()
}

/// The retaken lines as a plan: each at its faster speed, its takes
/// looked up (a retake made by an earlier run is not sent again).
fn retake_plan(ctx: &Context, plan: &DubPlan, retakes: &[(usize, f64)]) -> Result<Plan, Failure> {
    let mut segments = Vec::with_capacity(retakes.len());
    for &(i, speed) in retakes {
        let old: &Segment = &plan.plan.segments[i];
        let crate::api::CreateRequest::Tts(p) = &old.request else {
            continue;
        };
        let voice = Voice {
            voice_id: p.voice_id.clone(),
            language: p.voice_language.clone(),
            speed: speed_param(speed),
        };
        let req = request(&old.chunk.text, &voice);
        let key = content_key(&req);
        let take = choose(&ctx.store.takes_of(&key)?);
        segments.push(Segment {
            position: old.position,
            chunk: old.chunk.clone(),
            request: req,
            key,
            take,
        });
    }
    let mut keys = HashSet::new();
    let to_send = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.take, Take::Missing { .. }))
        .filter(|(_, s)| keys.insert(s.key.clone()))
        .map(|(i, _)| i)
        .collect();
    Ok(Plan { segments, to_send })
}
