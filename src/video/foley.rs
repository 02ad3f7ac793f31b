//! A video longer than one video-to-audio call (`klang foley`): where its
//! shots change, the windows of 3-20 s it is cut into (overlapping by
//! [`OVERLAP_S`] around each cut, so the results can be crossfaded inside
//! the overlaps), and the cutting itself. ffmpeg does the reading and the
//! cutting (found on PATH like the muxer).
//!
//! Cuts are exact, not on keyframes: each window is re-encoded (H.264,
//! video only, `+faststart`), so it starts on its own keyframe at the very
//! frame asked and the result of each window lands exactly where the
//! window is on the video's timeline. A stream copy would be faster but
//! could only start a window at a keyframe, seconds away from the shot
//! change, and the joined soundtrack would drift from the picture.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Windows overlap by this much around each cut: the crossfade.
pub const OVERLAP_S: f64 = 1.5;
/// A window's length between its halves of the overlaps: it must stay
/// within the provider's 3-20 s with both halves added (and a margin for
/// rounding to frames).
pub const MAX_CORE_S: f64 = crate::video::MAX_SECONDS - OVERLAP_S - 0.2;
pub const MIN_CORE_S: f64 = crate::video::MIN_SECONDS;
/// ffmpeg's scene score above which a frame starts a new shot.
pub const SCENE_THRESHOLD: f64 = 0.3;
/// The longest video klang cuts: 4 hours.
pub const MAX_VIDEO_S: f64 = 4.0 * 3600.0;

/// One window of the video, seconds on its timeline.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    pub start_s: f64,
    pub end_s: f64,
}

impl Window {
    pub fn len_s(&self) -> f64 {
        self.end_s - self.start_s
    }
}

/// What ffprobe says of the video.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Probed {
    pub duration_s: f64,
    pub fps: f64,
}

fn ffprobe_next_to(ffmpeg: &Path) -> PathBuf {
    ffmpeg.with_file_name("ffprobe")
}

fn last_line(stderr: &[u8]) -> String {
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

/// The video's length and frame rate (its first video stream's).
pub fn probe(ffmpeg: &Path, video: &Path) -> Result<Probed, String> {
    let out = Command::new(ffprobe_next_to(ffmpeg))
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args([
            "stream=avg_frame_rate,r_frame_rate:format=duration",
            "-of",
            "json",
        ])
        .arg(video)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ffprobe: {e}; install ffmpeg (it brings ffprobe)"))?;
    if !out.status.success() {
        return Err(format!(
            "ffprobe cannot read {}: {}",
            video.display(),
            last_line(&out.stderr)
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("ffprobe's answer cannot be read ({e})"))?;
    let stream = json["streams"]
        .get(0)
        .ok_or_else(|| format!("{} has no video stream", video.display()))?;
    let rate = |v: &serde_json::Value| -> Option<f64> {
        let (n, d) = v.as_str()?.split_once('/')?;
        let (n, d) = (n.parse::<f64>().ok()?, d.parse::<f64>().ok()?);
        (n > 0.0 && d > 0.0).then_some(n / d)
    };
    let fps = rate(&stream["avg_frame_rate"])
        .or_else(|| rate(&stream["r_frame_rate"]))
        .filter(|f| f.is_finite() && *f <= 1000.0)
        .ok_or_else(|| format!("{}: no frame rate", video.display()))?;
    let duration_s = json["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
        .ok_or_else(|| format!("{}: no length", video.display()))?;
    Ok(Probed { duration_s, fps })
}

/// Where ffmpeg's scene score finds a new shot (seconds, ascending).
pub fn scene_changes(ffmpeg: &Path, video: &Path) -> Result<Vec<f64>, String> {
    let filter = format!("select='gt(scene,{SCENE_THRESHOLD})',metadata=print:file=-");
    let out = Command::new(ffmpeg)
        .args(["-nostdin", "-hide_banner", "-v", "error", "-i"])
        .arg(video)
        .args(["-map", "0:v:0", "-an", "-vf", &filter, "-f", "null", "-"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", ffmpeg.display()))?;
    if !out.status.success() {
        return Err(format!(
            "ffmpeg cannot find the shots of {}: {}",
            video.display(),
            last_line(&out.stderr)
        ));
    }
    let mut cuts: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let at = l.find("pts_time:")? + "pts_time:".len();
            l[at..].split_whitespace().next()?.parse().ok()
        })
        .filter(|t: &f64| t.is_finite())
        .collect();
    cuts.sort_by(f64::total_cmp);
    Ok(cuts)
}

/// The windows of a video `duration_s` long: cores end at the last shot
/// change that leaves them [`MIN_CORE_S`] to [`MAX_CORE_S`], else where the
/// rest splits evenly; each window is its core and half the overlap on
/// each inner side. Times are on frames of `fps`.
pub fn windows(duration_s: f64, fps: f64, cuts: &[f64]) -> Vec<Window> {
    let frame = |t: f64| (t * fps).round() / fps;
    let mut bounds = vec![0.0];
    let mut at = 0.0;
    while duration_s - at > MAX_CORE_S {
        let rest = duration_s - at;
        let shot = cuts.iter().copied().rfind(|&c| {
            c - at >= MIN_CORE_S && c - at <= MAX_CORE_S && duration_s - c >= MIN_CORE_S
        });
        // The first shot out of reach: when two windows reach it, they
        // share the way, so the cut after them is a shot change too.
        let beyond = cuts
            .iter()
            .copied()
            .find(|&c| c - at > MAX_CORE_S && duration_s - c >= MIN_CORE_S);
        let next = match (shot, beyond) {
            (Some(c), _) => c,
            (None, Some(b)) if b - at <= 2.0 * MAX_CORE_S => (at + b) / 2.0,
            _ => at + rest / (rest / MAX_CORE_S).ceil(),
        };
        // On a frame, unless frames are so long the cut would not move.
        at = Some(frame(next)).filter(|&f| f > at + 1.0).unwrap_or(next);
        bounds.push(at);
    }
    bounds.push(duration_s);
    let half = OVERLAP_S / 2.0;
    bounds
        .windows(2)
        .enumerate()
        .map(|(i, b)| Window {
            start_s: if i == 0 { 0.0 } else { frame(b[0] - half) },
            end_s: if b[1] >= duration_s {
                duration_s
            } else {
                frame(b[1] + half)
            },
        })
        .collect()
}

/// Cuts `window` of `video` into `out` (replaced atomically): re-encoded,
/// video only, starting on its own keyframe.
pub fn cut(ffmpeg: &Path, video: &Path, window: Window, out: &Path) -> Result<(), String> {
    let dir = crate::atomic_file::parent_dir(out);
    let part = crate::atomic_file::temp_in(dir, "window")
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    let output = Command::new(ffmpeg)
        .args(["-nostdin", "-hide_banner", "-v", "error", "-y", "-ss"])
        .arg(format!("{:.6}", window.start_s))
        .arg("-i")
        .arg(video)
        .arg("-t")
        .arg(format!("{:.6}", window.len_s()))
        .args([
            "-map",
            "0:v:0",
            "-an",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-maxrate",
            "20M",
            "-bufsize",
            "40M",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
        ])
        .arg(part.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", ffmpeg.display()))?;
    if !output.status.success() {
        return Err(format!(
            "ffmpeg could not cut {:.1}-{:.1} s of {}: {}",
            window.start_s,
            window.end_s,
            video.display(),
            last_line(&output.stderr)
        ));
    }
    crate::atomic_file::persist_replacing(part, out)
        .map(|_| ())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_90_s_video_is_cut_at_its_shots_into_at_most_7_windows() {
        let w = windows(90.0, 25.0, &[12.0, 30.0, 47.0, 65.0, 80.0]);
        assert!(w.len() <= 7, "{w:?}");
        assert_eq!(w[0].start_s, 0.0);
        assert_eq!(w.last().unwrap().end_s, 90.0);
        for pair in w.windows(2) {
            let overlap = pair[0].end_s - pair[1].start_s;
            assert!((overlap - OVERLAP_S).abs() < 0.05, "{overlap}");
            // The cut is a shot change, in the middle of the overlap.
            let middle = (pair[0].end_s + pair[1].start_s) / 2.0;
            assert!(
                [12.0, 30.0, 47.0, 65.0, 80.0].contains(&middle.round()),
                "{middle}"
            );
        }
        // Shots out of one window's reach: two windows share the way.
        let w = windows(90.0, 25.0, &[14.0, 33.0, 50.0, 72.0]);
        assert_eq!(w.len(), 7, "{w:?}");
        let middles: Vec<f64> = w
            .windows(2)
            .map(|p| ((p[0].end_s + p[1].start_s) / 2.0 * 100.0).round() / 100.0)
            .collect();
        for shot in [14.0, 33.0, 50.0, 72.0] {
            assert!(middles.contains(&shot), "{middles:?}");
        }
        for x in &w {
            assert!(x.len_s() >= 3.0 && x.len_s() <= 20.0, "{x:?}");
        }
    }

    #[test]
    fn without_shots_the_video_splits_evenly() {
        let w = windows(60.0, 30.0, &[]);
        assert_eq!(w.len(), 4);
        for x in &w {
            assert!(x.len_s() >= 3.0 && x.len_s() <= 20.0, "{x:?}");
        }
        // A shot too near the start or the end is not a cut.
        let w = windows(25.0, 30.0, &[1.0, 24.0]);
        assert_eq!(w.len(), 2);
        assert!(
            w.iter().all(|x| x.len_s() >= 3.0 && x.len_s() <= 20.0),
            "{w:?}"
        );
    }
}
