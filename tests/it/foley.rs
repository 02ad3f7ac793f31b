//! `klang foley`: a 90-second video made by ffmpeg (five test patterns,
//! four hard cuts), the real binary in a private home with its receiver on
//! loopback serving the windows to a sandbox on loopback (its create count
//! is the bill, its fetches what the provider got), ffmpeg and ffprobe as
//! the judges of the track and the MP4.

use crate::bed::short_term;
use crate::common;

use common::home::{Home, json, stderr};
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig, SandboxHandle};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FPS: f64 = 25.0;

async fn quick_sandbox() -> SandboxHandle {
    sandbox::start(SandboxConfig {
        pending_ms: 100,
        processing_ms: 100,
        ..Default::default()
    })
    .await
    .expect("sandbox starts")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// 90 s at 25 fps, H.264, no audio: shots of 14, 19, 17, 22 and 18 s.
fn ninety_seconds(dir: &Path) -> PathBuf {
    let path = dir.join("walk in the park.mp4");
    let sources = [
        ("testsrc=d=60", 14),
        ("smptebars=d=60", 19),
        ("rgbtestsrc=d=60", 17),
        ("testsrc2=d=60", 22),
        ("color=c=0x224488", 18),
    ];
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-nostdin", "-y"]);
    for (source, seconds) in sources {
        cmd.args(["-f", "lavfi", "-i"]).arg(format!(
            "{source}:size=320x240:rate=25,trim=duration={seconds}"
        ));
    }
    let made = cmd
        .args([
            "-filter_complex",
            "[0:v][1:v][2:v][3:v][4:v]concat=n=5:v=1:a=0[v]",
            "-map",
            "[v]",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(made.success());
    path
}

async fn foley(home: &Home, sb: &SandboxHandle, listen: &str, args: &[&str]) -> Output {
    home.cmd(Some(SANDBOX_KEY))
        .args([
            "--base-url",
            &sb.base_url(),
            "--callback-listen",
            listen,
            "foley",
        ])
        .args(args)
        .output()
        .await
        .expect("klang runs")
}

fn probe_streams(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries"])
        .args([
            "stream=codec_type,codec_name,duration,nb_frames",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    serde_json::from_slice(&out.stdout).expect("ffprobe's json")
}

#[tokio::test]
async fn a_90_s_video_gets_one_track_as_long_as_it_in_at_most_7_calls() {
    if !common::clips::ffmpeg_available() {
        return;
    }
    let sb = quick_sandbox().await;
    let home = Home::new();
    let video = ninety_seconds(home.dir.path());
    let out_dir = home.dir.path().join("foley");
    let listen = format!("127.0.0.1:{}", free_port());
    let args = [
        video.to_str().unwrap(),
        "--sfx-prompt",
        "rain on leaves",
        "--out",
        out_dir.to_str().unwrap(),
        "--json",
    ];
    let out = foley(&home, &sb, &listen, &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let calls = report["calls_sent"].as_u64().unwrap();
    assert!((5..=7).contains(&calls), "{calls} calls");
    assert_eq!(sb.stats().creates as u64, calls);
    // Each window reached the provider as a clip of 3-20 s: what the
    // sandbox fetched read as an MP4 of that length.
    let fetches = sb.wait_video_fetches(calls as usize).await;
    for f in &fetches {
        assert_eq!(f.status, Some(200), "{f:?}");
        let ms = f.duration_ms.expect("the window reads as MP4");
        assert!((3_000..=20_000).contains(&ms), "{ms} ms");
    }
    assert!((report["cost_usd"].as_f64().unwrap() - calls as f64 * 0.0027).abs() < 1e-9);

    // The track is as long as the video, within one frame (ffprobe).
    let audio = PathBuf::from(report["path"].as_str().unwrap());
    let mp4 = PathBuf::from(report["video"].as_str().unwrap());
    assert!(audio.starts_with(&out_dir) && mp4.starts_with(&out_dir));
    let length = common::ffmpeg::probe_duration(&audio);
    assert!((length - 90.0).abs() <= 1.0 / FPS, "{length}");
    // The MP4: the video copied (same codec and frames), the track its
    // only audio, as long as the video within a frame.
    let streams = probe_streams(&mp4);
    let streams = streams["streams"].as_array().unwrap();
    let source = probe_streams(&video);
    let kinds: Vec<_> = streams.iter().map(|s| s["codec_type"].clone()).collect();
    assert_eq!(kinds, ["video", "audio"]);
    assert_eq!(streams[0]["codec_name"], "h264");
    assert_eq!(streams[0]["nb_frames"], source["streams"][0]["nb_frames"]);
    let muxed_audio: f64 = streams[1]["duration"].as_str().unwrap().parse().unwrap();
    assert!(
        (muxed_audio - 90.0).abs() <= 1.0 / FPS + 0.03,
        "{muxed_audio}"
    );

    // Loudness across every seam within 1 LU: ffmpeg's short-term
    // loudness (3 s) just before the overlap against just after it.
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len() as u64, calls);
    let loudness = short_term(&audio, 3.0);
    let at = |t: f64| {
        loudness
            .iter()
            .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
            .map(|&(_, s)| s)
            .unwrap()
    };
    for pair in windows.windows(2) {
        let (end, start) = (
            pair[0]["end_s"].as_f64().unwrap(),
            pair[1]["start_s"].as_f64().unwrap(),
        );
        // The 3 s before the overlap against the 3 s after it (the
        // target); the 3 s around it (the crossfade itself) neither dips
        // nor swells by 2 LU (the sandbox's looped textures vary by about
        // 1 LU in 3 s on their own; audio::crossfade's unit tests hold the
        // crossfade's power to 10%).
        let (before, after) = (at(start), at(end + 3.0));
        let across = at((start + end) / 2.0 + 1.5);
        assert!(
            (before - after).abs() <= 1.0 && (across - (before + after) / 2.0).abs() <= 2.0,
            "seam {start:.2}-{end:.2} s: {before:.1} LUFS before, {across:.1} across, {after:.1} after"
        );
    }

    // A manifest beside the track: its length, the prompt, a task id per
    // window.
    let manifest = std::fs::read_to_string(audio.with_extension("manifest.csv")).unwrap();
    let row = manifest.lines().nth(1).unwrap();
    assert!(
        row.starts_with("walk-in-the-park-foley.wav,90.000,"),
        "{manifest}"
    );
    assert!(row.contains(",rain on leaves,"), "{manifest}");
    assert_eq!(
        row.split(',').nth(5).unwrap().split(' ').count() as u64,
        calls,
        "{manifest}"
    );

    // Again: nothing sent, nothing rewritten.
    let modified = std::fs::metadata(&mp4).unwrap().modified().unwrap();
    let again = foley(&home, &sb, &listen, &args).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let again = json(&again);
    assert_eq!(again["calls_sent"], 0);
    assert_eq!(again["unchanged"], true);
    assert_eq!(sb.stats().creates as u64, calls);
    assert_eq!(
        std::fs::metadata(&mp4).unwrap().modified().unwrap(),
        modified
    );

    // `submit v2a --video-file` on a clip over 20 s says it makes a piece
    // and makes it: the same windows, already made, send nothing.
    let submitted = home
        .cmd(Some(SANDBOX_KEY))
        .args(["--base-url", &sb.base_url(), "--callback-listen", &listen])
        .args([
            "submit",
            "v2a",
            "--sfx-prompt",
            "rain on leaves",
            "--json",
            "--video-file",
        ])
        .arg(&video)
        .output()
        .await
        .unwrap();
    assert_eq!(submitted.status.code(), Some(0), "{}", stderr(&submitted));
    assert!(stderr(&submitted).contains("over the provider's 20 s: making it a foley piece"));
    let submitted = json(&submitted);
    assert_eq!(submitted["calls_sent"], 0);
    assert!(Path::new(submitted["video"].as_str().unwrap()).is_file());
    assert_eq!(sb.stats().creates as u64, calls);

    // A piece of kind foley whose segments are its windows: the dashboard
    // assembles it again as the command does (after a window's retake).
    let piece = again["piece"].as_i64().unwrap();
    let store = home.store();
    assert_eq!(store.segments(piece).unwrap().len() as u64, calls);
    std::fs::remove_file(&audio).unwrap();
    let assembled = klang::pieces::build::assemble_stored(&store, piece);
    assert!(
        matches!(
            assembled,
            Ok(klang::pieces::build::Assembly::Written { .. })
        ),
        "{assembled:?}"
    );
    assert!((common::ffmpeg::probe_duration(&audio) - 90.0).abs() <= 1.0 / FPS);
}

#[tokio::test]
async fn a_dry_run_shows_the_windows_and_bad_input_sends_nothing() {
    if !common::clips::ffmpeg_available() {
        return;
    }
    let sb = quick_sandbox().await;
    let home = Home::new();
    let video = ninety_seconds(home.dir.path());
    let listen = format!("127.0.0.1:{}", free_port());
    let dry = foley(
        &home,
        &sb,
        &listen,
        &[video.to_str().unwrap(), "--dry-run", "--json"],
    )
    .await;
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let plan = json(&dry);
    let windows = plan["windows"].as_array().unwrap();
    assert!(windows.len() <= 7 && windows.len() >= 5, "{windows:?}");
    assert_eq!(plan["calls_to_send"].as_u64(), Some(windows.len() as u64));
    let refused = |out: &Output, words: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
        let last = stderr(out).trim().lines().last().unwrap_or("").to_string();
        assert!(last.contains(words), "{}", stderr(out));
    };
    refused(
        &foley(
            &home,
            &sb,
            &listen,
            &[video.to_str().unwrap(), "--max-cost", "0.01"],
        )
        .await,
        "above --max-cost",
    );
    refused(
        &foley(
            &home,
            &sb,
            &listen,
            &[video.to_str().unwrap(), "--normalize", "5"],
        )
        .await,
        "--normalize must be -70 to 0 LUFS",
    );
    let text = home.dir.path().join("notes.mp4");
    std::fs::write(&text, "not a video").unwrap();
    refused(
        &foley(&home, &sb, &listen, &[text.to_str().unwrap()]).await,
        "nothing was sent",
    );
    assert_eq!(sb.stats().creates, 0);
}
