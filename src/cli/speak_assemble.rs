//! The end of a build: each segment's take chosen again from the store
//! (the starred one, else the newest made), a piece with a segment
//! missing left partial and named, and a complete one assembled with its
//! SRT, WebVTT and chapters beside it, all written atomically. A piece
//! whose takes and settings are what it was last assembled from is left
//! untouched.

use super::args::{RenderFormat, SpeakArgs};
use super::output::print_json;
use super::speak::Outputs;
use super::speak_build::{Build, on_disk};
use super::{Context, Failure, exit};
use crate::audio::AudioStats;
use crate::audio::assemble::{AssembleError, AssemblyInput, AssemblyOptions, assemble};
use crate::audio::render::{Container, OutputFormat};
use crate::pieces::captions::{self, Timed};
use crate::pieces::plan::{Plan, Segment};
use crate::pieces::split::Join;
use crate::pieces::{Take, choose};
use crate::store::Assembled;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The take each segment uses, with its file.
struct Chosen {
    task: i64,
    path: PathBuf,
}

pub(super) async fn finish(
    ctx: &Context,
    args: &SpeakArgs,
    build: Build,
    piece: i64,
    plan: Plan,
    outputs: &Outputs,
) -> Result<i32, Failure> {
    let mut chosen = Vec::with_capacity(plan.segments.len());
    let mut problems = Vec::new();
    for s in &plan.segments {
        match choose(&ctx.store.takes_of(&s.key)?) {
            Take::Made(r) => match on_disk(&r) {
                Some(path) => {
                    ctx.store
                        .choose_segment_task(piece, s.position as i64, r.id)?;
                    chosen.push(Chosen { task: r.id, path });
                }
                None => problems.push(problem(s, &format!("take #{} could not be downloaded; run again to fetch it", r.id))),
            },
            Take::Running(r) => problems.push(problem(s, &format!("take #{} is still {}; run again to continue", r.id, r.state))),
            Take::Unknown(r) => problems.push(problem(
                s,
                &format!(
                    "take #{} is {} (it may have been charged, so it is not sent again); --retake {} sends a new one",
                    r.id, r.state, s.position
                ),
            )),
            Take::Missing { failed } => {
                let why = failed
                    .as_ref()
                    .and_then(|f| f.fail_msg.clone().or(f.last_error.clone()))
                    .unwrap_or_else(|| "no take".into());
                problems.push(problem(s, &format!("failed: {why}; the next run sends only what failed")));
            }
        }
    }
    if !problems.is_empty() {
        let summary = format!(
            "{} of {} segments are missing: {}",
            problems.len(),
            plan.segments.len(),
            problems[0]
        );
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
    let key = assembly_key(&plan, &chosen, &opts, args, outputs);
    let previous = ctx.store.piece_assembled(piece)?;
    let unchanged = previous.as_ref().is_some_and(|(k, _)| *k == key)
        && [
            &outputs.audio,
            &outputs.srt,
            &outputs.vtt,
            &outputs.chapters,
        ]
        .iter()
        .all(|p| p.is_file());
    let audio: Option<serde_json::Value> = if unchanged {
        build.say(format!(
            "nothing changed: {} was left as it was",
            outputs.audio.display()
        ));
        ctx.store.set_piece_state(piece, "assembled", None)?;
        previous.and_then(|(_, f)| f.and_then(|f| serde_json::from_str(&f).ok()))
    } else {
        let stats = match write_all(args, &build, &plan, &chosen, opts, outputs).await {
            Ok(stats) => stats,
            Err(failure) => {
                // Its segments stay made: the next run only assembles.
                ctx.store
                    .set_piece_state(piece, "failed", Some(&failure.message))?;
                return Err(failure);
            }
        };
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

fn problem(s: &Segment, why: &str) -> String {
    let excerpt: String = s.chunk.text.chars().take(40).collect();
    let more = if s.chunk.chars() > 40 { "…" } else { "" };
    format!("segment {} (\"{excerpt}{more}\"): {why}", s.position)
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

fn gap_ms(join: Join, args: &SpeakArgs) -> u32 {
    match join {
        Join::Start => 0,
        Join::Sentence => args.gap,
        Join::Paragraph => args.paragraph_gap,
        Join::Pause(ms) => ms,
    }
}

/// What the output is made from: every take, its place, the joins, the
/// captions' sentences and chapters, the settings and where it goes.
fn assembly_key(
    plan: &Plan,
    chosen: &[Chosen],
    opts: &AssemblyOptions,
    args: &SpeakArgs,
    outputs: &Outputs,
) -> String {
    let mut hash = Sha256::new();
    hash.update(format!("{opts:?}|{outputs:?}|").as_bytes());
    for (s, c) in plan.segments.iter().zip(chosen) {
        hash.update(
            format!(
                "{}|{}|{}|{:?}|{:?}|{}\n",
                c.task,
                c.path.display(),
                gap_ms(s.chunk.join, args),
                s.chunk.chapter,
                s.chunk.sentences,
                s.key
            )
            .as_bytes(),
        );
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Assembles the audio and writes the captions and chapters beside it.
async fn write_all(
    args: &SpeakArgs,
    build: &Build,
    plan: &Plan,
    chosen: &[Chosen],
    opts: AssemblyOptions,
    outputs: &Outputs,
) -> Result<AudioStats, Failure> {
    let inputs: Vec<AssemblyInput> = plan
        .segments
        .iter()
        .zip(chosen)
        .map(|(s, c)| AssemblyInput {
            path: c.path.clone(),
            gap_before: Duration::from_millis(u64::from(gap_ms(s.chunk.join, args))),
        })
        .collect();
    build.say(format!("assembling {} segments", inputs.len()));
    let out = outputs.audio.clone();
    let report = tokio::task::spawn_blocking(move || assemble(&inputs, &opts, &out))
        .await
        .map_err(|e| Failure {
            code: exit::NETWORK,
            message: format!("assembling stopped unexpectedly ({e}); run again"),
        })?
        .map_err(|e| assemble_failure(e, plan))?;
    let pauses: Vec<Vec<(f64, f64)>> = report
        .placements
        .iter()
        .map(|p| {
            p.pauses
                .iter()
                .map(|(a, b)| (a.as_secs_f64(), b.as_secs_f64()))
                .collect()
        })
        .collect();
    let timed: Vec<Timed<'_>> = plan
        .segments
        .iter()
        .zip(&report.placements)
        .zip(&pauses)
        .map(|((s, p), pauses)| Timed {
            chunk: &s.chunk,
            start: p.start.as_secs_f64(),
            end: p.end.as_secs_f64(),
            pauses,
        })
        .collect();
    let cues = captions::cues(&timed);
    write_atomically(&outputs.srt, &captions::srt(&cues))?;
    write_atomically(&outputs.vtt, &captions::vtt(&cues))?;
    write_atomically(
        &outputs.chapters,
        &captions::chapters(&timed, report.audio.duration_s),
    )?;
    Ok(report.audio)
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

/// Writes `text` to `path` through a temporary file in the same folder
/// that cannot be planted, renamed into place: a reader sees the old file
/// or the new one.
fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    crate::atomic_file::write_replacing(path, "caption", text.as_bytes()).map_err(|e| Failure {
        code: exit::NETWORK,
        message: format!(
            "cannot write {}: {e}; check that the folder is writable and has room (the made segments are kept)",
            path.display()
        ),
    })
}
