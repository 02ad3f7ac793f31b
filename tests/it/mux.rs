//! `klang mux` with the real binary: a video-to-audio task on the sandbox
//! made from a 5 s MP4 on a local file host (tests/common/video_host.rs),
//! the dubbed video judged by ffprobe; a second mux beside the first; and
//! a PATH without ffmpeg.

use crate::common;

use common::clips::{self, Clip};
use common::home::{Home, json, stderr};
use common::video_host::{self, VideoHost};
use klang::sandbox::SANDBOX_KEY;
use serde_json::Value;
use std::path::PathBuf;

/// A completed video-to-audio task made by the sandbox from a 5 s clip on
/// a local host; the folder, host and sandbox live as long as it does.
struct V2aTask {
    dir: tempfile::TempDir,
    _host: VideoHost,
    _sandbox: klang::sandbox::SandboxHandle,
    home: Home,
    task: Value,
}

/// None without ffmpeg (outside CI).
async fn completed_v2a() -> Option<V2aTask> {
    let dir = tempfile::tempdir().unwrap();
    let host = video_host::with_clips(dir.path(), &[("walk.mp4", Clip::new(5.0))]).await?;
    let sandbox = common::sandbox(100, 200).await;
    let home = Home::new();
    let task = v2a_task(&home, &sandbox.base_url(), &host.url("walk.mp4")).await;
    Some(V2aTask {
        dir,
        _host: host,
        _sandbox: sandbox,
        home,
        task,
    })
}

/// A completed video-to-audio task on `base_url` made from `url`; its JSON.
async fn v2a_task(home: &Home, base_url: &str, url: &str) -> Value {
    let args = [
        "--base-url",
        base_url,
        "submit",
        "v2a",
        "--video-url",
        url,
        "--wait",
        "--json",
    ];
    let out = home.run(Some(SANDBOX_KEY), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)
}

async fn mux(home: &Home, id: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["mux", id, "--json"];
    args.extend(extra);
    home.run(Some(SANDBOX_KEY), &args).await
}

fn judged(path: &std::path::Path) -> (Vec<String>, f64) {
    let (mut streams, seconds) = clips::probe(path);
    streams.sort();
    eprintln!("{}: {streams:?} {seconds} s", path.display());
    (streams, seconds)
}

#[tokio::test]
async fn mux_puts_the_result_on_its_video_and_a_second_mux_gets_a_new_name() {
    // Held whole: the host and sandbox must outlive the test.
    let Some(v2a) = completed_v2a().await else {
        return;
    };
    let (home, task) = (&v2a.home, &v2a.task);
    let id = task["id"].to_string();
    // Not downloaded yet: mux fetches the result first.
    let out = mux(home, &id, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let first = PathBuf::from(doc["path"].as_str().expect("a path"));
    assert_eq!(first.extension().unwrap(), "mp4");
    let audio = PathBuf::from(doc["audio"].as_str().unwrap());
    assert_eq!(first.parent(), audio.parent(), "beside the download");
    let (streams, seconds) = judged(&first);
    assert_eq!(
        streams,
        ["audio", "video"],
        "one video and one audio stream"
    );
    assert!((seconds - 5.0).abs() <= 0.3, "{seconds} s");

    let out = mux(home, &id, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second = PathBuf::from(json(&out)["path"].as_str().unwrap());
    assert_ne!(second, first);
    assert!(first.is_file() && second.is_file());
    assert_eq!(judged(&second).0, ["audio", "video"]);
    // No temporary file is left behind.
    let parts: Vec<_> = std::fs::read_dir(first.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "{parts:?}");
    // The store notes the latest for the details.
    let latest = home.store().latest_muxes(10).unwrap();
    assert_eq!(latest, [(task["id"].as_i64().unwrap(), second)]);

    let out_dir = v2a.dir.path().join("dubbed");
    let out = mux(home, &id, &["--out", out_dir.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let third = PathBuf::from(json(&out)["path"].as_str().unwrap());
    assert_eq!(third.parent(), Some(out_dir.as_path()));
}

#[tokio::test]
async fn without_ffmpeg_on_path_mux_says_how_to_get_it_in_one_line() {
    // Held whole: the host and sandbox must outlive the test.
    let Some(v2a) = completed_v2a().await else {
        return;
    };
    let (home, task) = (&v2a.home, &v2a.task);
    let id = task["id"].to_string();
    let empty = tempfile::tempdir().unwrap();
    let out = home
        .cmd(Some(SANDBOX_KEY))
        .env("PATH", empty.path())
        .args(["mux", &id])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("ffmpeg") && err.contains("not on PATH") && err.contains("install"),
        "{err}"
    );
    // Nothing was downloaded for a mux that cannot run.
    assert!(
        !home.downloads().exists() || std::fs::read_dir(home.downloads()).unwrap().count() == 0
    );
}

#[tokio::test]
async fn a_task_without_a_video_url_is_refused_before_anything_runs() {
    let sb = common::sandbox(100, 200).await;
    let home = Home::new();
    let args = [
        "--base-url",
        &sb.base_url(),
        "submit",
        "v2a",
        "--video-id",
        "vid_123",
        "--wait",
        "--json",
    ];
    let out = home.run(Some(SANDBOX_KEY), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = json(&out)["id"].to_string();
    let out = mux(&home, &id, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("made from a video_id"),
        "{}",
        stderr(&out)
    );
}
