//! `klang speak`: the real binary in a private home against a sandbox on
//! loopback (its create count is the bill), a real SQLite store, and
//! ffmpeg as the judge of what was written.

use crate::common;

use common::home::{Home, json, stderr};
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig, SandboxHandle};
use std::path::PathBuf;
use std::process::Output;

async fn quick_sandbox() -> SandboxHandle {
    sandbox::start(SandboxConfig {
        pending_ms: 100,
        processing_ms: 100,
        audio_format: sandbox::AudioFormat::Wav,
        ..Default::default()
    })
    .await
    .expect("sandbox starts")
}

async fn speak(home: &Home, sb: &SandboxHandle, args: &[&str]) -> Output {
    let url = sb.base_url();
    let mut all = vec!["--base-url", url.as_str(), "speak"];
    all.extend_from_slice(args);
    home.run(Some(SANDBOX_KEY), &all).await
}

fn script(home: &Home, name: &str, text: &str) -> PathBuf {
    let path = home.dir.path().join(name);
    std::fs::write(&path, text).expect("script");
    path
}

const THREE_PARAGRAPHS: &str = "# Morning\n\nThe sun rose over the quiet hills. Birds began to sing.\n\nA farmer walked to the barn. He opened the door slowly.\n\n# Evening\n\nThe light faded. Everyone went home.\n";

#[tokio::test]
async fn a_dry_run_shows_the_plan_and_sends_nothing() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let file = script(&home, "story.md", THREE_PARAGRAPHS);
    let out = speak(&home, &sb, &[file.to_str().unwrap(), "--dry-run", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = json(&out);
    assert_eq!(plan["segments"].as_array().map(Vec::len), Some(5));
    assert_eq!(plan["segments"][1]["characters"], 55);
    assert_eq!(plan["calls_to_send"], 5);
    assert_eq!(plan["already_made"], 0);
    assert_eq!(plan["cost_usd"], 0.003);
    let text = speak(&home, &sb, &[file.to_str().unwrap(), "--dry-run"]).await;
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(shown.contains("5 segments, "), "{shown}");
    assert!(shown.contains("5 calls to send, $0.0030"), "{shown}");
    assert_eq!(sb.stats().creates, 0);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let refused = |out: &Output, words: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
        assert!(stderr(out).contains(words), "{}", stderr(out));
    };
    let empty = script(&home, "empty.md", "");
    refused(
        &speak(&home, &sb, &[empty.to_str().unwrap()]).await,
        "nothing to speak",
    );
    let markup = script(
        &home,
        "markup.md",
        "#\n\n---\n\n```\nlet x = 1;\n```\n* **\n",
    );
    refused(
        &speak(&home, &sb, &[markup.to_str().unwrap()]).await,
        "nothing to speak",
    );
    let binary = home.dir.path().join("latin1.txt");
    std::fs::write(&binary, b"Fine line.\nCaf\xe9 au lait.\n").unwrap();
    refused(
        &speak(&home, &sb, &[binary.to_str().unwrap()]).await,
        "not UTF-8 text: line 2, byte 4",
    );
    let file = script(&home, "story.md", THREE_PARAGRAPHS);
    refused(
        &speak(&home, &sb, &[file.to_str().unwrap(), "--max-cost", "0.002"]).await,
        "above --max-cost",
    );
    refused(
        &speak(
            &home,
            &sb,
            &[
                file.to_str().unwrap(),
                "--voice",
                "mengwa-v1",
                "--lang",
                "en",
            ],
        )
        .await,
        "voice_id",
    );
    refused(
        &speak(&home, &sb, &[file.to_str().unwrap(), "--retake", "9"]).await,
        "--retake 9",
    );
    assert_eq!(sb.stats().creates, 0);
}

/// A script that is not a regular file, or is too large, is refused at once
/// (exit 2, one line) instead of hanging the command or filling memory; a
/// hang kills the child and fails the test.
#[tokio::test]
async fn a_fifo_a_device_or_a_huge_script_is_refused_before_reading() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let fifo = home.dir.path().join("script.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let huge = home.dir.path().join("huge.md");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(2 << 30))
        .expect("a sparse 2 GiB file");
    let cases = [
        (fifo.to_str().unwrap(), "not a regular file (a FIFO)"),
        ("/dev/zero", "not a regular file (a character device)"),
        (huge.to_str().unwrap(), "larger than 16 MiB"),
    ];
    for (path, words) in cases {
        let out = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            speak(&home, &sb, &[path, "--dry-run"]),
        )
        .await
        .unwrap_or_else(|_| panic!("klang speak {path} hung"));
        assert_eq!(out.status.code(), Some(2), "{path}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(words), "{path}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    assert_eq!(sb.stats().creates, 0);
}
