//! `klang speak` building: what is sent (the sandbox's create count is the
//! bill), what is written (judged by ffmpeg and ffprobe), and what a
//! rerun does, against the real binary in a private home.

use crate::common;

use common::home::{Home, json, stderr};
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig, SandboxHandle};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Output;

async fn quick_sandbox(latency_ms: u64) -> SandboxHandle {
    sandbox::start(SandboxConfig {
        pending_ms: 100,
        processing_ms: 100,
        latency_ms,
        audio_format: sandbox::AudioFormat::Wav,
        ..Default::default()
    })
    .await
    .expect("sandbox starts")
}

fn speak_args<'a>(url: &'a str, file: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "--base-url",
        url,
        "speak",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--gap",
        "600",
        "--json",
    ]
}

async fn speak(home: &Home, sb: &SandboxHandle, file: &Path, out: &Path) -> Output {
    let url = sb.base_url();
    home.run(Some(SANDBOX_KEY), &speak_args(&url, file, out))
        .await
}

fn paragraphs(n: usize) -> String {
    (1..=n)
        .map(|i| format!("Paragraph {i} begins here. It has a second sentence, too."))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn sha(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("file");
    format!("{:x}", Sha256::digest(&bytes))
}

/// Each cue's (start, end) as ffprobe reads the caption file.
fn probe_cues(path: &Path) -> Vec<(f64, f64)> {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=pts_time,duration_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "ffprobe refused {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (a, b) = l.split_once(',')?;
            let start: f64 = a.parse().ok()?;
            let length: f64 = b.trim_end_matches(',').parse().ok()?;
            Some((start, start + length))
        })
        .collect()
}

/// Where speech resumes after a silence of at least `min_s` (ffmpeg's
/// silencedetect).
fn speech_starts(path: &Path, min_s: f64) -> Vec<f64> {
    silence_log(path, min_s, "silence_end: ")
}

/// How long each silence of at least `min_s` lasts.
fn silence_lengths(path: &Path, min_s: f64) -> Vec<f64> {
    silence_log(path, min_s, "silence_duration: ")
}

fn silence_log(path: &Path, min_s: f64, key: &str) -> Vec<f64> {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args([
            "-af",
            &format!("silencedetect=n=-50dB:d={min_s}"),
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg runs");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.split(key).nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn a_build_writes_captions_and_a_rerun_pays_only_for_what_changed() {
    let sb = quick_sandbox(0).await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let file = home.dir.path().join("story.md");
    std::fs::write(&file, format!("# One\n\n{}", paragraphs(3))).unwrap();

    let first = speak(&home, &sb, &file, &out_dir).await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let doc = json(&first);
    assert_eq!(doc["segments"], 4);
    assert_eq!(doc["calls_sent"], 4);
    assert_eq!(sb.stats().creates, 4);
    let audio = PathBuf::from(doc["path"].as_str().unwrap());
    assert_eq!(audio, out_dir.join("story.wav"));
    assert!(doc["audio"]["duration_s"].as_f64().unwrap() > 5.0);
    for caption in [doc["srt"].as_str().unwrap(), doc["vtt"].as_str().unwrap()] {
        let cues = probe_cues(Path::new(caption));
        // "One" and two sentences a paragraph.
        assert_eq!(cues.len(), 7, "{caption}");
        for pair in cues.windows(2) {
            assert!(
                pair[0].0 < pair[1].0 && pair[0].1 <= pair[1].0 + 1e-3,
                "{caption}: {pair:?}"
            );
        }
        // Every chunk after a join starts with a cue within 100 ms of its speech.
        for start in speech_starts(&audio, 0.5) {
            if start < doc["audio"]["duration_s"].as_f64().unwrap() - 0.1 {
                assert!(
                    cues.iter().any(|c| (c.0 - start).abs() <= 0.1),
                    "{caption}: no cue at {start}: {cues:?}"
                );
            }
        }
    }
    // Every join is a new paragraph or heading: the paragraph gap (900 ms),
    // within 30 ms.
    let joins = silence_lengths(&audio, 0.5);
    assert_eq!(joins.len(), 3, "{joins:?}");
    assert!(joins.iter().all(|s| (s - 0.9).abs() <= 0.03), "{joins:?}");
    let chapters = std::fs::read_to_string(doc["chapters"].as_str().unwrap()).unwrap();
    assert!(chapters.starts_with(";FFMETADATA1") && chapters.contains("title=One"));

    // Nothing changed: nothing sent, the file left as it was.
    let before = (
        sha(&audio),
        std::fs::metadata(&audio).unwrap().modified().unwrap(),
    );
    let again = speak(&home, &sb, &file, &out_dir).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(json(&again)["calls_sent"], 0);
    assert_eq!(sb.stats().creates, 4);
    assert_eq!(
        before,
        (
            sha(&audio),
            std::fs::metadata(&audio).unwrap().modified().unwrap()
        )
    );

    // The plan of a made piece prices nothing to send as $0, not "$-0".
    let url = sb.base_url();
    let mut args = speak_args(&url, &file, &out_dir);
    args.retain(|a| *a != "--json");
    args.push("--dry-run");
    let plan = home.run(Some(SANDBOX_KEY), &args).await;
    let shown = String::from_utf8_lossy(&plan.stdout);
    assert!(
        shown.contains("4 of 4 already made; 0 calls to send, $0.0000"),
        "{shown}"
    );

    // One sentence edited: exactly its chunk is sent.
    let edited = std::fs::read_to_string(&file).unwrap().replacen(
        "Paragraph 2 begins here.",
        "Paragraph two begins here.",
        1,
    );
    std::fs::write(&file, edited).unwrap();
    let third = speak(&home, &sb, &file, &out_dir).await;
    assert_eq!(third.status.code(), Some(0), "{}", stderr(&third));
    assert_eq!(json(&third)["calls_sent"], 1);
    assert_eq!(sb.stats().creates, 5);
    assert_ne!(before.0, sha(&audio));

    // --retake 2 sends one new take of segment 2, and the piece uses it.
    let url = sb.base_url();
    let mut args = speak_args(&url, &file, &out_dir);
    args.extend(["--retake", "2"]);
    let retake = home.run(Some(SANDBOX_KEY), &args).await;
    assert_eq!(retake.status.code(), Some(0), "{}", stderr(&retake));
    assert_eq!(json(&retake)["calls_sent"], 1);
    assert_eq!(sb.stats().creates, 6);

    // klang pieces lists it; klang show of a segment's task names it.
    let listed = home.run(None, &["pieces", "--json"]).await;
    let pieces = json(&listed);
    assert_eq!(pieces[0]["segments"], 4);
    assert_eq!(pieces[0]["done"], 4);
    // Takes of its segments as they are now: the edited sentence's old
    // take belongs to text the piece no longer has.
    assert_eq!(pieces[0]["calls"], 5);
    assert_eq!(pieces[0]["state"], "assembled");
    let shown = home.run(None, &["show", "1", "--json"]).await;
    assert_eq!(json(&shown)["piece"]["output"], audio.display().to_string());
}

#[tokio::test]
async fn a_failed_segment_leaves_the_piece_partial_and_only_it_is_retried() {
    let sb = quick_sandbox(0).await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let file = home.dir.path().join("story.txt");
    // The sandbox fails a text with the whole word "fail" in it.
    std::fs::write(
        &file,
        "All is well here.\n\nThis one will fail, sadly.\n\nThe end.",
    )
    .unwrap();
    let out = speak(&home, &sb, &file, &out_dir).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("segment 2 (\"This one will fail, sadly.\")"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json(&out)["state"], "partial");
    assert!(!out_dir.join("story.wav").exists());
    assert_eq!(sb.stats().creates, 3);
    let again = speak(&home, &sb, &file, &out_dir).await;
    assert_eq!(again.status.code(), Some(1));
    // Only the failed one went again.
    assert_eq!(sb.stats().creates, 4);
    let listed = json(&home.run(None, &["pieces", "--json"]).await);
    assert_eq!(listed[0]["state"], "partial");
    assert_eq!(listed[0]["done"], 2);
}

#[tokio::test]
async fn killed_mid_build_a_rerun_sends_nothing_twice() {
    // Every answer takes 300 ms, so creates are in flight when it dies.
    let sb = quick_sandbox(300).await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let file = home.dir.path().join("long.md");
    std::fs::write(&file, paragraphs(16)).unwrap();
    let url = sb.base_url();
    let mut child = home
        .cmd(Some(SANDBOX_KEY))
        .args(speak_args(&url, &file, &out_dir))
        .spawn()
        .expect("klang starts");
    while sb.stats().creates < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.start_kill().expect("kill -9");
    let _ = child.wait().await;
    // A create the sandbox was already answering still counts.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let at_kill = sb.stats().creates;
    let rerun = home
        .run(Some(SANDBOX_KEY), &speak_args(&url, &file, &out_dir))
        .await;
    // A create whose answer died with the process may have been charged:
    // it is named, not sent again.
    let code = rerun.status.code();
    assert!(
        code == Some(0) || (code == Some(1) && stderr(&rerun).contains("submit-unknown")),
        "{}",
        stderr(&rerun)
    );
    let after = sb.stats().creates;
    assert!(after <= 16, "{after} creates for 16 segments");
    assert_eq!(
        json(&rerun)["calls_sent"].as_u64().unwrap(),
        after - at_kill
    );
    // A third run has nothing left to send.
    let third = home
        .run(Some(SANDBOX_KEY), &speak_args(&url, &file, &out_dir))
        .await;
    assert_eq!(third.status.code(), code, "{}", stderr(&third));
    assert_eq!(sb.stats().creates, after);
}

#[tokio::test]
async fn output_that_cannot_be_written_exits_4_and_keeps_the_made_segments() {
    let sb = quick_sandbox(0).await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let file = home.dir.path().join("story.md");
    std::fs::write(&file, paragraphs(2)).unwrap();
    // A folder where the narration's file should go: it cannot be replaced.
    std::fs::create_dir_all(out_dir.join("story.wav/inside")).unwrap();
    let out = speak(&home, &sb, &file, &out_dir).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&out_dir.join("story.wav").display().to_string()),
        "{}",
        stderr(&out)
    );
    assert_eq!(sb.stats().creates, 2);
    // Once it can be written, nothing is sent again.
    std::fs::remove_dir_all(out_dir.join("story.wav")).unwrap();
    let again = speak(&home, &sb, &file, &out_dir).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(json(&again)["calls_sent"], 0);
    assert_eq!(sb.stats().creates, 2);
    assert!(out_dir.join("story.wav").is_file());
}

#[tokio::test]
async fn an_out_folder_that_cannot_be_made_exits_4_before_sending() {
    let sb = quick_sandbox(0).await;
    let home = Home::new();
    let file = home.dir.path().join("story.md");
    std::fs::write(&file, paragraphs(1)).unwrap();
    let blocker = home.dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let out = speak(&home, &sb, &file, &blocker.join("sub")).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing was sent"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sb.stats().creates, 0);
}

#[tokio::test]
async fn another_piece_with_the_same_paragraph_reuses_its_take() {
    let sb = quick_sandbox(0).await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let shared = "The same paragraph in both scripts. It is paid for once.";
    let first = home.dir.path().join("first.md");
    std::fs::write(&first, format!("{shared}\n\nOnly in the first.")).unwrap();
    let second = home.dir.path().join("second.md");
    std::fs::write(&second, format!("Only in the second.\n\n{shared}")).unwrap();
    let a = speak(&home, &sb, &first, &out_dir).await;
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(sb.stats().creates, 2);
    let b = speak(&home, &sb, &second, &out_dir).await;
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert_eq!(json(&b)["calls_sent"], 1);
    assert_eq!(sb.stats().creates, 3);
    let pieces = json(&home.run(None, &["pieces", "--json"]).await);
    assert_eq!(pieces.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_chinese_script_is_spoken_in_chunks_that_end_on_its_marks() {
    let sb = quick_sandbox(0).await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let file = home.dir.path().join("zh.md");
    let sentence = "这是一个很长的中文句子，用来测试分割是否正确。";
    std::fs::write(&file, sentence.repeat(60)).unwrap();
    let url = sb.base_url();
    let mut args = speak_args(&url, &file, &out_dir);
    args.extend(["--lang", "zh", "--voice", "mengwa-v1"]);
    let out = home.run(Some(SANDBOX_KEY), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["segments"], 2);
    let srt = std::fs::read_to_string(doc["srt"].as_str().unwrap()).unwrap();
    // One cue per sentence (each fits two lines), in order.
    assert_eq!(
        probe_cues(Path::new(doc["srt"].as_str().unwrap())).len(),
        60
    );
    assert!(srt.lines().filter(|l| l.ends_with('。')).count() >= 60);
}
