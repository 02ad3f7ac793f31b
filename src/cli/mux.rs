//! `klang mux ID [--out DIR]`: a video-to-audio result put on the video it
//! was made for (`video::mux`), beside the download or in `--out`. ffmpeg
//! is looked for first, so a machine without it downloads nothing.

use super::args::MuxArgs;
use super::headless::Headless;
use super::output::{outln, print_json};
use super::{Context, Failure, exit};
use crate::sanitize::terminal_safe;
use crate::video::mux::{self, MuxError, MuxJob, VideoSource};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Serialize)]
struct MuxView {
    task: i64,
    path: String,
    /// The video's URL or file.
    video: String,
    audio: String,
}

/// The exit code each failure deserves, as for the other commands: a
/// missing tool or a task that cannot be muxed is the user's to fix (2),
/// a host that does not deliver the video is network trouble (4).
fn failure(e: MuxError) -> Failure {
    let code = match e {
        MuxError::NoFfmpeg | MuxError::Unusable(_) => exit::USAGE,
        MuxError::Fetch(_) => exit::NETWORK,
        MuxError::Failed(_) => exit::TASK_FAILED,
    };
    Failure {
        code,
        message: crate::sanitize::single_line(&e.to_string()).into_owned(),
    }
}

pub(super) async fn run(ctx: Context, args: MuxArgs) -> Result<i32, Failure> {
    let record = super::find_completed(&ctx, &args.id, "mux")?;
    let mut video = mux::source_of(&record).map_err(failure)?;
    // A clip klang served itself is muxed from the file on disk.
    if let Some(path) = crate::engine::media::local_clip(ctx.store.clone(), record.id)
        .await
        .map_err(Failure::usage)?
    {
        video = VideoSource::File(path);
    }
    let ffmpeg = mux::find_ffmpeg(std::env::var_os("PATH").as_deref()).map_err(failure)?;
    let out =
        match &args.out {
            Some(dir) if dir.as_os_str().is_empty() => {
                return Err(Failure::usage("--out is empty: give a directory"));
            }
            Some(dir) => Some(std::path::absolute(dir).map_err(|e| {
                Failure::usage(format!("cannot resolve --out {}: {e}", dir.display()))
            })?),
            None => None,
        };
    let mut headless: Option<Headless> = None;
    let record = super::render::on_disk(&ctx, &mut headless, record, args.json).await?;
    let audio = PathBuf::from(record.local_path.clone().unwrap_or_default());
    let dir = match out {
        Some(dir) => dir,
        None => audio.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    if !args.json {
        eprintln!("klang: muxing #{} with {}", record.id, ffmpeg.display());
    }
    let job = MuxJob {
        ffmpeg,
        video: video.clone(),
        name: mux::muxed_name(&audio, record.id),
        audio: audio.clone(),
        dir,
    };
    let path = mux::run(job).await.map_err(failure)?;
    if let Err(e) = ctx.store.record_mux(record.id, &path) {
        // The file is written; only the details' pointer to it is lost.
        eprintln!(
            "klang: warning: the task store did not note the muxed file: {}",
            crate::sanitize::single_line(&e.to_string())
        );
    }
    let view = MuxView {
        task: record.id,
        path: path.display().to_string(),
        video: match video {
            VideoSource::Url(url) => url,
            VideoSource::File(file) => file.display().to_string(),
        },
        audio: audio.display().to_string(),
    };
    if args.json {
        print_json(&view);
    } else {
        outln!("{:<16} {}", "wrote", terminal_safe(&view.path));
    }
    Ok(exit::OK)
}
