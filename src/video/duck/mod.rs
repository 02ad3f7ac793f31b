//! The dubbed film (`klang dub --video`): the video's own audio lowered
//! under the new speech, mixed with the speech track, muxed with the video
//! stream copied into an MP4. ffmpeg does the audio work and the muxing as
//! in [`super::mux`], so a 90-minute film streams through it and klang's
//! memory stays flat.
//!
//! How the original is lowered: the lines' times become an envelope, a
//! 200-values-a-second mono WAV (see [`envelope`]) that ffmpeg resamples
//! and multiplies the original with (`amultiply`). The alternatives were
//! worse for a film of 1,500 lines: a `volume` expression with a term per
//! line is some 100 KB of expression evaluated per audio frame (the gain
//! then steps every ~21 ms, audible as zipper noise in a 150 ms ramp), and
//! `asendcmd` needs a command per ramp step. The envelope is 4.3 MB on
//! disk for 90 minutes, written value by value, and the ffmpeg command is
//! the same short one for any number of lines.
//!
//! Every file is written as [`crate::atomic_file`] says: the envelope and
//! the MP4 under random names created exclusively in the output's folder
//! (a planted symlink is never followed), the MP4 renamed over `out` at
//! the end, the rest removed on any failure.

pub mod envelope;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where a line sounds on the speech track, in the video's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Speech {
    pub start_ms: u64,
    pub end_ms: u64,
}

/// The duck asked for when none is given.
pub const DEFAULT_DUCK_DB: f64 = 12.0;

/// Why there is no dubbed film: one line each.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DuckError {
    #[error("{}", super::mux::NO_FFMPEG)]
    NoFfmpeg,
    #[error(
        "the dub needs ffprobe (it comes with ffmpeg), which is not on PATH: install ffmpeg and try again"
    )]
    NoFfprobe,
    /// The video (or the speech track) cannot be used; nothing was written.
    #[error("{0}")]
    Unreadable(String),
    /// ffmpeg or the file system failed.
    #[error("{0}")]
    Failed(String),
}

/// What ffprobe says of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Probed {
    /// The first video stream's length, else the file's; None when neither
    /// is known.
    pub duration_ms: Option<u64>,
    pub has_video: bool,
    /// The first audio stream's channels, None without audio.
    pub audio_channels: Option<u32>,
}

/// Checks that `video` is a video ffmpeg can read (for `klang dub` to
/// refuse it before anything is sent) and says what is in it.
pub async fn check_video(video: &Path) -> Result<Probed, DuckError> {
    let video = video.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let ffprobe = find("ffprobe", DuckError::NoFfprobe)?;
        let probed = probe(&ffprobe, &video)?;
        if !probed.has_video {
            return Err(DuckError::Unreadable(format!(
                "{} has no video stream: give the film to dub",
                shown(&video)
            )));
        }
        Ok(probed)
    })
    .await
    .map_err(|e| DuckError::Failed(format!("the video check stopped: {e}")))?
}

/// The video's own audio (if it has any) lowered by `duck_db` with
/// [`envelope::RAMP_MS`] ramps while `speaking`, mixed with
/// `speech_track`, and muxed with the video stream copied into the MP4
/// `out` (replaced if it exists: it is this dub's mix). Returns `out`.
/// The result has one video and one audio stream (stereo AAC, 48 kHz) and
/// the video's length.
pub async fn duck_and_mux(
    video: &Path,
    speech_track: &Path,
    speaking: &[Speech],
    duck_db: f64,
    out: &Path,
) -> Result<PathBuf, DuckError> {
    if !(duck_db.is_finite() && (0.0..=60.0).contains(&duck_db)) {
        return Err(DuckError::Unreadable(format!(
            "a duck of {duck_db} dB is out of range: give 0 to 60 dB (12 by default)"
        )));
    }
    let job = Job {
        video: video.to_path_buf(),
        speech: speech_track.to_path_buf(),
        speaking: envelope::merged(speaking),
        duck_db,
        out: out.to_path_buf(),
    };
    tokio::task::spawn_blocking(move || job.run())
        .await
        .map_err(|e| DuckError::Failed(format!("the mix stopped: {e}")))?
}

struct Job {
    video: PathBuf,
    speech: PathBuf,
    /// Merged and sorted.
    speaking: Vec<Speech>,
    duck_db: f64,
    out: PathBuf,
}

impl Job {
    fn run(self) -> Result<PathBuf, DuckError> {
        let ffmpeg = find("ffmpeg", DuckError::NoFfmpeg)?;
        let ffprobe = find("ffprobe", DuckError::NoFfprobe)?;
        let video = probe(&ffprobe, &self.video)?;
        if !video.has_video {
            return Err(DuckError::Unreadable(format!(
                "{} has no video stream: give the film to dub",
                shown(&self.video)
            )));
        }
        let speech = probe(&ffprobe, &self.speech)?;
        let Some(speech_channels) = speech.audio_channels else {
            return Err(DuckError::Unreadable(format!(
                "{} has no audio: the speech track is missing or broken; build the dub again",
                shown(&self.speech)
            )));
        };
        let dir = match self.out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let failed =
            |e: std::io::Error| DuckError::Failed(format!("cannot write in {}: {e}", shown(&dir)));
        // Only with the video's own audio is there anything to lower.
        let envelope_file = match video.audio_channels {
            Some(_) => {
                let mut file =
                    crate::atomic_file::temp_in(&dir, "duck-envelope").map_err(failed)?;
                let last_line = self.speaking.last().map_or(0, |s| s.end_ms);
                let length_ms = video.duration_ms.unwrap_or(0).max(last_line) + 1000;
                let writer = std::io::BufWriter::new(file.as_file_mut());
                envelope::write(writer, &self.speaking, self.duck_db, length_ms).map_err(|e| {
                    DuckError::Failed(format!(
                        "cannot write the duck envelope in {}: {e}",
                        shown(&dir)
                    ))
                })?;
                Some(file.into_temp_path())
            }
            None => None,
        };
        let graph = filter_graph(envelope_file.is_some(), speech_channels, video.duration_ms);
        let part = crate::atomic_file::temp_in(&dir, "dub").map_err(failed)?;
        let mut command = Command::new(&ffmpeg);
        command
            .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(&self.video)
            .arg("-i")
            .arg(&self.speech);
        if let Some(envelope) = &envelope_file {
            command.arg("-i").arg(envelope);
        }
        command.args(["-filter_complex", &graph, "-map", "0:v:0", "-map", "[mix]"]);
        command.args(["-c:v", "copy", "-c:a", "aac", "-b:a", "192k"]);
        if video.duration_ms.is_none() {
            command.arg("-shortest");
        }
        command
            .args(["-movflags", "+faststart", "-f", "mp4"])
            .arg(part.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let output = command
            .output()
            .map_err(|e| DuckError::Failed(format!("cannot run {}: {e}", ffmpeg.display())))?;
        if !output.status.success() {
            return Err(DuckError::Failed(format!(
                "ffmpeg could not mix the dub ({}): {}",
                output.status,
                last_words(&output.stderr)
            )));
        }
        crate::atomic_file::persist_replacing(part, &self.out)
            .map_err(|e| DuckError::Failed(format!("cannot write {}: {e}", shown(&self.out))))?;
        Ok(self.out)
    }
}

/// ffmpeg's graph: input 0 the video, 1 the speech, 2 the envelope (when
/// the video has audio). Everything meets as 48 kHz stereo float; a mono
/// track is copied to both sides at its own level (ffmpeg's own upmix
/// would lower it 3 dB). The mix is padded or cut to the video's length.
fn filter_graph(ducked: bool, speech_channels: u32, video_ms: Option<u64>) -> String {
    const STEREO: &str = "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo";
    const MONO_TO_STEREO: &str =
        "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=mono,pan=stereo|c0=c0|c1=c0";
    let speech = if speech_channels == 1 {
        MONO_TO_STEREO
    } else {
        STEREO
    };
    let length = match video_ms {
        Some(ms) => {
            let s = ms as f64 / 1000.0;
            format!("apad=whole_dur={s:.3},atrim=end={s:.3}")
        }
        None => "apad".to_string(),
    };
    if ducked {
        format!(
            "[0:a:0]{STEREO}[orig];[2:a:0]{MONO_TO_STEREO}[gain];[orig][gain]amultiply[ducked];\
             [1:a:0]{speech}[speech];\
             [ducked][speech]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,{length}[mix]"
        )
    } else {
        format!("[1:a:0]{speech},{length}[mix]")
    }
}

fn find(name: &str, missing: DuckError) -> Result<PathBuf, DuckError> {
    crate::audio::player::find_program(name, std::env::var_os("PATH").as_deref()).ok_or(missing)
}

/// ffprobe's view of `path`: its streams and length.
fn probe(ffprobe: &Path, path: &Path) -> Result<Probed, DuckError> {
    // ffprobe opens what it is given: a FIFO would hang it, so only a
    // regular file goes to it.
    crate::input_file::open_regular(path).map_err(|e| {
        DuckError::Unreadable(format!(
            "cannot read {}: {e}; give a video file",
            shown(path)
        ))
    })?;
    let output = Command::new(ffprobe)
        .args(["-v", "error", "-show_entries"])
        .arg("format=duration:stream=codec_type,channels,duration")
        .args(["-of", "json"])
        .arg(path)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| DuckError::Failed(format!("cannot run {}: {e}", ffprobe.display())))?;
    if !output.status.success() {
        return Err(DuckError::Unreadable(format!(
            "ffmpeg cannot read {} ({}): give a video ffmpeg plays",
            shown(path),
            last_words(&output.stderr)
        )));
    }
    let json: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        DuckError::Failed(format!(
            "ffprobe's answer on {} is not JSON: {e}",
            shown(path)
        ))
    })?;
    Ok(probed(&json))
}

fn probed(json: &Value) -> Probed {
    let streams = json["streams"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let of_type = |kind: &str| streams.iter().find(|s| s["codec_type"] == kind);
    let seconds = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| (s * 1000.0).round() as u64)
    };
    let video = of_type("video");
    Probed {
        duration_ms: video
            .and_then(|v| seconds(&v["duration"]))
            .or_else(|| seconds(&json["format"]["duration"])),
        has_video: video.is_some(),
        audio_channels: of_type("audio").map(|a| a["channels"].as_u64().unwrap_or(2) as u32),
    }
}

fn shown(path: &Path) -> String {
    crate::sanitize::single_line(&path.display().to_string()).into_owned()
}

/// ffmpeg's last line of complaint, safe and short.
fn last_words(stderr: &[u8]) -> String {
    let said = String::from_utf8_lossy(stderr);
    let last = said
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message");
    crate::sanitize::single_line(last)
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffprobe_streams_and_lengths_are_read() {
        let json: Value = serde_json::from_str(
            r#"{"streams":[{"codec_type":"video","duration":"4.040000"},{"codec_type":"audio","channels":6,"duration":"4.100000"}],"format":{"duration":"4.100000"}}"#,
        )
        .unwrap();
        assert_eq!(
            probed(&json),
            Probed {
                duration_ms: Some(4040),
                has_video: true,
                audio_channels: Some(6)
            }
        );
        let json: Value = serde_json::from_str(
            r#"{"streams":[{"codec_type":"video"}],"format":{"duration":"N/A"}}"#,
        )
        .unwrap();
        assert_eq!(
            probed(&json),
            Probed {
                duration_ms: None,
                has_video: true,
                audio_channels: None
            }
        );
    }

    #[test]
    fn the_graph_ducks_only_a_video_with_audio() {
        let g = filter_graph(true, 1, Some(4040));
        assert!(
            g.contains("amultiply") && g.ends_with("apad=whole_dur=4.040,atrim=end=4.040[mix]"),
            "{g}"
        );
        let g = filter_graph(false, 2, None);
        assert_eq!(
            g,
            "[1:a:0]aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,apad[mix]"
        );
    }
}
