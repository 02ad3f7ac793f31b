//! A stand-in for `crate::video::duck::duck_and_mux` (issue 28's ducked
//! mix, written by another hand) until it lands, with the agreed
//! interface. Dropped when the real one is on main.

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
