//! The real `klang` binary, headless, against a sandbox on loopback reached
//! through `--base-url` exactly as it would reach any contract server.

use crate::common;

use common::home::{Home, json, stderr};
use common::*;
use klang::sandbox::{self, SANDBOX_KEY, SANDBOX_KEY_NO_CREDITS, SandboxConfig};
use std::path::Path;

/// The foundation issue's done-when command, after the connection flags.
const RAIN_ON_A_TIN_ROOF: [&str; 9] = [
    "submit",
    "sfx",
    "--prompt",
    "rain on a tin roof",
    "--duration",
    "4.5",
    "--wait",
    "--download",
    "--json",
];

/// Checks what the done-when command printed: completed, and a path to a
/// valid 4.5 s audio file inside the download directory. Returns the JSON.
fn assert_rain_downloaded(home: &Home, out: &std::process::Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    let doc = json(out);
    assert_eq!(doc["state"], "completed");
    assert_eq!(doc["params"]["duration"], "4.5");
    assert_eq!(doc["cost_usd"], 0.0295);
    let path = doc["local_path"].as_str().expect("a downloaded file");
    assert!(Path::new(path).starts_with(home.downloads()));
    assert!(
        (audio_seconds(Path::new(path)) - 4.5).abs() < 0.06,
        "whole MP3 frames"
    );
    doc
}

#[tokio::test]
async fn submit_wait_download_works_against_a_contract_server_via_base_url() {
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    let url = sb.base_url();
    let mut args = vec!["--base-url", url.as_str()];
    args.extend(RAIN_ON_A_TIN_ROOF);
    let out = home.run(Some(SANDBOX_KEY), &args).await;
    let doc = assert_rain_downloaded(&home, &out);
    let path = doc["local_path"].as_str().unwrap_or_default();

    // The same task through list and show.
    let listed = json(
        &home
            .run(
                Some(SANDBOX_KEY),
                &["list", "--json", "--base-url", &sb.base_url()],
            )
            .await,
    );
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let task_id = doc["task_id"].as_str().unwrap();
    let shown = json(
        &home
            .run(Some(SANDBOX_KEY), &["show", &task_id[..10], "--json"])
            .await,
    );
    assert_eq!(shown["local_path"], path);
    assert!(shown["generation_seconds"].as_f64().unwrap() >= 0.3);
}

#[tokio::test]
async fn the_embedded_sandbox_needs_no_key() {
    let home = Home::new();
    let mut args = vec!["--sandbox"];
    args.extend(RAIN_ON_A_TIN_ROOF);
    let out = home.run(None, &args).await;
    assert_rain_downloaded(&home, &out);
    // Sandbox tasks live in their own store, apart from paid ones.
    let real = json(&home.run(None, &["list", "--json"]).await);
    assert_eq!(real.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn invalid_input_exits_2_names_field_and_limit_and_sends_nothing() {
    let sb = sandbox(100, 100).await;
    let home = Home::new();
    let url = sb.base_url();
    let long_text = "a".repeat(1001);
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["submit", "sfx", "--prompt", "x", "--duration", "12"],
            "duration",
            "10.0",
        ),
        (
            vec!["submit", "sfx", "--prompt", "", "--duration", "5"],
            "prompt",
            "empty",
        ),
        (
            vec![
                "submit",
                "tts",
                "--text",
                &long_text,
                "--voice-id",
                "v",
                "--lang",
                "en",
            ],
            "text",
            "1000",
        ),
        (
            vec![
                "submit",
                "tts",
                "--text",
                "hi",
                "--voice-id",
                "v",
                "--lang",
                "en",
                "--speed",
                "2.5",
            ],
            "voice_speed",
            "2.0",
        ),
        (
            vec!["submit", "v2a", "--video-url", "file:///etc/passwd"],
            "video_url",
            "http",
        ),
    ];
    for (args, field, limit) in cases {
        let mut full = vec!["--base-url", url.as_str()];
        full.extend(args);
        let out = home.run(Some(SANDBOX_KEY), &full).await;
        assert_eq!(out.status.code(), Some(2), "{full:?}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(field) && err.contains(limit), "{err}");
        assert!(out.stdout.is_empty());
    }
    let stats = sb.stats();
    assert_eq!(
        stats.creates + stats.queries + stats.unauthorized,
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn exit_codes_say_what_went_wrong() {
    let sb = sandbox(50, 100).await;
    let home = Home::new();
    let url = sb.base_url();
    let submit = |prompt: &'static str| {
        vec![
            "--base-url",
            url.as_str(),
            "submit",
            "sfx",
            "--prompt",
            prompt,
            "--wait",
        ]
    };
    let failed = home.run(Some(SANDBOX_KEY), &submit("it will fail")).await;
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    let bad_key = home.run(Some("wrong"), &submit("x")).await;
    assert_eq!(bad_key.status.code(), Some(3));
    assert!(
        stderr(&bad_key).contains("KLANG_API_KEY"),
        "{}",
        stderr(&bad_key)
    );
    let broke = home.run(Some(SANDBOX_KEY_NO_CREDITS), &submit("x")).await;
    assert_eq!(broke.status.code(), Some(3));
    assert!(stderr(&broke).contains("credits"));
    let no_key = home.run(None, &submit("x")).await;
    assert_eq!(no_key.status.code(), Some(3));
    let down = home
        .run(
            Some(SANDBOX_KEY),
            &[
                "--base-url",
                "http://127.0.0.1:9",
                "submit",
                "sfx",
                "--prompt",
                "x",
            ],
        )
        .await;
    assert_eq!(down.status.code(), Some(4), "{}", stderr(&down));
    let insecure = home
        .run(
            Some(SANDBOX_KEY),
            &["--base-url", "http://api.example.com", "list"],
        )
        .await;
    assert_eq!(insecure.status.code(), Some(2));
    assert!(stderr(&insecure).contains("clear text"));
    // The key never shows in anything klang printed.
    for out in [&failed, &bad_key, &down] {
        assert!(!stderr(out).contains(SANDBOX_KEY_NO_CREDITS));
    }
}

#[tokio::test]
async fn a_kill_during_create_leaves_a_visible_row() {
    // The server takes 5 s to answer: klang is killed while waiting.
    let sb = sandbox::start(SandboxConfig {
        latency_ms: 5_000,
        ..Default::default()
    })
    .await
    .unwrap();
    let home = Home::new();
    let mut child = home
        .cmd(Some(SANDBOX_KEY))
        .args([
            "--base-url",
            &sb.base_url(),
            "submit",
            "sfx",
            "--prompt",
            "in flight",
        ])
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let rows = json(&home.run(Some(SANDBOX_KEY), &["list", "--json"]).await);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "the paid-for-maybe task is not lost");
    assert_eq!(rows[0]["state"], "submitting");
    assert_eq!(rows[0]["summary"], "in flight");
    assert!(rows[0]["task_id"].is_null());
}

#[tokio::test]
async fn paths_and_global_flags_after_the_subcommand() {
    let home = Home::new();
    let out = home.run(None, &["paths", "--json"]).await;
    let doc = json(&out);
    assert!(
        doc["config"]
            .as_str()
            .unwrap()
            .ends_with("klang/config.toml")
    );
    assert!(doc["downloads"].as_str().unwrap().ends_with("downloads"));
    let out = home.run(None, &["list", "--sandbox", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test]
async fn two_processes_share_one_store() {
    let sb = sandbox(200, 300).await;
    let home = Home::new();
    let url = sb.base_url();
    let run = |prompt: &'static str| {
        let url = url.clone();
        let home = &home;
        async move {
            home.run(
                Some(SANDBOX_KEY),
                &[
                    "--base-url",
                    &url,
                    "submit",
                    "sfx",
                    "--prompt",
                    prompt,
                    "--wait",
                    "--download",
                    "--json",
                ],
            )
            .await
        }
    };
    let (a, b) = tokio::join!(run("first process"), run("second process"));
    for out in [&a, &b] {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        assert_eq!(json(out)["state"], "completed");
    }
    assert_ne!(json(&a)["id"], json(&b)["id"]);
    let listed = json(&home.run(Some(SANDBOX_KEY), &["list", "--json"]).await);
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn callback_listen_delivers_results_through_the_cli() {
    let home = Home::new();
    let out = home
        .run(
            None,
            &[
                "--sandbox",
                "--callback-listen",
                "127.0.0.1:0",
                "submit",
                "sfx",
                "--prompt",
                "pushed, not polled",
                "--wait",
                "--json",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["state"], "completed");
    assert_eq!(doc["has_callback"], true);
    let url = doc["params"]["callback_url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.contains("/klang/callback/"),
        "{url}"
    );
    // The token is made once per install and kept, owner-only.
    let token_file = home.dir.path().join("config/klang/callback-token");
    let token = std::fs::read_to_string(&token_file).unwrap();
    // The task's own local id after the token, shown without the token.
    let own_path = format!("/klang/callback/redacted/{}", doc["id"]);
    assert!(url.ends_with(&own_path), "{url}");
    assert!(!url.contains(token.trim()), "{url}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "token readable by others");
    }
    // 0.0.0.0 without a public URL is refused before anything is sent.
    let out = home
        .run(
            None,
            &[
                "--sandbox",
                "--callback-listen",
                "0.0.0.0:0",
                "submit",
                "sfx",
                "--prompt",
                "x",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--callback-url"));
}
