//! The video a dub is for: its length (the speech track runs as long),
//! read by ffprobe before anything is sent.

use std::path::Path;
use std::process::{Command, Stdio};

/// The video's length in ms, if ffprobe reads a video stream in it; else
/// one line saying what is wrong and what to do.
pub fn length_ms(video: &Path) -> Result<u64, String> {
    let name = video.display();
    let file = crate::input_file::open_regular(video)
        .map_err(|e| format!("cannot read the video {name}: {e}; give an MP4, MOV or MKV file"))?;
    drop(file);
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration:stream=codec_type",
        ])
        .args(["-of", "json"])
        .arg(video)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ffprobe to read {name}: {e}; install ffmpeg"))?;
    let unreadable =
        || format!("{name} is not a video ffprobe can read; give an MP4, MOV or MKV file");
    if !output.status.success() {
        return Err(unreadable());
    }
    let facts: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|_| unreadable())?;
    let has_video = facts["streams"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["codec_type"] == "video"));
    let seconds = facts["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0);
    match (has_video, seconds) {
        (true, Some(s)) => Ok((s * 1000.0).round() as u64),
        _ => Err(unreadable()),
    }
}
