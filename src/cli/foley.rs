//! `klang foley VIDEO`: a soundtrack for a video of any length, as a piece
//! of kind `foley` (`pieces::foley`): the video's windows found
//! (`video::foley`), planned and priced first (`--dry-run`, `--max-cost`,
//! the budgets), each missing window cut and sent as a clip the receiver
//! serves, nothing sent twice; the results joined and muxed with the video.
//! `submit v2a --video-file` on a clip over 20 s comes here.

use super::args::{FoleyArgs, RenderFormat};
use super::output::print_json;
use super::piece_takes::{self, dollars};
use super::{Context, Failure, exit};
use crate::audio::render::Container;
use crate::pieces::foley::{self, Settings};
use crate::sanitize::terminal_safe;
use crate::store::Assembled;
use crate::video::foley::{MAX_VIDEO_S, cut, probe, scene_changes, windows};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub async fn run(ctx: Context, args: FoleyArgs) -> Result<i32, Failure> {
    piece_takes::check_max_cost(args.max_cost)?;
    if !(args.normalize.is_finite() && (-70.0..=0.0).contains(&args.normalize)) {
        return Err(Failure::usage(format!(
            "--normalize must be -70 to 0 LUFS, e.g. -20, got {}",
            args.normalize
        )));
    }
    let ffmpeg = crate::video::mux::find_ffmpeg(std::env::var_os("PATH").as_deref())
        .map_err(|e| Failure::usage(e.to_string()))?;
    let shown = terminal_safe(&args.video.display().to_string()).into_owned();
    let video = std::path::absolute(&args.video)
        .map_err(|e| Failure::usage(format!("cannot read {shown}: {e}")))?;
    let sha = {
        let video = video.clone();
        tokio::task::spawn_blocking(move || crate::video::hash(&video))
            .await
            .map_err(|e| Failure::usage(format!("reading {shown} failed ({e})")))?
            .map_err(|e| {
                Failure::usage(format!(
                    "cannot read {shown}: {e}; give a video file (MP4, MOV, anything ffmpeg reads)"
                ))
            })?
    };
    let (probed, cuts) = {
        let (ffmpeg, video) = (ffmpeg.clone(), video.clone());
        tokio::task::spawn_blocking(move || {
            let probed = probe(&ffmpeg, &video)?;
            Ok::<_, String>((probed, scene_changes(&ffmpeg, &video)?))
        })
        .await
        .map_err(|e| Failure::usage(format!("reading {shown} failed ({e})")))?
        .map_err(|e| Failure::usage(format!("{e}; nothing was sent")))?
    };
    if probed.duration_s < crate::video::MIN_SECONDS || probed.duration_s > MAX_VIDEO_S {
        return Err(Failure::usage(format!(
            "{shown} is {:.1} s; foley takes 3 s to 4 hours; nothing was sent",
            probed.duration_s
        )));
    }
    let dir = piece_takes::out_dir(&ctx, args.out.as_deref())?;
    let stem = video
        .file_stem()
        .map(|s| crate::engine::download::naming::slug(&s.to_string_lossy()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "video".into());
    let base = ctx
        .config
        .render
        .as_ref()
        .map(|c| c.settings())
        .unwrap_or_default();
    let container = match args.format.unwrap_or(RenderFormat::Wav) {
        RenderFormat::Wav => Container::Wav,
        RenderFormat::Flac => Container::Flac,
    };
    let audio = dir.join(format!("{stem}-foley.{}", container.extension()));
    let settings = Settings {
        kind: "foley".into(),
        video: video.clone(),
        video_sha256: sha.clone(),
        duration_s: probed.duration_s,
        windows: windows(probed.duration_s, probed.fps, &cuts),
        sfx_prompt: args.sfx_prompt.clone(),
        bgm_prompt: args.bgm_prompt.clone(),
        asmr: args.asmr,
        normalize: args.normalize,
        container,
        rate: base.rate,
        bits: base.bits,
        mp4: dir.join(format!("{stem}-foley.mp4")),
        clips_dir: ctx
            .engine_config
            .download_dir
            .join("pieces")
            .join(format!("{stem}-foley-{}", &sha[..8])),
    };
    settings
        .request()
        .validate()
        .map_err(|e| Failure::usage(format!("{e}; nothing was sent")))?;
    let plan = foley::plan(&settings, &ctx.store)?;
    let refusal =
        piece_takes::refusal(&ctx, &shown, args.max_cost, piece_takes::Sends::plan(&plan))?;
    let summary = format!(
        "{shown}: {:.2} s, {} shot changes, {} windows of 3-20 s: {} already made; {} calls to send, ${:.4}",
        probed.duration_s,
        cuts.len(),
        settings.windows.len(),
        plan.made(),
        plan.to_send.len(),
        plan.cost_to_send()
    );
    let extra = json!({
        "path": audio.display().to_string(),
        "video": settings.mp4.display().to_string(),
        "windows": settings.windows,
    });
    let flags = (args.dry_run, args.json);
    if let Some(code) = piece_takes::show_plan(flags, &summary, &plan, extra, refusal)? {
        return Ok(code);
    }
    if !plan.to_send.is_empty()
        && let Some(problem) = ctx.media_receiver_problem()
    {
        return Err(Failure::usage(format!("{problem}; nothing was sent")));
    }
    for d in [&dir, &settings.clips_dir] {
        std::fs::create_dir_all(d).map_err(|e| {
            Failure::usage(format!(
                "cannot create {}: {e}; nothing was sent. Give --out a folder you can write",
                d.display()
            ))
        })?;
    }
    let clips = cut_windows(&ffmpeg, &settings, &plan.to_send).await?;
    let piece = ctx.store.upsert_piece(
        "foley",
        &video.display().to_string(),
        &audio.display().to_string(),
        &serde_json::to_string(&settings).unwrap_or_default(),
    )?;
    let rows: Vec<_> = plan.segments.iter().map(|s| s.row()).collect();
    ctx.store.set_segments(piece, &rows)?;
    let folder = format!("{stem}-foley-{}", &sha[..8]);
    let (build, chosen) = piece_takes::make(&ctx, args.json, piece, &plan, &folder, clips).await?;
    let key = foley::assembly_key(&chosen, &settings, &audio);
    let previous = ctx.store.piece_assembled(piece)?;
    let unchanged = previous.as_ref().is_some_and(|(k, _)| *k == key)
        && audio.is_file()
        && settings.mp4.is_file();
    let figures = if unchanged {
        ctx.store.set_piece_state(piece, "assembled", None)?;
        build.say(format!(
            "nothing changed: {} was left as it was",
            audio.display()
        ));
        previous
            .and_then(|(_, f)| f)
            .and_then(|f| serde_json::from_str::<serde_json::Value>(&f).ok())
            .unwrap_or_default()
    } else {
        build.say(format!("joining {} windows", chosen.len()));
        let paths: Vec<PathBuf> = chosen.iter().map(|c| c.path.clone()).collect();
        let origin = foley::origin(piece, &settings);
        let (owned, target) = (settings.clone(), audio.clone());
        let done = tokio::task::spawn_blocking(move || {
            foley::write_and_mux(paths, &owned, &origin, &target)
        })
        .await
        .map_err(|e| Failure {
            code: exit::NETWORK,
            message: format!("joining stopped unexpectedly ({e}); run again"),
        })?;
        let foley = match done {
            Ok(f) => f,
            Err(e) => {
                let message = format!("{e}; the windows' takes are kept, run again");
                ctx.store.set_piece_state(piece, "failed", Some(&message))?;
                return Err(Failure {
                    code: exit::TASK_FAILED,
                    message,
                });
            }
        };
        let figures = foley::figures(&foley, &settings);
        ctx.store.set_piece_assembled(
            piece,
            &Assembled {
                key,
                figures: figures.to_string(),
                ..Assembled::default()
            },
        )?;
        let prompts: Vec<&str> = [&settings.sfx_prompt, &settings.bgm_prompt]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        piece_takes::write_manifest(
            &ctx,
            &audio,
            &figures["audio"],
            &prompts.join(" / "),
            &chosen,
        )?;
        figures
    };
    if args.json {
        let mut report = json!({
            "piece": piece,
            "path": audio.display().to_string(),
            "video": settings.mp4.display().to_string(),
            "calls_sent": build.calls_sent,
            "cost_usd": dollars(build.cost_usd),
            "unchanged": unchanged,
        });
        if let (Some(map), serde_json::Value::Object(more)) = (report.as_object_mut(), figures) {
            for (k, v) in more {
                map.entry(k).or_insert(v);
            }
        }
        print_json(&report);
    } else {
        super::output::outln!("{}", terminal_safe(&settings.mp4.display().to_string()));
        build.say(format!(
            "{} windows; {} calls sent this run, ${:.4}; the track alone: {}",
            settings.windows.len(),
            build.calls_sent,
            build.cost_usd,
            audio.display()
        ));
    }
    Ok(exit::OK)
}

/// Cuts the windows to send (a clip already cut is checked again, not cut
/// again) and checks each as `--video-file` checks a clip.
async fn cut_windows(
    ffmpeg: &Path,
    settings: &Settings,
    to_send: &[usize],
) -> Result<HashMap<usize, crate::video::LocalVideo>, Failure> {
    let (ffmpeg, settings, to_send) = (ffmpeg.to_path_buf(), settings.clone(), to_send.to_vec());
    tokio::task::spawn_blocking(move || {
        let mut clips = HashMap::new();
        for i in to_send {
            let window = settings.windows[i];
            let path = settings.clip_path(i);
            let checked = crate::video::check_file(&path);
            let clip = match checked {
                Ok(clip) => clip,
                Err(_) => {
                    cut(&ffmpeg, &settings.video, window, &path)
                        .map_err(|e| Failure::usage(format!("{e}; nothing was sent")))?;
                    crate::video::check_file(&path).map_err(|r| {
                        Failure::usage(format!(
                            "window {} ({:.2}-{:.2} s): {}; nothing was sent for it",
                            i + 1,
                            window.start_s,
                            window.end_s,
                            r.message
                        ))
                    })?
                }
            };
            clips.insert(i, clip);
        }
        Ok(clips)
    })
    .await
    .map_err(|e| Failure::usage(format!("cutting the video failed ({e}); nothing was sent")))?
}
