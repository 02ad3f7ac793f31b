//! The middle of every piece command after `klang speak` (`bed`, `foley`):
//! the plan's missing takes sent through `speak_build`'s builder (each
//! take's key written with its row before the create leaves, so nothing
//! is sent twice), every take waited for and downloaded, and each
//! segment's take chosen again from the store. What the command makes of
//! the takes is its own.

use super::speak_build::Build;
use super::{Context, Failure, exit};
use crate::pieces::Take;
use crate::pieces::build::{Chosen, choose_all, missing_summary};
use crate::pieces::plan::Plan;
use crate::sanitize::terminal_safe;

/// The takes of every segment, on disk, in order; and the build (calls
/// sent, cost) for the report.
pub(super) async fn make(
    ctx: &Context,
    json: bool,
    piece: i64,
    plan: &Plan,
    folder: &str,
    clips: std::collections::HashMap<usize, crate::video::LocalVideo>,
) -> Result<(Build, Vec<Chosen>), Failure> {
    let headless = super::headless::Headless::start(ctx, json).await?;
    if ctx.is_sandbox() {
        headless.say("SANDBOX: simulated audio, nothing is charged");
    }
    let mut build = Build {
        headless,
        calls_sent: 0,
        cost_usd: 0.0,
        stop: None,
        interrupted: false,
        clips,
    };
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    if !plan.to_send.is_empty() {
        // New takes: what was assembled no longer matches.
        ctx.store.set_piece_state(piece, "planned", None)?;
    }
    let mut waiting = build.send(ctx, plan, &mut ctrl_c).await;
    for s in &plan.segments {
        if let Take::Running(r) | Take::Made(r) = &s.take {
            waiting.insert(r.id);
        }
    }
    if build.stop.is_none() && !build.interrupted {
        let dir = ctx.engine_config.download_dir.join("pieces").join(folder);
        build.wait_and_download(waiting, dir, &mut ctrl_c).await;
    }
    build.left_partial(ctx, piece)?;
    match choose_all(&ctx.store, piece, plan)? {
        Ok(chosen) => Ok((build, chosen)),
        Err(problems) => {
            let summary = missing_summary(&problems, plan.segments.len());
            ctx.store
                .set_piece_state(piece, "partial", Some(&summary))?;
            for p in &problems {
                build.say(p);
            }
            Err(Failure {
                code: exit::TASK_FAILED,
                message: format!(
                    "the piece is partial: {summary}; run the same command again to send what is missing"
                ),
            })
        }
    }
}

/// The plan shown before anything is sent. A dry run prints it on stdout
/// (`--json`: `extra`'s fields with the plan's made, calls and cost; else
/// `summary`) and ends, exiting by the refusal; a real run prints
/// `summary` on stderr (not with `--json`) and stops at a refusal.
/// `Ok(Some(code))` ends the command, `Ok(None)` goes on to send.
pub(super) fn show_plan(
    flags: (bool, bool),
    summary: &str,
    plan: &Plan,
    extra: serde_json::Value,
    refusal: Option<Failure>,
) -> Result<Option<i32>, Failure> {
    let (dry_run, json) = flags;
    if dry_run {
        if json {
            let mut doc = extra;
            doc["dry_run"] = true.into();
            doc["already_made"] = plan.made().into();
            doc["calls_to_send"] = plan.to_send.len().into();
            doc["cost_usd"] = dollars(plan.cost_to_send()).into();
            super::output::print_json(&doc);
        } else {
            super::output::outln!("{}", terminal_safe(summary));
        }
        eprintln!("dry run: nothing was sent");
        return match refusal {
            Some(f) => Err(f),
            None => Ok(Some(exit::OK)),
        };
    }
    if !json {
        eprintln!("{}", terminal_safe(summary));
    }
    match refusal {
        Some(f) => Err(f),
        None => Ok(None),
    }
}

pub(super) fn dollars(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// What a plan would send, priced: `at_most` when retakes it cannot
/// foresee may be part of it (a dub's overruns).
pub(super) struct Sends {
    pub calls: usize,
    pub cost: f64,
    pub at_most: bool,
}

impl Sends {
    /// Exactly what `plan` has to send.
    pub fn plan(plan: &Plan) -> Sends {
        Sends {
            calls: plan.to_send.len(),
            cost: plan.cost_to_send(),
            at_most: false,
        }
    }
}

/// `--max-cost` or a budget this plan would pass: refused before the
/// first call. One wording for speak, dub, bed and foley.
pub(super) fn refusal(
    ctx: &Context,
    what: &str,
    max_cost: Option<f64>,
    sends: Sends,
) -> Result<Option<Failure>, Failure> {
    let Sends {
        calls,
        cost,
        at_most,
    } = sends;
    if let Some(max) = max_cost
        && cost > max + 1e-9
    {
        let up_to = if at_most { "up to " } else { "" };
        return Ok(Some(Failure::usage(format!(
            "{what}: the plan sends {up_to}{calls} calls for ${cost:.4}, above --max-cost ${max:.4}; nothing was sent"
        ))));
    }
    Ok(
        crate::engine::check_budget(&ctx.store, ctx.engine_config.budget, cost)?
            .err()
            .map(|over| {
                Failure::usage(format!(
                    "{what}: the plan's {calls} calls: {over}; nothing was sent"
                ))
            }),
    )
}

pub(super) fn check_max_cost(max_cost: Option<f64>) -> Result<(), Failure> {
    if let Some(max) = max_cost
        && !(max.is_finite() && max >= 0.0)
    {
        return Err(Failure::usage(format!(
            "--max-cost must be a number of dollars, 0 or more, got {max}"
        )));
    }
    Ok(())
}

/// The output folder: `--out`, else the download directory, absolute.
pub(super) fn out_dir(
    ctx: &Context,
    out: Option<&std::path::Path>,
) -> Result<std::path::PathBuf, Failure> {
    let dir = out
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| ctx.engine_config.download_dir.clone());
    let dir = if dir.is_absolute() {
        dir
    } else {
        std::env::current_dir()
            .map_err(|e| Failure::usage(format!("cannot tell the current directory: {e}")))?
            .join(dir)
    };
    Ok(std::fs::canonicalize(&dir).unwrap_or(dir))
}

/// `<stem>.manifest.csv` beside `output`: one row for the piece's file
/// (length, loudness, true peak from its `audio` figures, the prompt, the
/// task ids of the takes it was made from and what they cost). Returns
/// its path.
pub(super) fn write_manifest(
    ctx: &Context,
    output: &std::path::Path,
    audio: &serde_json::Value,
    prompt: &str,
    chosen: &[Chosen],
) -> Result<std::path::PathBuf, Failure> {
    let records: Vec<_> = chosen
        .iter()
        .filter_map(|c| ctx.store.get(c.task).ok())
        .collect();
    let row = crate::audio::manifest::ManifestRow {
        file: output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        duration_s: audio["duration_s"].as_f64().unwrap_or(0.0),
        loudness_lufs: audio["loudness_lufs"].as_f64(),
        true_peak_dbtp: audio["true_peak_dbtp"].as_f64(),
        prompt: prompt.to_string(),
        task_ids: records
            .iter()
            .map(|r| r.task_id.clone().unwrap_or_else(|| format!("#{}", r.id)))
            .collect(),
        cost_usd: records.iter().map(|r| r.cost_usd).sum(),
    };
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = crate::atomic_file::parent_dir(output).join(format!("{stem}.manifest.csv"));
    crate::audio::manifest::write(&path, &[row]).map_err(|message| Failure {
        code: exit::TASK_FAILED,
        message,
    })?;
    Ok(path)
}
