//! `klang render ID | --group G`: the downloaded result (fetched first if
//! needed) through the render chain (`audio::render`) into a WAV or FLAC
//! beside the download or in `--out`, then the written file measured again.
//! Settings come from `[render]` in config.toml, each flag winning over its
//! line; impossible ones are refused (exit 2) before anything is decoded.

use super::args::{NameStyle, NamingArgs, RenderArgs, RenderFormat};
use super::headless::Headless;
use super::output::{outln, print_json};
use super::{Context, Failure, audio, exit};
use crate::audio::AudioStats;
use crate::audio::manifest::{self, ManifestRow};
use crate::audio::render::{self, Container, Naming, Rendered, Settings};
use crate::sanitize::terminal_safe;
use crate::store::{LocalState, TaskRecord};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One written file as `--json` prints it.
#[derive(Serialize)]
struct RenderView {
    task: i64,
    path: String,
    /// The gain applied by `--normalize`, dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    gain_db: Option<f64>,
    /// True when the true-peak ceiling, not the target, set the gain.
    #[serde(skip_serializing_if = "Option::is_none")]
    limited_by_true_peak: Option<bool>,
    /// Seconds `--trim` cut at the start and at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    trimmed_s: Option<[f64; 2]>,
    /// What the written file measures.
    audio: AudioStats,
}

/// The settings of this call: the flags over `[render]` over the defaults.
pub(super) fn settings(config: Option<&render::RenderConfig>, args: &RenderArgs) -> Settings {
    let base = config
        .map(render::RenderConfig::settings)
        .unwrap_or_default();
    Settings {
        container: match args.format {
            Some(RenderFormat::Wav) => Container::Wav,
            Some(RenderFormat::Flac) => Container::Flac,
            None => base.container,
        },
        rate: args.rate.or(base.rate),
        bits: args.bits.unwrap_or(base.bits),
        normalize: args.normalize.or(base.normalize),
        true_peak: args.true_peak.unwrap_or(base.true_peak),
        trim: args.trim || base.trim,
        fade_ms: args.fade_ms.unwrap_or(base.fade_ms),
        mono: args.mono || base.mono,
    }
}

pub(super) async fn run(ctx: Context, args: RenderArgs) -> Result<i32, Failure> {
    let config = ctx.config.render.as_ref();
    let settings = settings(config, &args);
    settings.check().map_err(Failure::usage)?;
    check_naming(&args.naming)?;
    let out =
        match args
            .out
            .clone()
            .or_else(|| config.and_then(|c| c.out.clone()))
        {
            Some(dir) if dir.as_os_str().is_empty() => {
                return Err(Failure::usage("--out is empty: give a directory"));
            }
            Some(dir) => Some(std::path::absolute(&dir).map_err(|e| {
                Failure::usage(format!("cannot resolve --out {}: {e}", dir.display()))
            })?),
            None => None,
        };
    let (records, group) = match (&args.id, &args.group) {
        (Some(id), _) => (vec![super::find_completed(&ctx, id, "render")?], None),
        (None, Some(g)) => (group_takes(&ctx, g)?, Some(g.clone())),
        (None, None) => return Err(Failure::usage("give a task id or --group G")),
    };
    let digits = records.len().to_string().len().max(2);
    let mut headless: Option<Headless> = None;
    let mut views = Vec::new();
    let mut rows = Vec::new();
    for (take, record) in records.into_iter().enumerate() {
        let record = on_disk(&ctx, &mut headless, record, args.json).await?;
        let source = PathBuf::from(record.local_path.clone().unwrap_or_default());
        let dir = match &out {
            Some(dir) => dir.clone(),
            None => source.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        let stem: String = match &group {
            Some(g) => format!("{g}_take{:0digits$}", take + 1),
            None => source
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("task{}", record.id)),
        };
        let origin = record.origin();
        let naming = match args.naming.style {
            NameStyle::Plain => Named::Suffixed(stem),
            NameStyle::Ucs => Named::Exact(crate::audio::ucs::file_name(
                &origin.description,
                args.naming.catid.as_deref(),
                &origin.reference,
                settings.container.extension(),
            )),
        };
        let rendered = render_blocking(source, settings.clone(), dir, naming, origin).await?;
        if !args.json {
            print_rendered(&rendered, &settings, views.is_empty());
        }
        rows.push(manifest_row(&record, &rendered));
        views.push(view(record.id, rendered));
    }
    if let (Some(g), Some(first)) = (&group, views.first()) {
        let dir = crate::atomic_file::parent_dir(Path::new(&first.path)).to_path_buf();
        let path = dir.join(format!(
            "{}.manifest.csv",
            crate::engine::download::naming::slug(g)
        ));
        for row in &mut rows {
            if let Ok(name) = Path::new(&row.file).strip_prefix(&dir) {
                row.file = name.display().to_string();
            }
        }
        manifest::write(&path, &rows).map_err(|message| Failure {
            code: exit::TASK_FAILED,
            message,
        })?;
        if !args.json {
            outln!("");
            outln!(
                "{:<16} {}",
                "manifest",
                terminal_safe(&path.display().to_string())
            );
        }
    }
    if args.json {
        match (group.is_some(), views.pop()) {
            (false, Some(one)) => print_json(&one),
            (_, last) => {
                views.extend(last);
                print_json(&views);
            }
        }
    }
    Ok(exit::OK)
}

/// The completed takes of group `g`, in submit order.
fn group_takes(ctx: &Context, g: &str) -> Result<Vec<TaskRecord>, Failure> {
    let all = ctx.store.group(g)?;
    let done: Vec<TaskRecord> = all
        .into_iter()
        .filter(|r| r.state == LocalState::Completed)
        .collect();
    if done.is_empty() {
        return Err(Failure::usage(format!(
            "group {g:?} has no completed task to render (see `klang list --group {g}`)"
        )));
    }
    Ok(done)
}

/// The record with its file on disk, downloading it first if needed.
pub(super) async fn on_disk(
    ctx: &Context,
    headless: &mut Option<Headless>,
    record: TaskRecord,
    json: bool,
) -> Result<TaskRecord, Failure> {
    let present = record
        .local_path
        .as_deref()
        .is_some_and(|p| Path::new(p).is_file());
    if present {
        return Ok(record);
    }
    let h = match headless {
        Some(h) => h,
        None => headless.insert(Headless::start(ctx, json).await?),
    };
    let record = h.download(record.id, None).await?;
    match record.local_path.as_deref() {
        Some(p) if Path::new(p).is_file() => Ok(record),
        _ => Err(Failure::usage(
            "the download left no file; try `klang download` first",
        )),
    }
}

/// `--catid` only with `--name ucs`, and a CatID UCS would take.
pub(super) fn check_naming(naming: &NamingArgs) -> Result<(), Failure> {
    match (&naming.catid, naming.style) {
        (Some(_), NameStyle::Plain) => {
            Err(Failure::usage("--catid names files by UCS: add --name ucs"))
        }
        (Some(catid), NameStyle::Ucs) => {
            crate::audio::ucs::check_catid(catid).map_err(Failure::usage)
        }
        (None, _) => Ok(()),
    }
}

/// A file's name, owned: the stem plus the settings' suffix, or exactly.
enum Named {
    Suffixed(String),
    Exact(String),
}

/// The manifest's row for a rendered take.
fn manifest_row(record: &TaskRecord, r: &Rendered) -> ManifestRow {
    let s = &r.written.stats;
    ManifestRow {
        file: r.path.display().to_string(),
        duration_s: s.duration_s,
        loudness_lufs: s.loudness_lufs,
        true_peak_dbtp: s.true_peak_dbtp,
        prompt: record.params.summary(),
        task_ids: vec![
            record
                .task_id
                .clone()
                .unwrap_or_else(|| format!("task-{}", record.id)),
        ],
        cost_usd: record.cost_usd,
    }
}

async fn render_blocking(
    source: PathBuf,
    settings: Settings,
    dir: PathBuf,
    named: Named,
    origin: crate::audio::origin::Origin,
) -> Result<Rendered, Failure> {
    let failed = |message: String| Failure {
        code: exit::TASK_FAILED,
        message,
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
    tokio::task::spawn_blocking(move || {
        let naming = match &named {
            Named::Suffixed(stem) => Naming::Suffixed(stem),
            Named::Exact(name) => Naming::Exact(name),
        };
        render::render_named(&source, &settings, &dir, naming, Some(&origin))
    })
    .await
    .map_err(|e| failed(format!("the render stopped: {e}")))?
    .map_err(|e| failed(crate::sanitize::single_line(&e).into_owned()))
}

fn print_rendered(r: &Rendered, settings: &Settings, first: bool) {
    if !first {
        outln!("");
    }
    outln!(
        "{:<16} {}",
        "wrote",
        terminal_safe(&r.path.display().to_string())
    );
    if let Some((lead, tail)) = r.trimmed {
        outln!(
            "{:<16} {lead:.3} s at the start, {tail:.3} s at the end",
            "trimmed"
        );
    }
    if let (Some(g), Some(target)) = (r.gain, settings.normalize) {
        let why = if g.limited_by_ceiling {
            format!(
                " (the {:.1} dBTP ceiling lowered the level below the {target:.1} LUFS target)",
                settings.true_peak
            )
        } else {
            String::new()
        };
        outln!("{:<16} {:+.2} dB{why}", "gain", g.db);
    }
    audio::print_analysis(&r.written, false);
}

fn view(task: i64, r: Rendered) -> RenderView {
    RenderView {
        task,
        path: r.path.display().to_string(),
        gain_db: r.gain.map(|g| g.db),
        limited_by_true_peak: r.gain.map(|g| g.limited_by_ceiling),
        trimmed_s: r.trimmed.map(|(a, b)| [a, b]),
        audio: r.written.stats,
    }
}
