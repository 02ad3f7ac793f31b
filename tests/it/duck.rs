//! The dubbed film's mix (`klang dub --video`): a 6 s video whose audio is
//! a steady 440 Hz tone, a speech track of a 2.5 kHz tone where two lines
//! sound. ffmpeg judges the result: the original is at least 10 dB lower
//! while a line speaks and unchanged elsewhere, the speech is in the mix,
//! and ffprobe finds one video and one audio stream as long as the video
//! within one frame (40 ms at 25 fps).

use crate::common;

use klang::video::duck::{DuckError, Speech, check_video, duck_and_mux};
use std::path::{Path, PathBuf};
use std::process::Command;

const LINES: [Speech; 2] = [
    Speech {
        start_ms: 1500,
        end_ms: 3000,
    },
    Speech {
        start_ms: 4000,
        end_ms: 4800,
    },
];

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A 6 s, 25 fps video; with `tone`, its audio is 440 Hz at -12 dBFS.
fn video(dir: &Path, name: &str, tone: bool) -> PathBuf {
    let path = dir.join(name);
    let p = path.to_str().unwrap();
    let v = "testsrc=size=160x120:rate=25:duration=6";
    if tone {
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            v,
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:r=48000:d=6,volume=-6dB",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-ac",
            "2",
            p,
        ]);
    } else {
        ffmpeg(&[
            "-f", "lavfi", "-i", v, "-c:v", "libx264", "-pix_fmt", "yuv420p", p,
        ]);
    }
    path
}

/// A mono 44.1 kHz WAV: silence, and a 2.5 kHz tone where `LINES` sound.
fn speech_track(dir: &Path) -> PathBuf {
    let path = dir.join("speech.wav");
    let on = LINES
        .iter()
        .map(|l| {
            format!(
                "between(t,{},{})",
                l.start_ms as f64 / 1000.0,
                l.end_ms as f64 / 1000.0
            )
        })
        .collect::<Vec<_>>()
        .join("+");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=f=2500:r=44100:d=5.5",
        "-af",
        &format!("volume=volume='0.5*({on})':eval=frame"),
        path.to_str().unwrap(),
    ]);
    path
}

/// The mean level in dB of `band` ("low": the 440 Hz original, "high":
/// the 2.5 kHz speech) of `file`'s audio from `from` to `to` seconds.
fn level(file: &Path, band: &str, from: f64, to: f64) -> f64 {
    let filter = match band {
        "low" => "lowpass=f=700,lowpass=f=700,highpass=f=250",
        _ => "highpass=f=1500,highpass=f=1500",
    };
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-i"])
        .arg(file)
        .args([
            "-af",
            &format!("atrim=start={from}:end={to},pan=mono|c0=c0,{filter},volumedetect"),
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg runs");
    let said = String::from_utf8_lossy(&out.stderr);
    let at = said
        .find("mean_volume:")
        .unwrap_or_else(|| panic!("{said}"));
    said[at + 12..]
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{said}"))
}

/// (codec_type, duration) of each stream.
fn streams(file: &Path) -> Vec<(String, f64)> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,duration",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (kind, duration) = l.split_once(',').unwrap_or((l, ""));
            (
                kind.to_string(),
                duration.trim().parse().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

fn assert_one_video_one_audio_as_long_as_the_video(out: &Path, source: &Path) {
    let s = streams(out);
    let kinds: Vec<&str> = s.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["video", "audio"], "{s:?}");
    let source_video = streams(source)[0].1;
    assert!(
        (s[0].1 - source_video).abs() < 0.001,
        "{s:?} against {source_video}"
    );
    assert!(
        (s[1].1 - source_video).abs() <= 0.040,
        "{s:?} against {source_video}"
    );
}

#[tokio::test]
async fn the_original_is_ducked_while_lines_speak_and_untouched_elsewhere() {
    if common::ffmpeg::missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let film = video(dir.path(), "film.mp4", true);
    let speech = speech_track(dir.path());
    let out = dir.path().join("film.dub.mp4");
    let written = duck_and_mux(&film, &speech, &LINES, 12.0, &out)
        .await
        .unwrap();
    assert_eq!(written, out);
    assert_one_video_one_audio_as_long_as_the_video(&out, &film);

    // Inside each line (the ramps are outside it) against the same span of
    // the source.
    for (from, to) in [(1.55, 2.95), (4.05, 4.75)] {
        let before = level(&film, "low", from, to);
        let after = level(&out, "low", from, to);
        println!("line at {from}-{to} s: the original {before} dB, in the mix {after} dB");
        assert!(
            before - after >= 10.0,
            "{from}-{to}: {before} dB became {after} dB"
        );
        assert!(
            level(&out, "high", from, to) > -35.0,
            "no speech at {from}-{to}"
        );
    }
    // Away from the lines and their ramps: as it was, and no speech.
    for (from, to) in [(0.2, 1.3), (3.2, 3.8), (5.0, 5.9)] {
        let before = level(&film, "low", from, to);
        let after = level(&out, "low", from, to);
        assert!(
            (before - after).abs() < 0.5,
            "{from}-{to}: {before} dB became {after} dB"
        );
        assert!(
            level(&out, "high", from, to) < -55.0,
            "speech at {from}-{to}"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".klang-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn a_video_without_audio_gets_the_speech_alone() {
    if common::ffmpeg::missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let film = video(dir.path(), "silent.mp4", false);
    let speech = speech_track(dir.path());
    let out = dir.path().join("silent.dub.mp4");
    duck_and_mux(&film, &speech, &LINES, 12.0, &out)
        .await
        .unwrap();
    assert_one_video_one_audio_as_long_as_the_video(&out, &film);
    assert!(level(&out, "high", 1.6, 2.9) > -35.0);
    assert!(
        level(&out, "high", 5.6, 5.95) < -55.0,
        "the speech is padded with silence to the end"
    );
}

#[tokio::test]
async fn a_symlink_at_the_output_is_replaced_not_followed() {
    if common::ffmpeg::missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let film = video(dir.path(), "film.mp4", true);
    let speech = speech_track(dir.path());
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let out = dir.path().join("film.dub.mp4");
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    duck_and_mux(&film, &speech, &LINES, 12.0, &out)
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        std::fs::symlink_metadata(&out)
            .unwrap()
            .file_type()
            .is_file()
    );
}

#[tokio::test]
async fn what_is_not_a_video_is_refused_in_one_line_and_nothing_is_written() {
    if common::ffmpeg::missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let speech = speech_track(dir.path());
    let not_video = dir.path().join("notes.mp4");
    std::fs::write(&not_video, "not a video at all").unwrap();
    let fifo = dir.path().join("fifo.mp4");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (video, says) in [
        (&not_video, "ffmpeg cannot read"),
        (&speech, "has no video stream"),
        (&fifo, "not a regular file (a FIFO)"),
    ] {
        let err = check_video(video).await.unwrap_err();
        assert!(matches!(err, DuckError::Unreadable(_)), "{err:?}");
        let line = err.to_string();
        assert!(line.contains(says) && line.lines().count() == 1, "{line}");
        let out = dir.path().join("out.mp4");
        let err = duck_and_mux(video, &speech, &LINES, 12.0, &out)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
        assert!(!out.exists());
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".klang-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}
