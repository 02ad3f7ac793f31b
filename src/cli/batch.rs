//! `klang batch FILE`: check every line, price the file, refuse it when it
//! costs too much, then send the lines (see `batch_run`). Lines already
//! created from the same file are found by their key and skipped, so a
//! second run, or one resumed after a kill, never pays twice.

use super::args::{BatchArgs, BatchFormat};
use super::batch_run::{self, Todo};
use super::output::print_json;
use super::{Context, Failure, exit};
use crate::batch::{BatchFile, Format, LineError, LoadError, Price, price};
use crate::sanitize::terminal_safe;
use crate::store::TaskRecord;
use serde_json::json;

pub async fn run(ctx: Context, args: BatchArgs) -> Result<i32, Failure> {
    check_flags(&args)?;
    let file = load(&args)?;
    warn_unknown_voices(&file);
    let whole = price(&file.lines);
    let mut done: Vec<(u64, TaskRecord)> = Vec::new();
    let mut todo: Vec<Todo> = Vec::new();
    for line in &file.lines {
        let tag = file.tag(line);
        match ctx.store.find_batch(&tag.key)? {
            Some(record) => done.push((line.number, record)),
            None => todo.push(Todo {
                line: line.clone(),
                tag,
                video: None,
            }),
        }
    }
    check_files(&ctx, &args, &mut todo).await?;
    if !args.no_check {
        let refused = super::video_check::check_lines(todo.iter().map(|t| &t.line)).await;
        if !refused.is_empty() {
            let summary = format!(
                "{} with a video the provider would refuse",
                lines(refused.len())
            );
            return Err(refuse_lines(&args, &refused, &summary));
        }
    }
    let to_send = price(todo.iter().map(|t| &t.line));
    let refusal = refusal(&ctx, &args, &whole, &to_send)?;
    if args.dry_run {
        print_plan(&args, &whole, done.len(), &to_send);
        return match refusal {
            Some(f) => Err(f),
            None => Ok(exit::OK),
        };
    }
    if let Some(f) = refusal {
        return Err(f);
    }
    batch_run::run(ctx, &args, done, todo).await
}

/// Lines with a `video_file`: a receiver the provider can reach, then each
/// distinct clip checked and hashed once; a refused clip names its lines.
async fn check_files(ctx: &Context, args: &BatchArgs, todo: &mut [Todo]) -> Result<(), Failure> {
    let mut paths: Vec<std::path::PathBuf> = todo
        .iter()
        .filter_map(|t| t.line.video_file.clone())
        .collect();
    if paths.is_empty() {
        return Ok(());
    }
    if let Some(problem) = ctx.media_receiver_problem() {
        return Err(Failure::usage(problem.replacen(
            "--video-file",
            "video_file",
            1,
        )));
    }
    paths.sort();
    paths.dedup();
    let checked = tokio::task::spawn_blocking(move || {
        paths
            .into_iter()
            .map(|p| {
                let verdict = crate::video::check_file(&p);
                (p, verdict)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| {
        Failure::usage(format!(
            "checking the video files failed ({e}); nothing was sent"
        ))
    })?;
    let mut refused = Vec::new();
    for t in todo.iter_mut() {
        let Some(path) = &t.line.video_file else {
            continue;
        };
        match checked.iter().find(|(p, _)| p == path).map(|(_, v)| v) {
            Some(Ok(video)) => t.video = Some(video.clone()),
            Some(Err(refusal)) => refused.push(LineError {
                number: t.line.number,
                field: crate::batch::VIDEO_FILE.into(),
                message: refusal.message.clone(),
            }),
            None => {}
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    let summary = format!(
        "{} with a video file the provider would refuse",
        lines(refused.len())
    );
    Err(refuse_lines(args, &refused, &summary))
}

fn check_flags(args: &BatchArgs) -> Result<(), Failure> {
    if !(args.rate.is_finite() && args.rate > 0.0 && args.rate <= 1000.0) {
        return Err(Failure::usage(format!(
            "--rate must be more than 0 and at most 1000 requests per second, got {}",
            args.rate
        )));
    }
    if let Some(max) = args.max_cost
        && !(max.is_finite() && max >= 0.0)
    {
        return Err(Failure::usage(format!(
            "--max-cost must be a number of dollars, 0 or more, got {max}"
        )));
    }
    Ok(())
}

fn load(args: &BatchArgs) -> Result<BatchFile, Failure> {
    let format = args.format.map(|f| match f {
        BatchFormat::Jsonl => Format::Jsonl,
        BatchFormat::Csv => Format::Csv,
    });
    match BatchFile::load(&args.file, format) {
        Ok(file) => Ok(file),
        Err(LoadError::Io(message)) => Err(Failure::usage(message)),
        Err(LoadError::Lines(errors)) => {
            let summary = format!("{} invalid {}", errors.len(), plural(errors.len(), "line"));
            Err(refuse_lines(args, &errors, &summary))
        }
    }
}

/// Names each refused line (on stderr, or in the JSON document) and
/// refuses the file: nothing is sent.
fn refuse_lines(args: &BatchArgs, errors: &[LineError], summary: &str) -> Failure {
    let name = args.file.display().to_string();
    if args.json {
        let list: Vec<_> = errors
            .iter()
            .map(|e| json!({"line": e.number, "field": e.field, "error": e.message}))
            .collect();
        print_json(&json!({"file": name, "invalid": list}));
    }
    for e in errors {
        eprintln!(
            "klang: {}: {}",
            terminal_safe(&name),
            terminal_safe(&e.to_string())
        );
    }
    Failure::usage(format!(
        "{name}: {summary}, nothing was sent; fix {} and run again",
        if errors.len() == 1 { "it" } else { "them" },
    ))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

fn lines(n: usize) -> String {
    format!("{n} {}", plural(n, "line"))
}

/// Why the file must not run: above `--max-cost` (the whole file), or
/// past a budget (what is left to send).
fn refusal(
    ctx: &Context,
    args: &BatchArgs,
    whole: &Price,
    to_send: &Price,
) -> Result<Option<Failure>, Failure> {
    if let Some(max) = args.max_cost
        && whole.total.cost_usd > max + 1e-9
    {
        return Ok(Some(Failure::usage(format!(
            "{} costs ${:.4} for {} lines, above --max-cost ${max:.4}; nothing was sent",
            args.file.display(),
            whole.total.cost_usd,
            whole.total.count
        ))));
    }
    let budget = ctx.engine_config.budget;
    Ok(
        crate::engine::check_budget(&ctx.store, budget, to_send.total.cost_usd)?
            .err()
            .map(|over| Failure::usage(format!("{} for this file: {over}", args.file.display()))),
    )
}

fn dollars(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn print_plan(args: &BatchArgs, whole: &Price, already: usize, to_send: &Price) {
    if args.json {
        let per_model: Vec<_> = whole
            .per_model
            .iter()
            .map(|(m, t)| json!({"model": m.api_name(), "count": t.count, "cost_usd": dollars(t.cost_usd)}))
            .collect();
        print_json(&json!({
            "file": args.file.display().to_string(),
            "dry_run": true,
            "per_model": per_model,
            "total": {"count": whole.total.count, "cost_usd": dollars(whole.total.cost_usd)},
            "already_created": already,
            "to_send": {"count": to_send.total.count, "cost_usd": dollars(to_send.total.cost_usd)},
        }));
        return;
    }
    super::output::outln!("{}", terminal_safe(&args.file.display().to_string()));
    for (model, tally) in &whole.per_model {
        super::output::outln!(
            "  {:<22} {:>6}  ${:.4}",
            model.api_name(),
            tally.count,
            tally.cost_usd
        );
    }
    super::output::outln!(
        "  {:<22} {:>6}  ${:.4}",
        "total",
        whole.total.count,
        whole.total.cost_usd
    );
    if already > 0 {
        super::output::outln!(
            "  {already} already created (skipped); to send: {} lines, ${:.4}",
            to_send.total.count,
            to_send.total.cost_usd
        );
    }
    eprintln!("dry run: nothing was sent");
}

/// A voice id not in klang's table is sent (upstream may have added it),
/// but said once per id before anything goes out.
fn warn_unknown_voices(file: &BatchFile) {
    let mut unknown: Vec<&str> = file
        .lines
        .iter()
        .filter_map(|l| match &l.request {
            crate::api::CreateRequest::Tts(p)
                if crate::api::voices::check(&p.voice_id, &p.voice_language)
                    == crate::api::voices::VoiceCheck::Unknown =>
            {
                Some(p.voice_id.trim())
            }
            _ => None,
        })
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    for id in unknown {
        eprintln!(
            "klang: warning: {}",
            terminal_safe(&crate::api::voices::unknown_warning(id))
        );
    }
}
