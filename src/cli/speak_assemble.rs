//! The end of a `klang speak` build: each segment's take chosen again
//! and the piece assembled by `pieces::build` (shared with the dashboard);
//! here, what the CLI prints and how it exits. A piece with a segment
//! missing is left partial and named; one whose takes and settings are
//! what it was last assembled from is left untouched.

use super::args::{RenderFormat, SpeakArgs};
use super::output::print_json;
use super::speak_build::Build;
use super::{Context, Failure, exit};
use crate::audio::assemble::{AssembleError, AssemblyOptions};
use crate::audio::render::{Container, OutputFormat};
use crate::pieces::build::{
    Gaps, Outputs, WriteError, assembly_key, choose_all, missing_summary, piece_origin, write_all,
    write_manifest,
};
use crate::pieces::plan::Plan;
use crate::store::Assembled;

pub(super) async fn finish(
    ctx: &Context,
    args: &SpeakArgs,
    build: Build,
    piece: i64,
    plan: Plan,
    outputs: &Outputs,
) -> Result<i32, Failure> {
    let (chosen, problems) = match choose_all(&ctx.store, piece, &plan)? {
        Ok(chosen) => (chosen, Vec::new()),
        Err(problems) => (Vec::new(), problems),
    };
    if !problems.is_empty() {
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
                "segments": plan.segments.len(),
                "missing": problems,
                "calls_sent": build.calls_sent,
                "cost_usd": dollars(build.cost_usd),
            }));
        }
        return Err(Failure {
            code: exit::TASK_FAILED,
            message: format!(
                "the piece is partial: {summary}; {} was not written",
                outputs.audio.display()
            ),
        });
    }
    let opts = options(ctx, args);
    let key = assembly_key(&plan, &chosen, &opts, gaps(args), outputs);
    let previous = ctx.store.piece_assembled(piece)?;
    let unchanged = outputs.unchanged(previous.as_ref(), &key);
    let audio: Option<serde_json::Value> = if unchanged {
        build.say(format!(
            "nothing changed: {} was left as it was",
            outputs.audio.display()
        ));
        ctx.store.set_piece_state(piece, "assembled", None)?;
        previous.and_then(|(_, f)| f.and_then(|f| serde_json::from_str(&f).ok()))
    } else {
        build.say(format!("assembling {} segments", chosen.len()));
        let origin = piece_origin(piece, &plan);
        let stats = match write_blocking(
            &plan,
            chosen.clone(),
            opts,
            gaps(args),
            outputs,
            origin.clone(),
        )
        .await
        {
            Ok(stats) => stats,
            Err(failure) => {
                // Its segments stay made: the next run only assembles.
                ctx.store
                    .set_piece_state(piece, "failed", Some(&failure.message))?;
                return Err(failure);
            }
        };
        write_manifest(&ctx.store, outputs, &chosen, &stats, &origin).map_err(|message| {
            Failure {
                code: exit::NETWORK,
                message,
            }
        })?;
        let figures = serde_json::to_value(&stats).unwrap_or_default();
        ctx.store.set_piece_assembled(
            piece,
            &Assembled {
                key,
                srt: outputs.srt.display().to_string(),
                vtt: outputs.vtt.display().to_string(),
                chapters: outputs.chapters.display().to_string(),
                figures: figures.to_string(),
            },
        )?;
        Some(figures)
    };
    let report = serde_json::json!({
        "piece": piece,
        "state": "assembled",
        "path": outputs.audio.display().to_string(),
        "srt": outputs.srt.display().to_string(),
        "vtt": outputs.vtt.display().to_string(),
        "chapters": outputs.chapters.display().to_string(),
        "manifest": outputs.manifest().display().to_string(),
        "segments": plan.segments.len(),
        "calls_sent": build.calls_sent,
        "cost_usd": dollars(build.cost_usd),
        "unchanged": unchanged,
        "audio": audio,
    });
    if args.json {
        print_json(&report);
    } else {
        super::output::outln!(
            "{}",
            crate::sanitize::terminal_safe(&outputs.audio.display().to_string())
        );
        build.say(format!(
            "{} segments; {} calls sent this run, ${:.4}",
            plan.segments.len(),
            build.calls_sent,
            build.cost_usd
        ));
    }
    Ok(exit::OK)
}

fn dollars(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The output's format: `--format`, rate and bits as `render` has them.
fn options(ctx: &Context, args: &SpeakArgs) -> AssemblyOptions {
    let base = ctx
        .config
        .render
        .as_ref()
        .map(|c| c.settings())
        .unwrap_or_default();
    AssemblyOptions {
        target_lufs: args.normalize,
        format: OutputFormat {
            container: match args.format.unwrap_or(RenderFormat::Wav) {
                RenderFormat::Wav => Container::Wav,
                RenderFormat::Flac => Container::Flac,
            },
            rate: base.rate,
            bits: base.bits,
        },
        ..AssemblyOptions::default()
    }
}

fn gaps(args: &SpeakArgs) -> Gaps {
    Gaps {
        sentence_ms: args.gap,
        paragraph_ms: args.paragraph_gap,
    }
}

/// `write_all` off the async runtime, its failure as the CLI says it.
async fn write_blocking(
    plan: &Plan,
    chosen: Vec<crate::pieces::build::Chosen>,
    opts: AssemblyOptions,
    gaps: Gaps,
    outputs: &Outputs,
    origin: crate::audio::origin::Origin,
) -> Result<crate::audio::AudioStats, Failure> {
    let (owned_plan, owned_outputs) = (plan.clone(), outputs.clone());
    tokio::task::spawn_blocking(move || {
        write_all(
            &owned_plan,
            &chosen,
            &opts,
            gaps,
            &owned_outputs,
            Some(&origin),
        )
        .map(|(stats, _)| stats)
    })
    .await
    .map_err(|e| Failure {
        code: exit::NETWORK,
        message: format!("assembling stopped unexpectedly ({e}); run again"),
    })?
    .map_err(|e| match e {
        WriteError::Assemble(e) => assemble_failure(e, plan),
        caption @ WriteError::Caption { .. } => Failure {
            code: exit::NETWORK,
            message: caption.to_string(),
        },
    })
}

fn assemble_failure(e: AssembleError, plan: &Plan) -> Failure {
    let code = match &e {
        AssembleError::Write { .. } => exit::NETWORK,
        AssembleError::Settings(_) | AssembleError::Empty => exit::USAGE,
        _ => exit::TASK_FAILED,
    };
    let mut message = e.to_string();
    if let AssembleError::Chunk { number, .. } | AssembleError::Silent { number, .. } = &e
        && plan.segments.get(number.wrapping_sub(1)).is_some()
    {
        message.push_str(&format!(
            " (segment {number}; --retake {number} sends a new take)"
        ));
    }
    message.push_str("; the made segments are kept");
    Failure { code, message }
}
