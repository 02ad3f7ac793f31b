//! `klang dub SUBS`: subtitles become a speech track on the video's
//! timeline. The whole file is parsed, the video (if any) read by
//! ffprobe, every line planned at its speed and priced (possible retakes
//! too) before anything is sent; `--max-cost` and the budgets are checked
//! against all of it; then `dub_build` sends what is missing, fits,
//! places and writes.

use super::args::{DubArgs, RenderFormat};
use super::output::print_json;
use super::{Context, Failure, exit};
use crate::api::voices::{self, VoiceCheck};
pub(super) use crate::dub::build::DubOutputs;
use crate::dub::place::Overrun;
use crate::dub::{DubPlan, lines::lines, make_plan};
use crate::pieces::{Take, Voice};
use crate::sanitize::terminal_safe;
use serde_json::json;
use std::collections::HashMap;

pub async fn run(ctx: Context, args: DubArgs) -> Result<i32, Failure> {
    check_flags(&args)?;
    let subs = crate::dub::read(&args.subs).map_err(|e| {
        let name = args.subs.display().to_string();
        let said = e.to_string();
        let message = if said.contains(&name) {
            format!("{said}; nothing was sent")
        } else {
            format!("{name}: {said}; nothing was sent")
        };
        Failure::usage(terminal_safe(&message).into_owned())
    })?;
    for w in &subs.warnings {
        eprintln!("klang: warning: {}", terminal_safe(w));
    }
    let video_ms = match &args.video {
        Some(v) => {
            let probed = crate::video::duck::check_video(v)
                .await
                .map_err(|e| Failure::usage(format!("{e}; nothing was sent")))?;
            Some(probed.duration_ms.ok_or_else(|| {
                Failure::usage(format!(
                    "{}: ffprobe cannot tell how long the video is; remux it (ffmpeg -i IN -c copy OUT.mp4) and try again; nothing was sent",
                    v.display()
                ))
            })?)
        }
        None => None,
    };
    let lines = lines(&subs.cues);
    if lines.is_empty() {
        return Err(Failure::usage(format!(
            "{}: nothing to speak",
            args.subs.display()
        )));
    }
    let voices = line_voices(&args, &lines)?;
    let outputs = outputs(&ctx, &args)?;
    let previous = match ctx
        .store
        .piece_by_output(&outputs.audio.display().to_string())?
    {
        Some(piece) => ctx.store.segments(piece)?,
        None => Vec::new(),
    };
    let plan = make_plan(
        lines,
        &voices,
        &ctx.store,
        &previous,
        args.max_speed,
        args.overrun,
    )?;
    for s in &plan.plan.segments {
        // Every line is checked (voice, speed, length) before any is sent.
        s.request
            .validate()
            .map_err(|e| Failure::usage(format!("line {}: {e}; nothing was sent", s.position)))?;
    }
    let refusal = refusal(&ctx, &args, &plan)?;
    if args.dry_run {
        if args.json {
            print_json(&plan_json(&plan, &outputs, subs.skipped_empty));
        } else {
            for line in plan_lines(&plan, &args, subs.skipped_empty) {
                super::output::outln!("{}", terminal_safe(&line));
            }
        }
        eprintln!("dry run: nothing was sent");
        return match refusal {
            Some(f) => Err(f),
            None => Ok(exit::OK),
        };
    }
    if !args.json {
        for line in plan_lines(&plan, &args, subs.skipped_empty) {
            eprintln!("{}", terminal_safe(&line));
        }
    }
    if let Some(f) = refusal {
        return Err(f);
    }
    super::dub_build::run(ctx, args, plan, outputs, video_ms).await
}

fn check_flags(args: &DubArgs) -> Result<(), Failure> {
    if let Some(max) = args.max_cost
        && !(max.is_finite() && max >= 0.0)
    {
        return Err(Failure::usage(format!(
            "--max-cost must be a number of dollars, 0 or more, got {max}"
        )));
    }
    if !(args.max_speed.is_finite() && (0.8..=2.0).contains(&args.max_speed)) {
        return Err(Failure::usage(format!(
            "--max-speed must be 0.8 to 2.0 (the API's speeds), e.g. 1.3, got {}",
            args.max_speed
        )));
    }
    if !(args.duck.is_finite() && (-60.0..=60.0).contains(&args.duck)) {
        return Err(Failure::usage(format!(
            "--duck must be -60 to 0 dB (how far the original is lowered), e.g. -12, got {}",
            args.duck
        )));
    }
    if !(args.normalize.is_finite() && (-70.0..=0.0).contains(&args.normalize)) {
        return Err(Failure::usage(format!(
            "--normalize must be -70 to 0 LUFS, e.g. -16, got {}",
            args.normalize
        )));
    }
    Ok(())
}

/// Each line's voice: its speaker's from `--voices`, else `--voice`, else
/// the language's first.
fn line_voices(args: &DubArgs, lines: &[crate::dub::lines::Line]) -> Result<Vec<Voice>, Failure> {
    let language = args.lang.language();
    let default = match &args.voice {
        Some(v) if v.trim().is_empty() => {
            return Err(Failure::usage(
                "--voice must not be empty; see `klang voices`",
            ));
        }
        Some(v) => v.trim().to_string(),
        None => voices::default_for(language).to_string(),
    };
    let mut by_speaker = HashMap::new();
    for pair in args.voices.as_deref().unwrap_or("").split(',') {
        if pair.trim().is_empty() {
            continue;
        }
        let (name, id) = pair
            .split_once('=')
            .map(|(n, i)| (n.trim(), i.trim()))
            .filter(|(n, i)| !n.is_empty() && !i.is_empty())
            .ok_or_else(|| {
                Failure::usage(format!(
                    "--voices: \"{}\" is not NAME=voice_id; give e.g. \"JOHN=voice_a,MARY=voice_b\"",
                    terminal_safe(pair.trim())
                ))
            })?;
        by_speaker.insert(name.to_lowercase(), id.to_string());
    }
    let mut out = Vec::with_capacity(lines.len());
    let mut warned = std::collections::HashSet::new();
    for line in lines {
        let id = line
            .speaker
            .as_ref()
            .and_then(|s| by_speaker.get(&s.to_lowercase()))
            .cloned()
            .unwrap_or_else(|| default.clone());
        if warned.insert(id.clone()) && voices::check(&id, language.code()) == VoiceCheck::Unknown {
            eprintln!(
                "klang: warning: {}",
                terminal_safe(&voices::unknown_warning(&id))
            );
        }
        out.push(Voice {
            voice_id: id,
            language: language.code().to_string(),
            speed: None,
        });
    }
    Ok(out)
}

/// `<out>/<subs stem>.<wav|flac>`, `<stem>.dub.csv` and `<stem>.mp4`.
fn outputs(ctx: &Context, args: &DubArgs) -> Result<DubOutputs, Failure> {
    let dir = super::piece_takes::out_dir(ctx, args.out.as_deref())?;
    let stem = args
        .subs
        .file_stem()
        .map(|s| crate::engine::download::naming::slug(&s.to_string_lossy()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "dub".into());
    let ext = match args.format.unwrap_or(RenderFormat::Wav) {
        RenderFormat::Wav => "wav",
        RenderFormat::Flac => "flac",
    };
    Ok(DubOutputs {
        audio: dir.join(format!("{stem}.{ext}")),
        csv: dir.join(format!("{stem}.dub.csv")),
        mix: args.video.as_ref().map(|_| dir.join(format!("{stem}.mp4"))),
        dir,
    })
}

/// What the plan may send: the calls, and with `--overrun retake` the
/// retakes it may add.
fn worst_cost(args: &DubArgs, plan: &DubPlan) -> (usize, f64) {
    let mut calls = plan.plan.to_send.len();
    let mut cost = plan.plan.cost_to_send();
    if args.overrun == Overrun::Retake {
        calls += plan.possible_retakes;
        cost += plan.possible_extra_usd();
    }
    (calls, cost)
}

fn refusal(ctx: &Context, args: &DubArgs, plan: &DubPlan) -> Result<Option<Failure>, Failure> {
    let (calls, cost) = worst_cost(args, plan);
    let sends = super::piece_takes::Sends {
        calls,
        cost,
        at_most: true,
    };
    let what = args.subs.display().to_string();
    super::piece_takes::refusal(ctx, &what, args.max_cost, sends)
}

fn state_word(take: &Take, to_send: bool) -> String {
    if to_send {
        return "to send".into();
    }
    match take {
        Take::Made(r) => format!("made #{}", r.id),
        Take::Running(r) => format!("on its way #{}", r.id),
        Take::Unknown(r) => format!("#{} {}: not sent again", r.id, r.state),
        Take::Missing { .. } => "same line as an earlier cue".into(),
    }
}

fn clock(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// The plan for people: one line per cue, then the totals.
fn plan_lines(plan: &DubPlan, args: &DubArgs, skipped: usize) -> Vec<String> {
    let rates: Vec<String> = plan
        .rates
        .iter()
        .map(|(v, r)| {
            let from = if r.learned {
                format!("learned from {} takes", r.samples)
            } else {
                format!("default, {} of 5 takes measured", r.samples)
            };
            format!("{v} {:.1} chars/s ({from})", r.chars_per_s)
        })
        .collect();
    let mut out = vec![format!(
        "{}: {} lines; voice rate {}{}",
        args.subs.display(),
        plan.plan.segments.len(),
        rates.join(", "),
        if skipped > 0 {
            format!("; {skipped} cues without text skipped")
        } else {
            String::new()
        }
    )];
    for (i, (s, f)) in plan.plan.segments.iter().zip(&plan.fits).enumerate() {
        let excerpt: String = s.chunk.text.chars().take(40).collect();
        out.push(format!(
            "  {:>5}  {}  slot {:>5.1} s  speed {:.1}  {}  \"{excerpt}\"",
            f.cue,
            clock(f.slot_start_ms),
            f.slot_ms as f64 / 1000.0,
            f.speed,
            state_word(&s.take, plan.plan.to_send.contains(&i)),
        ));
    }
    let (calls, cost) = worst_cost(args, plan);
    let extra = if args.overrun == Overrun::Retake {
        format!(
            " (of which up to {} possible retakes, ${:.4})",
            plan.possible_retakes,
            plan.possible_extra_usd()
        )
    } else {
        String::new()
    };
    out.push(format!(
        "  {} of {} already made; up to {calls} calls to send, ${cost:.4}{extra}",
        plan.plan.made(),
        plan.plan.segments.len()
    ));
    out
}

pub(super) fn dollars(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn plan_json(plan: &DubPlan, outputs: &DubOutputs, skipped: usize) -> serde_json::Value {
    let lines: Vec<_> = plan
        .plan
        .segments
        .iter()
        .zip(&plan.fits)
        .enumerate()
        .map(|(i, (s, f))| {
            json!({
                "position": s.position,
                "cue": f.cue,
                "part": f.part,
                "slot_start_ms": f.slot_start_ms,
                "slot_ms": f.slot_ms,
                "speed": f.speed,
                "characters": s.chunk.chars(),
                "made": s.take.is_made(),
                "to_send": plan.plan.to_send.contains(&i),
                "content_key": s.key,
            })
        })
        .collect();
    json!({
        "dry_run": true,
        "path": outputs.audio.display().to_string(),
        "csv": outputs.csv.display().to_string(),
        "mix": outputs.mix.as_ref().map(|m| m.display().to_string()),
        "lines": lines,
        "skipped_empty": skipped,
        "rates": plan.rates,
        "already_made": plan.plan.made(),
        "calls_to_send": plan.plan.to_send.len(),
        "cost_usd": dollars(plan.plan.cost_to_send()),
        "possible_retakes": plan.possible_retakes,
        "possible_extra_usd": dollars(plan.possible_extra_usd()),
        "whole_cost_usd": dollars(plan.plan.whole_cost()),
    })
}
