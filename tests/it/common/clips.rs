//! Video clips made with ffmpeg at test time (testsrc, small), into a
//! temp dir. Without ffmpeg a test is skipped with a message, except under
//! `CI` or `KLANG_LONG_TESTS`, where it fails: CI installs ffmpeg.

use std::path::{Path, PathBuf};
use std::process::Command;

/// How a clip is laid out.
#[derive(Clone, Copy, Debug)]
pub struct Clip {
    pub seconds: f64,
    /// `moov` before `mdat` (written for streaming); otherwise at the end.
    pub faststart: bool,
    /// Noise over the picture at a high bit rate: a large `mdat` (about
    /// 2 MB for 5 s), so a `moov` at the end is past the first bytes
    /// klang reads.
    pub heavy: bool,
}

impl Clip {
    pub fn new(seconds: f64) -> Clip {
        Clip {
            seconds,
            faststart: true,
            heavy: false,
        }
    }
}

fn must_have_tools() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("KLANG_LONG_TESTS").is_some()
}

/// Whether ffmpeg runs; panics under CI when it does not.
pub fn ffmpeg_available() -> bool {
    let found = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !must_have_tools(),
            "ffmpeg is needed for this test (apt-get install ffmpeg)"
        );
        eprintln!("skipped: ffmpeg is not installed (apt-get install ffmpeg)");
    }
    found
}

/// Makes `name` in `dir` (320x240 MPEG-4 video at 10 fps, no audio).
pub fn make(dir: &Path, name: &str, clip: Clip) -> PathBuf {
    let path = dir.join(name);
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i"])
        .arg(format!(
            "testsrc=size=320x240:rate=10:duration={}",
            clip.seconds
        ))
        .args(["-c:v", "mpeg4"]);
    if clip.heavy {
        cmd.args(["-vf", "noise=alls=60:allf=t", "-b:v", "4000k"]);
    }
    if clip.faststart {
        cmd.args(["-movflags", "+faststart"]);
    }
    let out = cmd.arg(&path).output().expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// ffprobe's `stream=codec_type` list and `format=duration` of a file.
pub fn probe(path: &Path) -> (Vec<String>, f64) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let streams = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    let seconds = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0.0);
    (streams, seconds)
}
