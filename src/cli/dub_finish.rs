//! The end of a dub: the lines placed, the speech track written on the
//! timeline (left as it is when nothing it is made from changed), each
//! segment's fit stored, the report written as CSV beside the track,
//! and with `--video` the ducked mix muxed.

use super::args::DubArgs;
use super::dub::{DubOutputs, dollars};
use super::dub_build::{assembly_key, options, placements, speech_ms, timed};
use super::output::print_json;
use super::speak_build::Build;
use super::{Context, Failure, exit};
use crate::audio::assemble::{AssemblyOptions, Measured, TimedInput, write_timeline};
use crate::audio::origin::Origin;
use crate::dub::DubPlan;
use crate::pieces::build::{Chosen, piece_origin};
use crate::store::{Assembled, DubFit};
use crate::video::duck::{Speech, duck_and_mux};
use serde_json::json;
use std::time::Duration;

#[allow(clippy::too_many_arguments)]
pub(super) async fn finish(
    ctx: &Context,
    args: &DubArgs,
    build: Build,
    piece: i64,
    mut plan: DubPlan,
    chosen: Vec<Chosen>,
    measured: Vec<Measured>,
    outputs: &DubOutputs,
    video_ms: Option<u64>,
) -> Result<i32, Failure> {
    let placed = placements(&plan, &measured, video_ms, args.overrun);
    let starts: Vec<u64> = placed.iter().map(|p| p.start_ms).collect();
    let speech: Vec<u64> = measured.iter().map(speech_ms).collect();
    // As long as the video, else to the last cue's end (or the last
    // line's, if it speaks past it).
    let length_ms = video_ms.unwrap_or_else(|| {
        plan.fits
            .iter()
            .zip(starts.iter().zip(&speech))
            .map(|(f, (s, l))| f.cue_end_ms.max(s + l))
            .max()
            .unwrap_or(0)
    });
    let opts = options(ctx, args);
    let key = assembly_key(&chosen, &starts, &opts, length_ms, args, outputs);
    let previous = ctx.store.piece_assembled(piece)?;
    let unchanged = previous.as_ref().is_some_and(|(k, _)| *k == key)
        && outputs.audio.is_file()
        && outputs.csv.is_file()
        && outputs.mix.as_ref().is_none_or(|m| m.is_file());
    let actual_starts: Vec<u64> = if unchanged {
        build.say(format!(
            "nothing changed: {} was left as it was",
            outputs.audio.display()
        ));
        starts.clone()
    } else {
        build.say(format!(
            "writing the speech track of {} lines",
            chosen.len()
        ));
        let report = write_blocking(
            timed(&chosen, &starts),
            measured,
            opts,
            length_ms,
            outputs.audio.clone(),
            piece_origin(piece, &plan.plan),
        )
        .await
        .inspect_err(|f| {
            let _ = ctx.store.set_piece_state(piece, "failed", Some(&f.message));
        })?;
        report.iter().map(|p| p.start.as_millis() as u64).collect()
    };
    for (i, ((f, p), c)) in plan.fits.iter_mut().zip(&placed).zip(&chosen).enumerate() {
        f.speech_ms = Some(speech[i]);
        f.start_ms = Some(actual_starts.get(i).copied().unwrap_or(p.start_ms));
        f.overrun_ms = Some(p.overrun_ms);
        f.action = p.action;
        ctx.store.set_segment_fit(piece, (i + 1) as i64, f)?;
        let _ = c;
    }
    let report: Vec<serde_json::Value> = plan
        .fits
        .iter()
        .zip(&plan.lines)
        .zip(&chosen)
        .map(|((f, l), c)| report_entry(f, &l.text, c.task))
        .collect();
    if !unchanged {
        write_csv(&plan.fits, &plan.lines, outputs)?;
    }
    let mix = match (&args.video, &outputs.mix) {
        (Some(video), Some(mix)) if !unchanged || !mix.is_file() => {
            build.say(format!("mixing into {}", mix.display()));
            let speaking: Vec<Speech> = plan
                .fits
                .iter()
                .map(|f| {
                    let start = f.start_ms.unwrap_or(f.slot_start_ms);
                    Speech {
                        start_ms: start,
                        end_ms: start + f.speech_ms.unwrap_or(0),
                    }
                })
                .collect();
            let done = duck_and_mux(video, &outputs.audio, &speaking, args.duck.abs(), mix)
                .await
                .map_err(|e| Failure {
                    code: exit::TASK_FAILED,
                    message: format!("{e}; the speech track {} is kept", outputs.audio.display()),
                })?;
            Some(done)
        }
        (_, mix) => mix.clone(),
    };
    if !unchanged {
        ctx.store.set_piece_assembled(
            piece,
            &Assembled {
                key,
                srt: String::new(),
                vtt: String::new(),
                chapters: outputs.csv.display().to_string(),
                figures: "{}".into(),
            },
        )?;
    } else {
        ctx.store.set_piece_state(piece, "assembled", None)?;
    }
    let overruns = plan.fits.iter().filter(|f| f.is_overrun()).count();
    if args.json {
        print_json(&json!({
            "piece": piece,
            "path": outputs.audio.display().to_string(),
            "mix": mix.as_ref().map(|m| m.display().to_string()),
            "csv": outputs.csv.display().to_string(),
            "report": report,
            "lines": plan.fits.len(),
            "overruns": overruns,
            "calls_sent": build.calls_sent,
            "cost_usd": dollars(build.cost_usd),
            "unchanged": unchanged,
            "length_ms": length_ms,
        }));
    } else {
        super::output::outln!(
            "{}",
            crate::sanitize::terminal_safe(&outputs.audio.display().to_string())
        );
        if let Some(m) = &mix {
            super::output::outln!(
                "{}",
                crate::sanitize::terminal_safe(&m.display().to_string())
            );
        }
        build.say(format!(
            "{} lines, {overruns} run over (see {}); {} calls sent this run, ${:.4}",
            plan.fits.len(),
            outputs.csv.display(),
            build.calls_sent,
            build.cost_usd
        ));
    }
    Ok(exit::OK)
}

fn report_entry(f: &DubFit, text: &str, task: i64) -> serde_json::Value {
    json!({
        "cue": f.cue,
        "part": f.part,
        "speaker": f.speaker,
        "text": text,
        "task": task,
        "cue_start_ms": f.cue_start_ms,
        "cue_end_ms": f.cue_end_ms,
        "slot_start_ms": f.slot_start_ms,
        "slot_ms": f.slot_ms,
        "speech_ms": f.speech_ms,
        "speed": f.speed,
        "first_speed": f.first_speed,
        "start_ms": f.start_ms,
        "overrun_ms": f.overrun_ms,
        "action": f.action.word(),
    })
}

/// A cell a spreadsheet would run as a formula gets a leading '.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn write_csv(
    fits: &[DubFit],
    lines: &[crate::dub::lines::Line],
    outputs: &DubOutputs,
) -> Result<(), Failure> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let cannot = |e: String| Failure {
        code: exit::NETWORK,
        message: format!(
            "cannot write {}: {e}; check that the folder is writable and has room",
            outputs.csv.display()
        ),
    };
    w.write_record([
        "cue",
        "part",
        "speaker",
        "slot_start_ms",
        "slot_ms",
        "speech_ms",
        "speed",
        "first_speed",
        "start_ms",
        "overrun_ms",
        "action",
        "text",
    ])
    .map_err(|e| cannot(e.to_string()))?;
    for (f, l) in fits.iter().zip(lines) {
        let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        w.write_record([
            f.cue.to_string(),
            f.part.to_string(),
            cell(f.speaker.as_deref().unwrap_or("")),
            f.slot_start_ms.to_string(),
            f.slot_ms.to_string(),
            opt(f.speech_ms),
            format!("{:.1}", f.speed),
            format!("{:.1}", f.first_speed),
            opt(f.start_ms),
            opt(f.overrun_ms),
            f.action.word().to_string(),
            cell(&l.text),
        ])
        .map_err(|e| cannot(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| cannot(e.to_string()))?;
    crate::atomic_file::write_replacing(&outputs.csv, "report", &bytes)
        .map_err(|e| cannot(e.to_string()))
}

/// The timeline writer off the async runtime; where each line's speech
/// starts in what it wrote.
async fn write_blocking(
    inputs: Vec<TimedInput>,
    measured: Vec<Measured>,
    opts: AssemblyOptions,
    length_ms: u64,
    out: std::path::PathBuf,
    origin: Origin,
) -> Result<Vec<crate::audio::assemble::ChunkPlacement>, Failure> {
    let report = tokio::task::spawn_blocking(move || {
        write_timeline(
            &inputs,
            &measured,
            &opts,
            Some(Duration::from_millis(length_ms)),
            &out,
            Some(&origin),
        )
    })
    .await
    .map_err(|e| Failure {
        code: exit::NETWORK,
        message: format!("writing the track stopped unexpectedly ({e}); run again"),
    })?
    .map_err(|e| {
        let code = match &e {
            crate::audio::assemble::AssembleError::Write { .. } => exit::NETWORK,
            _ => exit::TASK_FAILED,
        };
        Failure {
            code,
            message: format!("{e}; the made lines are kept"),
        }
    })?;
    Ok(report.placements)
}
