//! The end of a dub: `dub::build::write_track` places the lines, writes
//! the speech track (left as it is when nothing it is made from changed),
//! stores each line's fit and writes the CSV report; then with `--video`
//! the ducked mix is muxed, and the CLI prints what it did.

use super::args::DubArgs;
use super::dub::{DubOutputs, dollars};
use super::output::print_json;
use super::speak_build::Build;
use super::{Context, Failure, exit};
use crate::audio::assemble::Measured;
use crate::dub::DubPlan;
use crate::dub::build::{Settings, TrackError, speaking, write_track};
use crate::pieces::build::Chosen;
use crate::store::DubFit;
use crate::video::duck::duck_and_mux;
use serde_json::json;

#[allow(clippy::too_many_arguments)]
pub(super) async fn finish(
    ctx: &Context,
    args: &DubArgs,
    build: Build,
    piece: i64,
    plan: DubPlan,
    chosen: Vec<Chosen>,
    measured: Vec<Measured>,
    outputs: &DubOutputs,
    settings: Settings,
) -> Result<i32, Failure> {
    build.say(format!("placing and writing {} lines", chosen.len()));
    let store = ctx.store.clone();
    let (owned_outputs, owned_chosen) = (outputs.clone(), chosen.clone());
    let DubPlan {
        plan: pieces_plan,
        mut fits,
        lines,
        ..
    } = plan;
    let (track, fits, pieces_plan) = tokio::task::spawn_blocking(move || {
        let track = write_track(
            &store,
            piece,
            &pieces_plan,
            &mut fits,
            &owned_chosen,
            measured,
            &settings,
            &owned_outputs,
        );
        (track, fits, pieces_plan)
    })
    .await
    .map_err(|e| Failure {
        code: exit::NETWORK,
        message: format!("writing the track stopped unexpectedly ({e}); run again"),
    })?;
    let track = track.map_err(|e| {
        let code = match e {
            TrackError::Write(_) => exit::NETWORK,
            TrackError::Other(_) => exit::TASK_FAILED,
        };
        let message = e.to_string();
        let _ = ctx.store.set_piece_state(piece, "failed", Some(&message));
        Failure { code, message }
    })?;
    if track.unchanged {
        build.say(format!(
            "nothing changed: {} was left as it was",
            outputs.audio.display()
        ));
    }
    let mix = match (&args.video, &outputs.mix) {
        (Some(video), Some(mix)) if !track.unchanged || !mix.is_file() => {
            build.say(format!("mixing into {}", mix.display()));
            let done = duck_and_mux(
                video,
                &outputs.audio,
                &speaking(&fits),
                args.duck.abs(),
                mix,
            )
            .await
            .map_err(|e| Failure {
                code: exit::TASK_FAILED,
                message: format!("{e}; the speech track {} is kept", outputs.audio.display()),
            })?;
            Some(done)
        }
        (_, mix) => mix.clone(),
    };
    let overruns = fits.iter().filter(|f| f.is_overrun()).count();
    if args.json {
        let report: Vec<serde_json::Value> = fits
            .iter()
            .zip(&lines)
            .zip(&chosen)
            .map(|((f, l), c)| report_entry(f, &l.text, c.task))
            .collect();
        print_json(&json!({
            "piece": piece,
            "path": outputs.audio.display().to_string(),
            "mix": mix.as_ref().map(|m| m.display().to_string()),
            "csv": outputs.csv.display().to_string(),
            "report": report,
            "lines": pieces_plan.segments.len(),
            "overruns": overruns,
            "calls_sent": build.calls_sent,
            "cost_usd": dollars(build.cost_usd),
            "unchanged": track.unchanged,
            "length_ms": track.length_ms,
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
            fits.len(),
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
