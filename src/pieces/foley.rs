//! Foley for a whole video (`klang foley`): a piece of kind `foley` whose
//! segments are the video's windows (`video::foley`), each one
//! video-to-audio call on the window cut to a clip and served by the
//! receiver as `--video-file` serves one. A window is known by the
//! video's SHA-256, its times and the prompts, so a rerun sends nothing
//! and a retake in the segments view sends that window alone. The results
//! are joined with crossfades inside the overlaps at matched loudness
//! (`audio::crossfade`) into a track as long as the video, and muxed with
//! the video copied.

use super::build::{Assembly, Chosen, ready};
use super::plan::{Plan, Segment};
use super::split::{Chunk, Join};
use super::{Take, choose, content_key};
use crate::api::{CreateRequest, LOCAL_CLIP_PLACEHOLDER_URL, VideoToAudioParams};
use crate::audio::crossfade::{Clip, Takes, Written, write};
use crate::audio::origin::Origin;
use crate::audio::render::{Container, OutputFormat};
use crate::store::{Assembled, Store};
use crate::video::foley::Window;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What a foley piece is made with, as its settings in the store.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// `foley`: how `build::assemble_stored` knows the piece.
    pub kind: String,
    pub video: PathBuf,
    pub video_sha256: String,
    pub duration_s: f64,
    pub windows: Vec<Window>,
    pub sfx_prompt: Option<String>,
    pub bgm_prompt: Option<String>,
    pub asmr: bool,
    pub normalize: f64,
    pub container: Container,
    pub rate: Option<u32>,
    pub bits: u16,
    /// The MP4 written beside the audio.
    pub mp4: PathBuf,
    /// Where the windows' clips are kept (served while their tasks run).
    pub clips_dir: PathBuf,
}

impl Settings {
    pub fn format(&self) -> OutputFormat {
        OutputFormat {
            container: self.container,
            rate: self.rate,
            bits: self.bits,
        }
    }

    /// The request of every window, its video still to come.
    pub fn request(&self) -> CreateRequest {
        CreateRequest::VideoToAudio(VideoToAudioParams {
            video_id: None,
            video_url: Some(LOCAL_CLIP_PLACEHOLDER_URL.into()),
            sound_effect_prompt: self.sfx_prompt.clone(),
            bgm_prompt: self.bgm_prompt.clone(),
            asmr_mode: self.asmr.then_some(true),
            callback_url: None,
        })
    }

    /// Window `i`'s clip on disk.
    pub fn clip_path(&self, i: usize) -> PathBuf {
        let w = self.windows.get(i).copied().unwrap_or(Window {
            start_s: 0.0,
            end_s: 0.0,
        });
        self.clips_dir.join(format!(
            "window-{:02}-{}-{}ms.mp4",
            i + 1,
            ms(w.start_s),
            ms(w.end_s)
        ))
    }
}

fn ms(s: f64) -> u64 {
    (s * 1000.0).round().max(0.0) as u64
}

/// A window's content key: the request with the video named by the
/// video's hash and the window's times, not by the URL it is served at.
pub fn window_key(settings: &Settings, window: Window) -> String {
    let mut request = settings.request();
    if let CreateRequest::VideoToAudio(p) = &mut request {
        p.video_url = Some(format!(
            "klang-window:{}:{}-{}",
            settings.video_sha256,
            ms(window.start_s),
            ms(window.end_s)
        ));
    }
    content_key(&request)
}

/// The plan: one segment per window.
pub fn plan(settings: &Settings, store: &Store) -> crate::store::Result<Plan> {
    let request = settings.request();
    let mut segments = Vec::with_capacity(settings.windows.len());
    for (i, &w) in settings.windows.iter().enumerate() {
        let key = window_key(settings, w);
        let take = choose(&store.takes_of(&key)?);
        segments.push(Segment {
            position: i + 1,
            chunk: Chunk {
                text: format!("window {:.2}-{:.2} s", w.start_s, w.end_s),
                span: ms(w.start_s) as usize..ms(w.end_s) as usize,
                join: Join::Start,
                chapter: None,
                sentences: Vec::new(),
            },
            request: request.clone(),
            key,
            take,
        });
    }
    let to_send = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.take, Take::Missing { .. }))
        .map(|(i, _)| i)
        .collect();
    Ok(Plan { segments, to_send })
}

/// The clips of the timeline: window `i`'s result where the window is,
/// fading in over the previous window's overlap and out over the next's.
pub fn clips(windows: &[Window]) -> Vec<Clip> {
    windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let fade_in = i
                .checked_sub(1)
                .and_then(|p| windows.get(p))
                .map_or(0.0, |p| (p.end_s - w.start_s).max(0.0));
            let fade_out = windows
                .get(i + 1)
                .map_or(0.0, |n| (w.end_s - n.start_s).max(0.0));
            Clip {
                source: i,
                from_s: 0.0,
                start_s: w.start_s,
                len_s: w.len_s(),
                fade_in_s: fade_in,
                fade_out_s: fade_out,
            }
        })
        .collect()
}

/// What the foley was made from: each window's task and file, the
/// settings and the outputs.
pub fn assembly_key(chosen: &[Chosen], settings: &Settings, audio: &Path) -> String {
    let mut hash = Sha256::new();
    hash.update(format!("foley|{settings:?}|{}\n", audio.display()).as_bytes());
    for c in chosen {
        hash.update(format!("{}|{}\n", c.task, c.path.display()).as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the foley came from: the prompts, `piece-<id>`, the model and the
/// windows.
pub fn origin(piece: i64, settings: &Settings) -> Origin {
    let prompts: Vec<&str> = [&settings.sfx_prompt, &settings.bgm_prompt]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    Origin {
        description: if prompts.is_empty() {
            format!("foley for {}", settings.video.display())
        } else {
            prompts.join(" / ")
        },
        reference: format!("piece-{piece}"),
        model: crate::api::Model::VideoToAudio.api_name().to_string(),
        params: serde_json::json!({
            "sound_effect_prompt": settings.sfx_prompt,
            "bgm_prompt": settings.bgm_prompt,
            "asmr_mode": settings.asmr,
            "windows": settings.windows.len(),
        }),
        created: chrono::Utc::now(),
    }
}

/// The track written and the MP4 muxed.
#[derive(Clone, Debug)]
pub struct Foley {
    pub written: Written,
    pub mp4: PathBuf,
}

/// Joins the windows' results (`paths`, in order) into `audio` and muxes
/// it with the video copied into `settings.mp4`. Blocking.
pub fn write_and_mux(
    paths: Vec<PathBuf>,
    settings: &Settings,
    origin: &Origin,
    audio: &Path,
) -> Result<Foley, String> {
    let ffmpeg = crate::video::mux::find_ffmpeg(std::env::var_os("PATH").as_deref())
        .map_err(|e| e.to_string())?;
    let mut takes = Takes::open(paths, settings.format().rate, settings.normalize)
        .map_err(|e| e.to_string())?;
    let written = write(
        &mut takes,
        &clips(&settings.windows),
        (settings.duration_s, 0.0),
        settings.format(),
        Some(origin),
        audio,
    )
    .map_err(|e| e.to_string())?;
    let dir = crate::atomic_file::parent_dir(&settings.mp4);
    let scratch = tempfile::Builder::new()
        .prefix(".klang-foley-")
        .tempdir_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    let muxed =
        crate::video::mux::mux_files(&ffmpeg, &settings.video, audio, scratch.path(), "foley.mp4")
            .map_err(|e| e.to_string())?;
    // A rename within the folder: a reader sees the old MP4 or the new
    // one; a symlink there is replaced, not followed.
    std::fs::rename(&muxed, &settings.mp4)
        .map_err(|e| format!("cannot write {}: {e}", settings.mp4.display()))?;
    Ok(Foley {
        written,
        mp4: settings.mp4.clone(),
    })
}

/// A foley's figures as JSON.
pub fn figures(foley: &Foley, settings: &Settings) -> serde_json::Value {
    let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
    let windows: Vec<_> = settings
        .windows
        .iter()
        .zip(&foley.written.takes)
        .map(|(w, (lufs, gain))| {
            serde_json::json!({
                "start_s": round3(w.start_s),
                "end_s": round3(w.end_s),
                "loudness_lufs": lufs.map(round3),
                "gain_db": round3(*gain),
            })
        })
        .collect();
    serde_json::json!({
        "video": foley.mp4.display().to_string(),
        "duration_s": settings.duration_s,
        "windows": windows,
        "audio": foley.written.audio,
    })
}

/// Assembles a foley piece the store knows (the dashboard's `Assemble`
/// after a window's retake), as `klang foley` would with nothing to send.
/// Blocking.
pub fn assemble_stored(
    store: &Store,
    piece: i64,
    output: &str,
    settings: &Settings,
) -> Result<Assembly, String> {
    let plan = plan(settings, store).map_err(|e| e.to_string())?;
    let chosen = match ready(store, piece, &plan)? {
        Ok(chosen) => chosen,
        Err(not_yet) => return Ok(not_yet),
    };
    let audio = Path::new(output);
    let key = assembly_key(&chosen, settings, audio);
    let previous = store.piece_assembled(piece).map_err(|e| e.to_string())?;
    if previous.is_some_and(|(k, _)| k == key) && audio.is_file() && settings.mp4.is_file() {
        store
            .set_piece_state(piece, "assembled", None)
            .map_err(|e| e.to_string())?;
        return Ok(Assembly::Unchanged(audio.to_path_buf()));
    }
    let paths = chosen.into_iter().map(|c| c.path).collect();
    let foley =
        write_and_mux(paths, settings, &origin(piece, settings), audio).inspect_err(|e| {
            let _ = store.set_piece_state(
                piece,
                "failed",
                Some(&format!("{e}; the windows' takes are kept")),
            );
        })?;
    store
        .set_piece_assembled(
            piece,
            &Assembled {
                key,
                figures: figures(&foley, settings).to_string(),
                ..Assembled::default()
            },
        )
        .map_err(|e| e.to_string())?;
    Ok(Assembly::Written {
        path: audio.to_path_buf(),
        placements: settings
            .windows
            .iter()
            .map(|w| (w.start_s, w.end_s))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_crossfade_inside_their_overlaps() {
        let w = [
            Window {
                start_s: 0.0,
                end_s: 12.75,
            },
            Window {
                start_s: 11.25,
                end_s: 30.75,
            },
            Window {
                start_s: 29.25,
                end_s: 40.0,
            },
        ];
        let c = clips(&w);
        assert_eq!(c[0].fade_in_s, 0.0);
        assert!((c[0].fade_out_s - 1.5).abs() < 1e-9);
        assert!((c[1].fade_in_s - 1.5).abs() < 1e-9);
        assert_eq!(c[2].fade_out_s, 0.0);
        assert_eq!(c[2].start_s + c[2].len_s, 40.0);
    }
}
