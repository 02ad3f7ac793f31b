//! `klang speak FILE|-`: a script of any length becomes one narration.
//! The script is split into chunks the TTS model takes in one call, each
//! chunk's takes are looked up by its content key, and the plan (segments,
//! characters, what is made, calls and price) is shown before anything is
//! sent. `--max-cost` and the budgets are checked against the whole plan;
//! then `speak_build` sends what is missing and assembles.

use super::args::{RenderFormat, SpeakArgs};
use super::output::print_json;
use super::{Context, Failure, exit};
use crate::api::voices::{self, VoiceCheck};
use crate::pieces::plan::{Plan, Segment};
use crate::pieces::split::{MAX_CHARS, split};
use crate::pieces::{Take, Voice};
use crate::sanitize::terminal_safe;
use serde_json::json;
use std::io::Read;
use std::path::Path;

pub(super) use crate::pieces::build::Outputs;

/// The script as read: its text and how to name it.
pub(super) struct Source {
    pub text: String,
    /// The file's path as given, or `-`.
    pub name: String,
}

pub async fn run(ctx: Context, args: SpeakArgs) -> Result<i32, Failure> {
    check_flags(&args)?;
    let source = read_source(&args.file)?;
    let voice = voice(&args)?;
    let script = split(&source.text);
    if script.chunks.is_empty() {
        return Err(Failure::usage(format!(
            "{}: nothing to speak (the text is empty or only markup)",
            source.name
        )));
    }
    for chunk in &script.chunks {
        // Every chunk is checked (voice, speed, length) before any is sent.
        crate::pieces::request(&chunk.text, &voice)
            .validate()
            .map_err(|e| Failure::usage(format!("{e}; nothing was sent")))?;
    }
    if voices::check(&voice.voice_id, &voice.language) == VoiceCheck::Unknown {
        eprintln!(
            "klang: warning: {}",
            terminal_safe(&voices::unknown_warning(&voice.voice_id))
        );
    }
    if let Some(&n) = args
        .retake
        .iter()
        .find(|&&n| n == 0 || n > script.chunks.len())
    {
        return Err(Failure::usage(format!(
            "--retake {n}: the script has segments 1 to {}; nothing was sent",
            script.chunks.len()
        )));
    }
    let outputs = outputs(&ctx, &args, &source)?;
    let plan = Plan::make(script, &voice, &ctx.store, &args.retake)?;
    let refusal = refusal(&ctx, &args, &plan)?;
    if args.dry_run {
        if args.json {
            print_json(&plan_json(&plan, &source, &outputs));
        } else {
            for line in plan_lines(&plan, &source) {
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
        for line in plan_lines(&plan, &source) {
            eprintln!("{}", terminal_safe(&line));
        }
    }
    if let Some(f) = refusal {
        return Err(f);
    }
    super::speak_build::run(ctx, args, voice, source, outputs, plan).await
}

fn check_flags(args: &SpeakArgs) -> Result<(), Failure> {
    if let Some(max) = args.max_cost
        && !(max.is_finite() && max >= 0.0)
    {
        return Err(Failure::usage(format!(
            "--max-cost must be a number of dollars, 0 or more, got {max}"
        )));
    }
    if !(args.normalize.is_finite() && (-70.0..=0.0).contains(&args.normalize)) {
        return Err(Failure::usage(format!(
            "--normalize must be -70 to 0 LUFS, e.g. -16, got {}",
            args.normalize
        )));
    }
    for (flag, ms) in [("--gap", args.gap), ("--paragraph-gap", args.paragraph_gap)] {
        if ms > crate::pieces::MAX_PAUSE_MS {
            return Err(Failure::usage(format!(
                "{flag} must be at most {} ms, got {ms}",
                crate::pieces::MAX_PAUSE_MS
            )));
        }
    }
    Ok(())
}

/// The voice: `--voice`, else the language's first.
fn voice(args: &SpeakArgs) -> Result<Voice, Failure> {
    let language = args.lang.language();
    let voice_id = match &args.voice {
        Some(v) if v.trim().is_empty() => {
            return Err(Failure::usage(
                "--voice must not be empty; see `klang voices`",
            ));
        }
        Some(v) => v.trim().to_string(),
        None => voices::default_for(language).to_string(),
    };
    Ok(Voice {
        voice_id,
        language: language.code().to_string(),
        speed: args.speed,
    })
}

/// The largest script klang reads, 16 MiB: some thirty novels, and about
/// 17,000 calls. A bigger file (or `/dev/zero`) is refused before it can
/// fill the memory.
pub const MAX_SCRIPT_BYTES: u64 = 16 << 20;

/// Reads the whole script (a file, or standard input for `-`) and checks
/// that it is UTF-8, naming the line and byte where it is not. Only a
/// regular file is opened (a FIFO or a device would hang the read), and
/// only up to [`MAX_SCRIPT_BYTES`].
fn read_source(path: &Path) -> Result<Source, Failure> {
    let name = path.display().to_string();
    let too_big = || {
        Failure::usage(format!(
            "{name}: larger than {} MiB; split the script into several files",
            MAX_SCRIPT_BYTES >> 20
        ))
    };
    let mut buf = Vec::new();
    if name == "-" {
        std::io::stdin()
            .take(MAX_SCRIPT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
    } else {
        let cannot = |e: std::io::Error| {
            Failure::usage(format!(
                "cannot read {name}: {e}; give a text or Markdown file, or - for standard input"
            ))
        };
        let file = crate::input_file::open_regular(path).map_err(cannot)?;
        if file.metadata().map_err(cannot)?.len() > MAX_SCRIPT_BYTES {
            return Err(too_big());
        }
        file.take(MAX_SCRIPT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(cannot)?;
    }
    if buf.len() as u64 > MAX_SCRIPT_BYTES {
        return Err(too_big());
    }
    let bytes = buf;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source { text, name }),
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            Err(Failure::usage(format!(
                "{name}: not UTF-8 text: line {line}, byte {} (byte {} of the file); save it as UTF-8",
                at - line_start + 1,
                at + 1
            )))
        }
    }
}

/// `<out>/<name>.<wav|flac>` with `.srt`, `.vtt` and `.chapters.txt`
/// beside it; the name is the script's file name, `speech` for stdin.
fn outputs(ctx: &Context, args: &SpeakArgs, source: &Source) -> Result<Outputs, Failure> {
    let dir = super::piece_takes::out_dir(ctx, args.out.as_deref())?;
    let stem = if source.name == "-" {
        "speech".to_string()
    } else {
        args.file
            .file_stem()
            .map(|s| crate::engine::download::naming::slug(&s.to_string_lossy()))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "speech".into())
    };
    let ext = match args.format.unwrap_or(RenderFormat::Wav) {
        RenderFormat::Wav => "wav",
        RenderFormat::Flac => "flac",
    };
    Ok(Outputs {
        audio: dir.join(format!("{stem}.{ext}")),
        srt: dir.join(format!("{stem}.srt")),
        vtt: dir.join(format!("{stem}.vtt")),
        chapters: dir.join(format!("{stem}.chapters.txt")),
        dir,
    })
}

/// Above `--max-cost`, or past a budget: what this plan would send, all
/// of it, checked before the first call.
fn refusal(ctx: &Context, args: &SpeakArgs, plan: &Plan) -> Result<Option<Failure>, Failure> {
    let what = args.file.display().to_string();
    super::piece_takes::refusal(
        ctx,
        &what,
        args.max_cost,
        super::piece_takes::Sends::plan(plan),
    )
}

fn state_word(segment: &Segment, to_send: bool) -> String {
    if to_send {
        return match &segment.take {
            Take::Missing {
                failed: Some(f), ..
            } => format!("to send (take #{} failed)", f.id),
            Take::Missing { .. } => "to send".into(),
            t => format!(
                "to send again (retake of #{})",
                t.record().map_or(0, |r| r.id)
            ),
        };
    }
    match &segment.take {
        Take::Made(r) => format!("made #{}", r.id),
        Take::Running(r) => format!("on its way #{}", r.id),
        Take::Unknown(r) => format!("#{} {}: not sent again (see --retake)", r.id, r.state),
        Take::Missing { .. } => "same text as an earlier segment".into(),
    }
}

/// The plan for people: one line per segment, then the totals.
pub(super) fn plan_lines(plan: &Plan, source: &Source) -> Vec<String> {
    let mut lines = vec![format!(
        "{}: {} segments, {} characters (at most {MAX_CHARS} each)",
        source.name,
        plan.segments.len(),
        plan.characters()
    )];
    let width = plan.segments.len().to_string().len();
    for (i, s) in plan.segments.iter().enumerate() {
        lines.push(format!(
            "  {:>width$}  {:>4} chars  {}",
            s.position,
            s.chunk.chars(),
            state_word(s, plan.to_send.contains(&i))
        ));
    }
    lines.push(format!(
        "  {} of {} already made; {} calls to send, ${:.4}",
        plan.made(),
        plan.segments.len(),
        plan.to_send.len(),
        plan.cost_to_send()
    ));
    lines
}

fn dollars(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn plan_json(plan: &Plan, source: &Source, outputs: &Outputs) -> serde_json::Value {
    let segments: Vec<_> = plan
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "position": s.position,
                "characters": s.chunk.chars(),
                "span": [s.chunk.span.start, s.chunk.span.end],
                "made": s.take.is_made(),
                "to_send": plan.to_send.contains(&i),
                "task": s.take.record().map(|r| r.id),
                "content_key": s.key,
            })
        })
        .collect();
    json!({
        "source": source.name,
        "dry_run": true,
        "out": outputs.dir.display().to_string(),
        "path": outputs.audio.display().to_string(),
        "srt": outputs.srt.display().to_string(),
        "vtt": outputs.vtt.display().to_string(),
        "chapters": outputs.chapters.display().to_string(),
        "segments": segments,
        "characters": plan.characters(),
        "already_made": plan.made(),
        "calls_to_send": plan.to_send.len(),
        "cost_usd": dollars(plan.cost_to_send()),
        "whole_cost_usd": dollars(plan.whole_cost()),
    })
}
