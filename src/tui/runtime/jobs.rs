//! The dashboard's long jobs, off the UI task: a player (the take's
//! loudness-matched copy written first), the audio export of the render
//! key, and the mux. Each answers through the message queue.

use crate::audio::player::{self, Environment};
use crate::tui::state::Message;
use crate::video::mux::{self, VideoSource};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;

/// What one `Command::Play` asks for.
pub(super) struct Playing {
    pub path: PathBuf,
    pub gain_db: Option<f64>,
    pub offer: String,
    pub seconds: Option<f64>,
}

/// Writes the matched copy if one is asked for, starts the player and
/// waits for it; the error says why nothing (or not all) played, or that
/// the player quit long before the file's end.
pub(super) async fn run_player(
    token: u64,
    playing: Playing,
    matched_dir: Option<PathBuf>,
    env: Environment,
    tx: &UnboundedSender<Message>,
) -> Option<String> {
    let Playing {
        path,
        gain_db,
        offer,
        seconds,
    } = playing;
    let path = match (gain_db, matched_dir) {
        (Some(gain), Some(dir)) => {
            let source = path.clone();
            let copy = tokio::task::spawn_blocking(move || {
                crate::audio::matched::write_matched_copy(&source, gain, &dir)
            })
            .await;
            match copy {
                Ok(Ok(copy)) => copy,
                Ok(Err(e)) => return Some(format!("cannot match the take's loudness: {e}")),
                Err(e) => return Some(format!("cannot match the take's loudness: {e}")),
            }
        }
        _ => path,
    };
    let player = match player::choose(&env, &path, &offer) {
        Ok(p) => p,
        Err(why) => return Some(why.to_string()),
    };
    let name = player.describe();
    let mut child = match tokio::process::Command::from(player.command(&path))
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            return Some(format!(
                "cannot start {name}: {e}; set `player` in config.toml"
            ));
        }
    };
    let _ = tx.send(Message::PlayerStarted { token });
    let started = std::time::Instant::now();
    match child.wait().await {
        Ok(s) if s.success() => player::stopped_early(&player.name(), started.elapsed(), seconds),
        Ok(s) => Some(format!(
            "{name} stopped with {s}; try another `player` in config.toml"
        )),
        Err(e) => Some(format!("{name}: {e}")),
    }
}

/// Exports the audio: the file through the render chain of `[render]`,
/// written in `dir` (made if missing). Runs on a blocking thread.
pub(super) fn export_audio(
    source: &Path,
    settings: &crate::audio::render::Settings,
    dir: &Path,
    stem: &str,
    origin: &crate::audio::origin::Origin,
) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    crate::audio::render::render(source, settings, dir, stem, Some(origin)).map(|r| r.path)
}

/// A seamless loop of `source` in `dir` (made if missing), 500 ms
/// crossfade, or the longest crossfade a short sound takes. Runs on a
/// thread of its own.
pub(super) fn make_loop(
    source: &Path,
    dir: &Path,
    origin: &crate::audio::origin::Origin,
) -> Result<crate::tui::state::looping::Looped, String> {
    use crate::audio::looping::{LoopError, LoopOptions, make_loop};
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let stem = source
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "loop".into());
    let name = format!("{stem}.loop.wav");
    let mut opts = LoopOptions {
        crossfade: std::time::Duration::from_millis(500),
        format: crate::audio::render::OutputFormat::default(),
    };
    let mut made = make_loop(source, &opts, dir, &name, Some(origin));
    if let Err(LoopError::TooShort { most_ms, .. }) = &made
        && *most_ms >= 10
    {
        opts.crossfade = std::time::Duration::from_millis(*most_ms);
        made = make_loop(source, &opts, dir, &name, Some(origin));
    }
    let report = made.map_err(|e| e.to_string())?;
    Ok(crate::tui::state::looping::Looped {
        path: report.path,
        seconds: report.frames as f64 / f64::from(report.rate),
        crossfade_ms: opts.crossfade.as_millis() as u64,
        correlation: report.correlation,
    })
}

/// A bed of `minutes` from group `group`'s takes at `takes`, in `dir`
/// (made if missing) as `group-<group>-bed.wav`, laid as `klang bed
/// --group` lays it. Blocking: runs on a thread of its own.
pub(super) fn make_bed(
    group: &str,
    takes: Vec<PathBuf>,
    dir: &Path,
    minutes: f64,
    format: crate::audio::render::OutputFormat,
) -> Result<crate::tui::state::bed::Bedded, String> {
    use crate::pieces::bed;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let out = dir.join(format!(
        "group-{}-bed.{}",
        bed::stem(group),
        format.container.extension()
    ));
    let settings = bed::Settings {
        kind: "bed".into(),
        minutes,
        takes: takes.len(),
        looped: false,
        normalize: bed::NORMALIZE_LUFS,
        container: format.container,
        rate: format.rate,
        bits: format.bits,
    };
    let origin = bed::origin(group, &format!("group-{group}"), &settings);
    let count = takes.len();
    let made = bed::write(
        takes,
        minutes,
        false,
        bed::NORMALIZE_LUFS,
        format,
        bed::seed_of(group),
        Some(&origin),
        &out,
    )?;
    Ok(crate::tui::state::bed::Bedded {
        seconds: made.written.frames as f64 / f64::from(made.written.rate),
        path: made.written.path,
        takes: count,
    })
}

/// Muxes task `id`'s audio onto its video (ffmpeg is found on the players'
/// PATH), notes the file in the store, and answers `Muxed`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn mux(
    tx: UnboundedSender<Message>,
    path: Option<std::ffi::OsString>,
    store: Option<std::sync::Arc<crate::store::Store>>,
    id: i64,
    video: VideoSource,
    audio: PathBuf,
    dir: PathBuf,
    name: String,
) {
    let mut video = video;
    // A clip klang served itself is muxed from the file on disk.
    if let Some(store) = &store {
        match crate::engine::media::local_clip(store.clone(), id).await {
            Ok(Some(file)) => video = crate::video::mux::VideoSource::File(file),
            Ok(None) => {}
            Err(e) => {
                let _ = tx.send(Message::Muxed { id, result: Err(e) });
                return;
            }
        }
    }
    let result = run_mux(path, video, audio, dir, name).await;
    if let (Ok(path), Some(store)) = (&result, store) {
        let path = path.clone();
        let noted = tokio::task::spawn_blocking(move || store.record_mux(id, &path)).await;
        if let Ok(Err(e)) = noted {
            tracing::warn!("the muxed file of #{id} is not in the store: {e}");
        }
    }
    let _ = tx.send(Message::Muxed { id, result });
}

/// The mux itself: ffmpeg from `path` (the PATH players
/// are looked for on), the video fetched, the file written.
async fn run_mux(
    path: Option<std::ffi::OsString>,
    video: VideoSource,
    audio: PathBuf,
    dir: PathBuf,
    name: String,
) -> Result<PathBuf, String> {
    let ffmpeg = mux::find_ffmpeg(path.as_deref()).map_err(|e| e.to_string())?;
    mux::run(mux::MuxJob {
        ffmpeg,
        video,
        audio,
        dir,
        name,
    })
    .await
    .map_err(|e| e.to_string())
}
