//! A stand-in for `crate::subtitles` (issue 28's parser, written by
//! another hand) until it lands: SRT only, UTF-8 only, the agreed
//! interface. Dropped when the real one is on main.

use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub struct Cue {
    pub number: usize,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub speaker: Option<String>,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Subtitles {
    pub cues: Vec<Cue>,
    pub warnings: Vec<String>,
    pub skipped_empty: usize,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SubtitleError(pub String);

pub fn read(path: &Path) -> Result<Subtitles, SubtitleError> {
    let bytes = std::fs::read(path).map_err(|e| {
        SubtitleError(format!(
            "cannot read {}: {e}; give an SRT, VTT or ASS file",
            path.display()
        ))
    })?;
    parse(&bytes)
}

fn time(s: &str) -> Option<u64> {
    let (hms, ms) = s.trim().split_once([',', '.'])?;
    let mut parts = hms.split(':').map(|p| p.trim().parse::<u64>().ok());
    let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms.trim().parse::<u64>().ok()?)
}

pub fn parse(bytes: &[u8]) -> Result<Subtitles, SubtitleError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let mut cues = Vec::new();
    let mut skipped_empty = 0;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut first_bad = None;
    while i < lines.len() {
        let l = lines[i].trim();
        if let Some((a, b)) = l.split_once("-->") {
            match (time(a), time(b)) {
                (Some(start_ms), Some(end_ms)) => {
                    let at = i + 1;
                    let mut words = Vec::new();
                    i += 1;
                    while i < lines.len() && !lines[i].trim().is_empty() {
                        words.push(lines[i].trim());
                        i += 1;
                    }
                    let mut spoken = words.join(" ");
                    let mut speaker = None;
                    if let Some((who, rest)) = spoken.split_once(':')
                        && !who.is_empty()
                        && who.len() < 30
                        && who.chars().all(|c| c.is_uppercase() || c == ' ')
                    {
                        speaker = Some(who.trim().to_string());
                        spoken = rest.trim().to_string();
                    }
                    if spoken.trim().is_empty() {
                        skipped_empty += 1;
                    } else {
                        cues.push(Cue {
                            number: 0,
                            start_ms,
                            end_ms,
                            text: spoken,
                            speaker,
                            line: at,
                        });
                    }
                    continue;
                }
                _ => {
                    first_bad.get_or_insert(i + 1);
                }
            }
        } else if !l.is_empty() && l.parse::<u64>().is_err() {
            first_bad.get_or_insert(i + 1);
        }
        i += 1;
    }
    if cues.is_empty() {
        return Err(SubtitleError(match first_bad {
            Some(n) => format!("no cue parses: line {n} is not a cue; give an SRT file"),
            None => "nothing to speak: the file has no cue with text".into(),
        }));
    }
    cues.sort_by_key(|c| (c.start_ms, c.line));
    for (n, c) in cues.iter_mut().enumerate() {
        c.number = n + 1;
    }
    Ok(Subtitles {
        cues,
        warnings: Vec::new(),
        skipped_empty,
    })
}

/// Stand-in for `crate::video::duck` until it lands.
pub mod duck {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Speech {
        pub start_ms: u64,
        pub end_ms: u64,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct DuckError(pub String);

    pub async fn duck_and_mux(
        video: &Path,
        speech_track: &Path,
        speaking: &[Speech],
        duck_db: f64,
        out: &Path,
    ) -> Result<PathBuf, DuckError> {
        let (video, track, out) = (
            video.to_path_buf(),
            speech_track.to_path_buf(),
            out.to_path_buf(),
        );
        let speaking = speaking.to_vec();
        tokio::task::spawn_blocking(move || run(&video, &track, &speaking, duck_db, &out))
            .await
            .map_err(|e| DuckError(format!("the mix stopped: {e}")))?
    }

    fn has_audio(video: &Path) -> bool {
        Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "a", "-show_entries"])
            .args(["stream=index", "-of", "csv=p=0"])
            .arg(video)
            .output()
            .map(|o| !o.stdout.is_empty())
            .unwrap_or(false)
    }

    fn run(
        video: &Path,
        track: &Path,
        speaking: &[Speech],
        duck_db: f64,
        out: &Path,
    ) -> Result<PathBuf, DuckError> {
        let fail = |e: String| DuckError(format!("cannot mix the video: {e}"));
        let dir = crate::atomic_file::parent_dir(out);
        let part = crate::atomic_file::temp_in(dir, "dub-mix").map_err(|e| fail(e.to_string()))?;
        let script =
            crate::atomic_file::temp_in(dir, "dub-filter").map_err(|e| fail(e.to_string()))?;
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"])
            .arg(video)
            .arg("-i")
            .arg(track);
        if has_audio(video) && !speaking.is_empty() {
            let during: Vec<String> = speaking
                .iter()
                .map(|s| {
                    format!(
                        "between(t,{:.3},{:.3})",
                        s.start_ms as f64 / 1000.0,
                        s.end_ms as f64 / 1000.0
                    )
                })
                .collect();
            let gain = 10f64.powf(duck_db / 20.0);
            let filter = format!(
                "[0:a]volume='if(gt({},0),{gain:.5},1)':eval=frame[d];[d][1:a]amix=inputs=2:duration=first:normalize=0[a]",
                during.join("+")
            );
            std::fs::write(script.path(), filter).map_err(|e| fail(e.to_string()))?;
            cmd.arg("-filter_complex_script")
                .arg(script.path())
                .args(["-map", "0:v:0", "-map", "[a]"]);
        } else {
            cmd.args(["-map", "0:v:0", "-map", "1:a:0"]);
        }
        let output = cmd
            .args(["-c:v", "copy", "-c:a", "aac", "-b:a", "192k", "-shortest"])
            .args(["-f", "mp4"])
            .arg(part.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| fail(e.to_string()))?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr);
            let last = said.lines().rev().find(|l| !l.trim().is_empty());
            return Err(fail(
                crate::sanitize::single_line(last.unwrap_or("ffmpeg failed")).into_owned(),
            ));
        }
        crate::atomic_file::persist_replacing(part, out).map_err(|e| fail(e.to_string()))?;
        Ok(out.to_path_buf())
    }
}
