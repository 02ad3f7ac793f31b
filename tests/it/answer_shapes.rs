//! The real `klang` binary against a server whose query answers take the
//! callback's shape (`resultJson`/`param` strings) or mix both shapes:
//! every model completes, downloads and keeps its audio length; a failed
//! task shows its failMsg. See docs/api.md, "Answers in either shape".

use crate::common;

use common::home::{Home, json, stderr};
use common::mini_api;
use common::shapes_api::{self, AUDIO_SECONDS, FAIL_MESSAGE, Shape};

const KEY: &str = "sk-shapes-test";

/// `submit <model args> --wait --download --json` for each model.
fn every_model(video_url: &str) -> Vec<Vec<String>> {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        strings(&["sfx", "--prompt", "rain on a tin roof", "--duration", "5"]),
        strings(&[
            "v2a",
            "--video-url",
            video_url,
            "--no-check",
            "--sfx-prompt",
            "footsteps",
        ]),
        strings(&[
            "tts",
            "--text",
            "Hello there",
            "--voice-id",
            "genshin_vindi2",
            "--lang",
            "en",
        ]),
    ]
}

async fn run_every_model(shape: Shape) {
    let api = shapes_api::start(KEY, shape).await;
    let home = Home::new();
    let base = api.base_url();
    let video = format!("{base}/clip.mp4");
    for model_args in every_model(&video) {
        let mut args = vec!["--base-url", base.as_str(), "submit"];
        args.extend(model_args.iter().map(String::as_str));
        args.extend(["--wait", "--download", "--json"]);
        let out = home.run(Some(KEY), &args).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["state"], "completed", "{args:?}");
        assert_eq!(doc["audio_seconds"], AUDIO_SECONDS, "{args:?}: {doc}");
        let path = doc["local_path"].as_str().expect("a downloaded file");
        assert_eq!(std::fs::read(path).unwrap(), mini_api::file_bytes());
    }
    assert_eq!(api.creates(), 3);
}

#[tokio::test]
async fn every_model_completes_and_downloads_when_queries_take_the_callback_shape() {
    run_every_model(Shape::Callback).await;
}

#[tokio::test]
async fn every_model_completes_and_downloads_when_queries_mix_both_shapes() {
    run_every_model(Shape::Mixed).await;
}

#[tokio::test]
async fn a_failed_task_in_the_callback_shape_shows_its_fail_message() {
    let api = shapes_api::start(KEY, Shape::Callback).await;
    let home = Home::new();
    let base = api.base_url();
    let args = [
        "--base-url",
        &base,
        "submit",
        "sfx",
        "--prompt",
        "make it fail",
        "--duration",
        "3",
        "--wait",
        "--json",
    ];
    let out = home.run(Some(KEY), &args).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["state"], "failed");
    assert_eq!(doc["fail_msg"], FAIL_MESSAGE);
    let plain = home
        .run(
            Some(KEY),
            &["--base-url", &base, "show", doc["id"].to_string().as_str()],
        )
        .await;
    assert!(String::from_utf8_lossy(&plain.stdout).contains(FAIL_MESSAGE));
}
