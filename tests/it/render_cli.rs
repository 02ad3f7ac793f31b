//! `klang render` with the real binary on sandbox results and on a file of
//! known content, every written file judged by ffmpeg and ffprobe.

use crate::common;

use common::ffmpeg;
use common::home::{Home, json, stderr};
use common::*;
use klang::sandbox::SANDBOX_KEY;
use serde_json::Value;
use std::path::PathBuf;

/// Submits `args` (after `submit sfx`) to a sandbox, waits and downloads;
/// returns the JSON printed.
async fn downloaded(home: &Home, base_url: &str, args: &[&str]) -> Value {
    let mut all = vec![
        "--base-url",
        base_url,
        "submit",
        "sfx",
        "--prompt",
        "rain on a tin roof",
    ];
    all.extend(args);
    all.extend(["--wait", "--download", "--json"]);
    let out = home.run(Some(SANDBOX_KEY), &all).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)
}

async fn render(home: &Home, args: &[&str]) -> std::process::Output {
    let mut all = vec!["render"];
    all.extend(args);
    home.run(Some(SANDBOX_KEY), &all).await
}

fn written(doc: &Value) -> PathBuf {
    PathBuf::from(doc["path"].as_str().expect("a path"))
}

const DELIVERY: [&str; 10] = [
    "--format",
    "wav",
    "--rate",
    "48000",
    "--bits",
    "24",
    "--normalize",
    "-23",
    "--trim",
    "--json",
];

#[tokio::test]
async fn a_sandbox_result_renders_to_48k_24_bit_at_minus_23_with_no_lead_silence() {
    if ffmpeg::missing() {
        return;
    }
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    let task = downloaded(&home, &sb.base_url(), &["--duration", "5.0"]).await;
    let id = task["id"].to_string();
    let download = PathBuf::from(task["local_path"].as_str().unwrap());
    let mut args = vec![id.as_str()];
    args.extend(DELIVERY);
    let out = render(&home, &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let wav = written(&doc);
    assert_eq!(wav.parent(), download.parent(), "beside the download");
    let judged = ffmpeg::judge(&wav);
    eprintln!("{}: {judged:?}", wav.display());
    assert_eq!(judged.codec, "pcm_s24le");
    assert_eq!(judged.rate, 48_000);
    assert!((judged.lufs + 23.0).abs() <= 0.5, "{judged:?}");
    assert!(judged.lead_s <= 0.015, "{judged:?}");
    assert!(judged.true_peak_db <= -1.0 + 0.2, "{judged:?}");
    // The figures printed are the written file's.
    assert_eq!(doc["audio"]["sample_rate"], 48_000);

    // Again: a second file, the first untouched.
    let again = json(&render(&home, &args).await);
    let second = written(&again);
    assert_ne!(second, wav);
    assert!(wav.is_file() && second.is_file());

    // FLAC that ffprobe reads.
    let out = render(&home, &[id.as_str(), "--format", "flac", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let flac = written(&json(&out));
    assert_eq!(ffmpeg::probe(&flac, "codec_name"), "flac");
    assert_eq!(
        ffmpeg::judge(&flac).samples,
        ffmpeg::judge(&download).samples
    );
}

#[tokio::test]
async fn impossible_settings_are_refused_before_anything_is_written() {
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    let task = downloaded(&home, &sb.base_url(), &[]).await;
    let id = task["id"].to_string();
    let dir = PathBuf::from(task["local_path"].as_str().unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    let before = std::fs::read_dir(&dir).unwrap().count();
    for (flag, value) in [("--normalize", "5"), ("--rate", "1000"), ("--bits", "20")] {
        let out = render(&home, &[id.as_str(), flag, value]).await;
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(&format!("{flag} {value}")), "{err}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before);
}

/// A completed task whose file is the judged source (1.0 s of silence,
/// 3 s of tones, 0.5 s of silence), rendered with the `[render]` defaults.
#[tokio::test]
async fn trim_and_config_defaults_on_a_file_of_known_content() {
    if ffmpeg::missing() {
        return;
    }
    let home = Home::new();
    let made = tempfile::tempdir().unwrap();
    ffmpeg::make_judged(made.path());
    let id = home.completed_task_with(&made.path().join("source.wav"));
    let out_dir = home.dir.path().join("renders");
    home.write_config(&format!(
        "[render]\nformat = \"flac\"\nbits = 16\nrate = 32000\ntrim = true\nmono = true\nout = {:?}\n",
        out_dir.display().to_string()
    ));
    let out = render(&home, &[&id.to_string(), "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let flac = written(&doc);
    assert!(flac.starts_with(&out_dir), "{}", flac.display());
    let j = ffmpeg::judge(&flac);
    assert_eq!((j.codec.as_str(), j.rate, j.channels), ("flac", 32_000, 1));
    assert_eq!(ffmpeg::probe(&flac, "bits_per_raw_sample"), "16");
    // 3 s of sound plus the 5 ms kept at each end.
    assert!((j.decoded_s() - 3.01).abs() < 0.01, "{j:?}");
    assert!(j.lead_s < 0.015 && j.tail_s < 0.015, "{j:?}");
    let trimmed = &doc["trimmed_s"];
    assert!(
        (trimmed[0].as_f64().unwrap() - 0.995).abs() < 0.002,
        "{doc}"
    );
}

#[tokio::test]
async fn a_group_renders_one_file_per_take_numbered_by_take() {
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    let takes = downloaded(&home, &sb.base_url(), &["--count", "2"]).await;
    let group = takes[0]["group_id"]
        .as_str()
        .expect("a group id")
        .to_string();
    let out_dir = home.dir.path().join("group");
    let out = render(
        &home,
        &[
            "--group",
            &group,
            "--out",
            out_dir.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let names: Vec<String> = doc
        .as_array()
        .expect("an array")
        .iter()
        .map(|f| {
            written(f)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            format!("{group}_take01.44.1k24.wav"),
            format!("{group}_take02.44.1k24.wav")
        ]
    );
}
