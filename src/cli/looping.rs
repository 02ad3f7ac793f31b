//! `klang loop (ID | FILE)`: a seamless loop (`audio::looping`) of a
//! result (downloaded first if needed) or of any audio file, written as a
//! WAV with a `smpl` loop chunk or a FLAC with LOOPSTART/LOOPLENGTH, beside
//! the source or in `--out`, never over an existing file. Sends nothing.

use super::args::{LoopArgs, NameStyle, RenderFormat};
use super::headless::Headless;
use super::output::{outln, print_json};
use super::{Context, Failure, exit};
use crate::audio::looping::{LoopError, LoopOptions, LoopReport, make_loop};
use crate::audio::origin::Origin;
use crate::audio::render::{Container, OutputFormat};
use crate::sanitize::terminal_safe;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The source: where its audio is, what to call the loop, its origin.
struct Source {
    path: PathBuf,
    stem: String,
    origin: Origin,
}

pub(super) async fn run(ctx: Context, args: LoopArgs) -> Result<i32, Failure> {
    super::render::check_naming(&args.naming)?;
    if !(1..=10_000).contains(&args.crossfade) {
        return Err(Failure::usage(format!(
            "--crossfade {}: give 1 to 10000 ms (e.g. 500)",
            args.crossfade
        )));
    }
    let source = source(&ctx, &args).await?;
    let container = match args.format {
        RenderFormat::Wav => Container::Wav,
        RenderFormat::Flac => Container::Flac,
    };
    let dir = match &args.out {
        Some(dir) if dir.as_os_str().is_empty() => {
            return Err(Failure::usage("--out is empty: give a directory"));
        }
        Some(dir) => dir.clone(),
        None => crate::atomic_file::parent_dir(&source.path).to_path_buf(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Failure {
        code: exit::NETWORK,
        message: format!("cannot create {}: {e}", dir.display()),
    })?;
    let name = match args.naming.style {
        NameStyle::Plain => format!("{}.loop.{}", source.stem, container.extension()),
        NameStyle::Ucs => crate::audio::ucs::file_name(
            &source.origin.description,
            args.naming.catid.as_deref(),
            &format!("{}-loop", source.origin.reference),
            container.extension(),
        ),
    };
    let opts = LoopOptions {
        crossfade: Duration::from_millis(args.crossfade),
        format: OutputFormat {
            container,
            rate: None,
            bits: 24,
        },
    };
    let (path, origin) = (source.path.clone(), source.origin);
    let report =
        tokio::task::spawn_blocking(move || make_loop(&path, &opts, &dir, &name, Some(&origin)))
            .await
            .map_err(|e| Failure {
                code: exit::TASK_FAILED,
                message: format!("the loop stopped unexpectedly ({e}); run again"),
            })?
            .map_err(failure)?;
    if args.json {
        print_json(&view(&report, args.crossfade));
    } else {
        print_report(&report);
    }
    Ok(exit::OK)
}

fn failure(e: LoopError) -> Failure {
    let code = match &e {
        LoopError::Settings(_) | LoopError::TooShort { .. } => exit::USAGE,
        LoopError::Write { .. } => exit::NETWORK,
        LoopError::Source(_) => exit::TASK_FAILED,
    };
    Failure {
        code,
        message: crate::sanitize::single_line(&e.to_string()).into_owned(),
    }
}

/// A file on disk is looped as it is; anything else names a task.
async fn source(ctx: &Context, args: &LoopArgs) -> Result<Source, Failure> {
    let as_file = Path::new(&args.source);
    if as_file.is_file() {
        let stem = as_file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "loop".into());
        let name = as_file
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(Source {
            path: as_file.to_path_buf(),
            origin: Origin {
                description: stem.clone(),
                reference: name.clone(),
                model: String::new(),
                params: serde_json::json!({ "source_file": name, "crossfade_ms": args.crossfade }),
                created: chrono::Utc::now(),
            },
            stem,
        });
    }
    let record = super::find_completed(ctx, &args.source, "loop")?;
    let mut headless: Option<Headless> = None;
    let record = super::render::on_disk(ctx, &mut headless, record, args.json).await?;
    let path = PathBuf::from(record.local_path.clone().unwrap_or_default());
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("task{}", record.id));
    Ok(Source {
        path,
        stem,
        origin: record.origin(),
    })
}

fn view(r: &LoopReport, crossfade_ms: u64) -> serde_json::Value {
    serde_json::json!({
        "path": r.path.display().to_string(),
        "calls_sent": 0,
        "cost_usd": 0,
        "loop_start": r.points.start,
        "loop_end": r.points.end,
        "frames": r.frames,
        "source_frames": r.source_frames,
        "rate": r.rate,
        "crossfade_ms": crossfade_ms,
        "correlation": (r.correlation * 1000.0).round() / 1000.0,
        "audio": r.audio,
    })
}

fn print_report(r: &LoopReport) {
    outln!(
        "{:<16} {}",
        "wrote",
        terminal_safe(&r.path.display().to_string())
    );
    let seconds = |frames: u64| frames as f64 / f64::from(r.rate);
    outln!(
        "{:<16} {:.3} s of {:.3} s (frames {} to {}), crossfade {:.3} s, match {:.2}",
        "loop",
        seconds(r.frames),
        seconds(r.source_frames),
        r.points.start,
        r.points.end,
        seconds(r.crossfade_frames),
        r.correlation
    );
    outln!(
        "{:<16} {}",
        "audio",
        crate::audio::format::summary(&r.audio)
    );
}
