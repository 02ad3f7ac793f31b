//! The video check before a paid video-to-audio request, against a local
//! file host serving each bad case (tests/common/video_host.rs) with clips
//! ffmpeg makes at test time: the check itself, then the real `klang`
//! binary against the independent server (mini_api), which counts creates.

use crate::common;

use common::clips::Clip;
use common::home::{Home, json, stderr};
use common::mini_api;
use common::video_host::{self, VideoHost};
use klang::video::{Limits, check_url};
use std::time::Duration;

const KEY: &str = "sk-video-test";

/// The host with every clip, or None without ffmpeg (outside CI).
async fn host(dir: &std::path::Path) -> Option<VideoHost> {
    // About 2 MB of samples before the index.
    let end = Clip {
        seconds: 5.0,
        faststart: false,
        heavy: true,
    };
    let clips = [
        ("good.mp4", Clip::new(5.0)),
        ("long.mp4", Clip::new(25.0)),
        ("short.mp4", Clip::new(1.5)),
        ("end.mp4", end),
    ];
    video_host::with_clips(dir, &clips).await
}

/// Each bad case and a piece of the one line that refuses it.
const BAD: [(&str, &str); 7] = [
    ("missing.mp4", "answers 404"),
    ("page.html", "an HTML page"),
    (
        "big.mp4",
        "video is 157.3 MB; the provider takes at most 100 MB",
    ),
    ("long.mp4", "video is 25.0 s; the provider takes 3-20 s"),
    ("short.mp4", "video is 1.5 s; the provider takes 3-20 s"),
    ("loop.mp4", "more than 5 redirects"),
    // HEAD says 4 KB; the larger size, from the ranged GET, is believed.
    (
        "understated.mp4",
        "video is 157.3 MB; the provider takes at most 100 MB",
    ),
];

#[tokio::test]
async fn each_bad_video_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let Some(host) = host(dir.path()).await else {
        return;
    };
    for (name, reason) in BAD {
        let refusal = check_url(&host.url(name), &Limits::default())
            .await
            .expect_err(name);
        assert!(refusal.message.contains(reason), "{name}: {refusal:?}");
        assert!(!refusal.host_trouble, "{name}: {refusal:?}");
    }
    // The 150 MB were never sent: only the head was asked for.
    assert!(
        host.sent("big.mp4") <= 256 * 1024,
        "{}",
        host.sent("big.mp4")
    );
}

#[tokio::test]
async fn a_good_clip_passes_and_a_moov_at_the_end_is_read_from_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let Some(host) = host(dir.path()).await else {
        return;
    };
    let facts = check_url(&host.url("good.mp4"), &Limits::default())
        .await
        .unwrap();
    assert_eq!(facts.seconds, 5.0);
    assert_eq!(facts.size, Some((320, 240)));
    assert!(
        facts.to_string().starts_with("MP4 · 5.0 s · 320x240 · "),
        "{facts}"
    );

    let end = std::fs::metadata(dir.path().join("end.mp4")).unwrap().len();
    let facts = check_url(&host.url("end.mp4"), &Limits::default())
        .await
        .unwrap();
    assert_eq!((facts.seconds, facts.bytes), (5.0, end));
    let sent = host.sent("end.mp4");
    assert!(sent < end / 2, "read {sent} of {end} bytes");
}

#[tokio::test]
async fn a_dripping_host_is_given_up_at_the_deadline() {
    let host = video_host::start().await;
    let limits = Limits {
        deadline: Duration::from_secs(1),
        ..Limits::default()
    };
    let refusal = check_url(&host.url("drip.mp4"), &limits).await.unwrap_err();
    assert!(refusal.host_trouble, "{refusal:?}");
    assert!(
        refusal.message.contains("did not answer within 1 s"),
        "{refusal:?}"
    );
}

#[tokio::test]
async fn a_lying_content_length_does_not_make_the_check_read_more() {
    let dir = tempfile::tempdir().unwrap();
    let Some(host) = host(dir.path()).await else {
        return;
    };
    let _ = check_url(&host.url("lying.mp4"), &Limits::default()).await;
    // What the host produced before klang hung up: the head it asked for
    // plus what the sockets buffer, never the 90 MB the header claims.
    let sent = host.sent("lying.mp4");
    assert!(sent < 16 * 1024 * 1024, "{sent} bytes produced");
}

fn submit_args<'a>(base: &'a str, url: &'a str) -> Vec<&'a str> {
    vec![
        "--base-url",
        base,
        "submit",
        "v2a",
        "--video-url",
        url,
        "--wait",
        "--json",
    ]
}

#[tokio::test]
async fn the_cli_refuses_bad_videos_with_nothing_sent_and_sends_a_good_one_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some(host) = host(dir.path()).await else {
        return;
    };
    let api = mini_api::start(KEY, Duration::ZERO).await;
    let base = api.base_url();
    let home = Home::new();
    for (name, reason) in BAD {
        let url = host.url(name);
        let out = home.run(Some(KEY), &submit_args(&base, &url)).await;
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(reason) && err.contains("nothing was sent"),
            "{name}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{name}: one line: {err}");
    }
    assert_eq!(api.seen.lock().unwrap().creates, 0);
    let url = host.url("good.mp4");
    let out = home.run(Some(KEY), &submit_args(&base, &url)).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["state"], "completed");
    assert_eq!(api.seen.lock().unwrap().creates, 1);
}

#[tokio::test]
async fn a_host_that_does_not_answer_in_time_is_refused_and_no_check_sends_anyway() {
    let host = video_host::start().await;
    let api = mini_api::start(KEY, Duration::ZERO).await;
    let base = api.base_url();
    let home = Home::new();
    let url = host.url("drip.mp4");
    let out = home.run(Some(KEY), &submit_args(&base, &url)).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("did not answer within 10 s") && err.contains("--no-check"),
        "{err}"
    );
    let mut args = submit_args(&base, &url);
    args.push("--no-check");
    let out = home.run(Some(KEY), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(api.seen.lock().unwrap().creates, 1);
}

#[tokio::test]
async fn a_batch_line_with_a_bad_video_refuses_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let Some(host) = host(dir.path()).await else {
        return;
    };
    let api = mini_api::start(KEY, Duration::ZERO).await;
    let file = dir.path().join("lines.jsonl");
    let line = |name: &str| {
        format!(
            "{{\"model\": \"v2a\", \"video_url\": \"{}\"}}\n",
            host.url(name)
        )
    };
    std::fs::write(
        &file,
        line("good.mp4") + &line("long.mp4") + &line("page.html"),
    )
    .unwrap();
    let home = Home::new();
    let base = api.base_url();
    let path = file.to_str().unwrap();
    let out = home
        .run(Some(KEY), &["--base-url", &base, "batch", path])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("line 2: video_url: video is 25.0 s"), "{err}");
    assert!(
        err.contains("line 3: video_url: video_url is an HTML page"),
        "{err}"
    );
    assert!(
        err.contains("2 lines with a video the provider would refuse"),
        "{err}"
    );
    assert_eq!(api.seen.lock().unwrap().creates, 0);
}
