//! `klang bed (--prompt P | --group G)`: minutes of ambience from a few
//! takes. With `--prompt`, a piece of kind `bed` whose segments are the
//! takes (`pieces::bed`): planned and priced first, `--dry-run`,
//! `--max-cost` and the budgets, nothing sent twice. With `--group`, the
//! group's completed takes. Then the takes are laid (no take back within
//! 30 s) and joined by crossfades at matched loudness, streamed to the
//! file (`audio::crossfade`).

use super::args::{BedArgs, RenderFormat};
use super::output::print_json;
use super::piece_takes::{self, dollars};
use super::speak_build::Build;
use super::{Context, Failure, exit};
use crate::audio::render::{Container, OutputFormat};
use crate::pieces::bed::{self, MAX_MINUTES, MAX_TAKES, MIN_REPEAT_S, TAKE_S, stem};
use crate::pieces::build::on_disk;
use crate::sanitize::terminal_safe;
use crate::store::{Assembled, LocalState};
use serde_json::json;
use std::path::PathBuf;

pub async fn run(ctx: Context, args: BedArgs) -> Result<i32, Failure> {
    check_flags(&args)?;
    let dir = piece_takes::out_dir(&ctx, args.out.as_deref())?;
    let format = format(&ctx, &args);
    let ext = format.container.extension();
    match (&args.prompt, &args.group) {
        (Some(prompt), _) => {
            let out = dir.join(format!("{}-bed.{ext}", stem(prompt)));
            from_prompt(ctx, &args, prompt, format, out).await
        }
        (None, Some(group)) => {
            let out = dir.join(format!("group-{}-bed.{ext}", stem(group)));
            from_group(ctx, &args, group, format, out).await
        }
        (None, None) => Err(Failure::usage(
            "give --prompt TEXT (klang makes the takes) or --group ID (a group's takes)",
        )),
    }
}

fn check_flags(args: &BedArgs) -> Result<(), Failure> {
    piece_takes::check_max_cost(args.max_cost)?;
    if !(args.minutes.is_finite() && args.minutes > 0.0 && args.minutes <= MAX_MINUTES) {
        return Err(Failure::usage(format!(
            "--minutes must be more than 0 and at most {MAX_MINUTES}, got {}",
            args.minutes
        )));
    }
    if !(args.normalize.is_finite() && (-70.0..=0.0).contains(&args.normalize)) {
        return Err(Failure::usage(format!(
            "--normalize must be -70 to 0 LUFS, e.g. -20, got {}",
            args.normalize
        )));
    }
    if args.prompt.is_some() {
        let cycle = bed::cycle_s(&vec![TAKE_S; args.takes], bed::CROSSFADE_S);
        if args.takes > MAX_TAKES || cycle < MIN_REPEAT_S {
            return Err(Failure::usage(format!(
                "--takes {}: give 4 to {MAX_TAKES} (takes of {TAKE_S:.0} s must add {MIN_REPEAT_S:.0} s before one comes back)",
                args.takes
            )));
        }
    }
    Ok(())
}

fn format(ctx: &Context, args: &BedArgs) -> OutputFormat {
    let base = ctx
        .config
        .render
        .as_ref()
        .map(|c| c.settings())
        .unwrap_or_default();
    OutputFormat {
        container: match args.format.unwrap_or(RenderFormat::Wav) {
            RenderFormat::Wav => Container::Wav,
            RenderFormat::Flac => Container::Flac,
        },
        rate: base.rate,
        bits: base.bits,
    }
}

async fn from_prompt(
    ctx: Context,
    args: &BedArgs,
    prompt: &str,
    format: OutputFormat,
    out: PathBuf,
) -> Result<i32, Failure> {
    bed::request(prompt)
        .validate()
        .map_err(|e| Failure::usage(format!("--prompt: {e}; nothing was sent")))?;
    let plan = bed::plan(prompt, args.takes, &ctx.store)?;
    let refusal =
        piece_takes::refusal(&ctx, "bed", args.max_cost, piece_takes::Sends::plan(&plan))?;
    let summary = format!(
        "bed of {} min from {} takes of {TAKE_S:.0} s: {} already made; {} calls to send, ${:.4}",
        args.minutes,
        args.takes,
        plan.made(),
        plan.to_send.len(),
        plan.cost_to_send()
    );
    let extra = json!({ "path": out.display().to_string(), "takes": args.takes });
    let flags = (args.dry_run, args.json);
    if let Some(code) = piece_takes::show_plan(flags, &summary, &plan, extra, refusal)? {
        return Ok(code);
    }
    std::fs::create_dir_all(atomic_dir(&out)).map_err(|e| {
        Failure::usage(format!(
            "cannot create {}: {e}; nothing was sent. Give --out a folder you can write",
            atomic_dir(&out).display()
        ))
    })?;
    let settings = bed::Settings {
        kind: "bed".into(),
        minutes: args.minutes,
        takes: args.takes,
        looped: args.looped,
        normalize: args.normalize,
        container: format.container,
        rate: format.rate,
        bits: format.bits,
    };
    let piece = ctx.store.upsert_piece(
        "bed",
        prompt,
        &out.display().to_string(),
        &serde_json::to_string(&settings).unwrap_or_default(),
    )?;
    let rows: Vec<_> = plan.segments.iter().map(|s| s.row()).collect();
    ctx.store.set_segments(piece, &rows)?;
    let folder = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (build, chosen) =
        piece_takes::make(&ctx, args.json, piece, &plan, &folder, Default::default()).await?;
    let key = bed::assembly_key(&chosen, &settings, &out);
    let previous = ctx.store.piece_assembled(piece)?;
    if previous.as_ref().is_some_and(|(k, _)| *k == key) && out.is_file() {
        ctx.store.set_piece_state(piece, "assembled", None)?;
        let figures = previous
            .and_then(|(_, f)| f)
            .and_then(|f| serde_json::from_str::<serde_json::Value>(&f).ok())
            .unwrap_or_default();
        build.say(format!(
            "nothing changed: {} was left as it was",
            out.display()
        ));
        return report(args, &build, Some(piece), &out, figures, true);
    }
    let paths = chosen.iter().map(|c| c.path.clone()).collect();
    let origin = bed::origin(prompt, &format!("piece-{piece}"), &settings);
    let figures = write(&settings, paths, prompt, origin, &out, &build).await;
    let figures = match figures {
        Ok(f) => f,
        Err(failure) => {
            ctx.store
                .set_piece_state(piece, "failed", Some(&failure.message))?;
            return Err(failure);
        }
    };
    ctx.store.set_piece_assembled(
        piece,
        &Assembled {
            key,
            figures: figures.to_string(),
            ..Assembled::default()
        },
    )?;
    piece_takes::write_manifest(&ctx, &out, &figures["audio"], prompt, &chosen)?;
    report(args, &build, Some(piece), &out, figures, false)
}

fn atomic_dir(out: &std::path::Path) -> &std::path::Path {
    crate::atomic_file::parent_dir(out)
}

async fn from_group(
    ctx: Context,
    args: &BedArgs,
    group: &str,
    format: OutputFormat,
    out: PathBuf,
) -> Result<i32, Failure> {
    if args.dry_run {
        eprintln!("dry run: a bed from a group sends nothing");
    }
    let records = ctx.store.group(group)?;
    let usable: Vec<_> = records
        .iter()
        .filter(|r| {
            !r.discarded && !matches!(r.state, LocalState::Failed | LocalState::SubmitFailed)
        })
        .map(|r| r.id)
        .collect();
    if usable.is_empty() {
        return Err(Failure::usage(format!(
            "group {}: no takes that completed or are on their way; `klang list --group ID` shows a group's takes",
            terminal_safe(group)
        )));
    }
    if usable.len() > MAX_TAKES {
        return Err(Failure::usage(format!(
            "group {}: {} takes; a bed uses at most {MAX_TAKES} (discard some with the dashboard's x)",
            terminal_safe(group),
            usable.len()
        )));
    }
    if args.dry_run {
        return Ok(exit::OK);
    }
    std::fs::create_dir_all(atomic_dir(&out)).map_err(|e| {
        Failure::usage(format!(
            "cannot create {}: {e}. Give --out a folder you can write",
            atomic_dir(&out).display()
        ))
    })?;
    let headless = super::headless::Headless::start(&ctx, args.json).await?;
    let mut build = Build {
        headless,
        calls_sent: 0,
        cost_usd: 0.0,
        stop: None,
        interrupted: false,
        clips: std::collections::HashMap::new(),
    };
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let dir = ctx
        .engine_config
        .download_dir
        .join(format!("group-{}", stem(group)));
    build
        .wait_and_download(usable.iter().copied().collect(), dir, &mut ctrl_c)
        .await;
    if let Some(stop) = build.stop.take() {
        return Err(stop);
    }
    let mut paths = Vec::new();
    for id in usable {
        let record = ctx.store.get(id)?;
        match on_disk(&record) {
            Some(path) if record.state == LocalState::Completed => paths.push(path),
            _ => build.say(format!(
                "#{id} is {} and not on disk: left out",
                record.state
            )),
        }
    }
    if paths.is_empty() {
        return Err(Failure {
            code: exit::TASK_FAILED,
            message: format!(
                "group {}: no take could be downloaded; run again once they complete",
                terminal_safe(group)
            ),
        });
    }
    let settings = bed::Settings {
        kind: "bed".into(),
        minutes: args.minutes,
        takes: paths.len(),
        looped: args.looped,
        normalize: args.normalize,
        container: format.container,
        rate: format.rate,
        bits: format.bits,
    };
    let origin = bed::origin(group, &format!("group-{group}"), &settings);
    let figures = write(&settings, paths, group, origin, &out, &build).await?;
    report(args, &build, None, &out, figures, false)
}

/// The bed written off the async runtime; its figures as JSON.
async fn write(
    settings: &bed::Settings,
    paths: Vec<PathBuf>,
    seed_text: &str,
    origin: crate::audio::origin::Origin,
    out: &std::path::Path,
    build: &Build,
) -> Result<serde_json::Value, Failure> {
    build.say(format!(
        "laying {} takes into {} min",
        paths.len(),
        settings.minutes
    ));
    let owned = settings.clone();
    let seed = bed::seed_of(seed_text);
    let target = out.to_path_buf();
    let written = tokio::task::spawn_blocking(move || {
        bed::write(
            paths,
            owned.minutes,
            owned.looped,
            owned.normalize,
            owned.format(),
            seed,
            Some(&origin),
            &target,
        )
    })
    .await
    .map_err(|e| Failure {
        code: exit::NETWORK,
        message: format!("writing the bed stopped unexpectedly ({e}); run again"),
    })?
    .map_err(|e| Failure {
        code: exit::TASK_FAILED,
        message: format!("{e}; the takes are kept"),
    })?;
    Ok(bed::figures(&written, settings))
}

fn report(
    args: &BedArgs,
    build: &Build,
    piece: Option<i64>,
    out: &std::path::Path,
    figures: serde_json::Value,
    unchanged: bool,
) -> Result<i32, Failure> {
    if args.json {
        let mut report = json!({
            "piece": piece,
            "path": out.display().to_string(),
            "calls_sent": build.calls_sent,
            "cost_usd": dollars(build.cost_usd),
            "unchanged": unchanged,
        });
        if let (Some(map), serde_json::Value::Object(more)) = (report.as_object_mut(), figures) {
            for (k, v) in more {
                map.insert(k, v);
            }
        }
        print_json(&report);
    } else {
        super::output::outln!("{}", terminal_safe(&out.display().to_string()));
        build.say(format!(
            "{} calls sent this run, ${:.4}",
            build.calls_sent, build.cost_usd
        ));
    }
    Ok(exit::OK)
}
