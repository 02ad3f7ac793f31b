//! `klang analyze` against ffmpeg as the judge, on files made at test time
//! by `scripts/make-audio-fixtures.sh --judged` (WAV, FLAC, Ogg, MP3 CBR
//! and VBR with and without a Xing header, AAC in M4A, MP3 cut at frame
//! boundaries): loudness within 0.2 LU, sample peak within 0.1 dB, length
//! and silence at each end within 2 ms of what ffmpeg decodes.

use crate::common;

use common::ffmpeg::{self, Judged};
use serde_json::Value;
use std::path::Path;

/// The judged files, as the script names them (surround.m4a is refused).
const FILES: &[&str] = &[
    "source.wav",
    "source.flac",
    "source.ogg",
    "cbr_xing.mp3",
    "cbr_noxing.mp3",
    "vbr_xing.mp3",
    "vbr_noxing.mp3",
    "source.m4a",
    "cut_0.3.mp3",
    "cut_0.6.mp3",
    "cut_1.5.mp3",
    "range.flac",
];

fn analyze(files: &[&Path]) -> (std::process::Output, Value) {
    let home = common::home::Home::new();
    let out = home
        .std_cmd()
        .arg("analyze")
        .arg("--json")
        .args(files)
        .output()
        .expect("klang runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, json)
}

fn close(name: &str, what: &str, klang: f64, judge: f64, within: f64) {
    assert!(
        (klang - judge).abs() <= within,
        "{name}: {what} {klang:.4} vs ffmpeg {judge:.4} (within {within})"
    );
}

fn figure(file: &Value, key: &str) -> f64 {
    file[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {file}"))
}

/// The figures klang gives one file, against ffmpeg's. For AAC in MP4
/// the length is the container's: ffmpeg applies the edit list's start
/// but decodes the encoder's padding at the end.
fn assert_agrees(name: &str, path: &Path, klang: &Value, judge: &Judged) {
    assert_eq!(
        klang["sample_rate"].as_u64(),
        Some(u64::from(judge.rate)),
        "{name}"
    );
    assert_eq!(
        klang["channels"].as_u64(),
        Some(u64::from(judge.channels)),
        "{name}"
    );
    let padding = if name.ends_with(".m4a") {
        judge.decoded_s() - ffmpeg::probe_duration(path)
    } else {
        0.0
    };
    let length = judge.decoded_s() - padding;
    close(name, "length", figure(klang, "duration_s"), length, 0.002);
    close(
        name,
        "loudness",
        figure(klang, "loudness_lufs"),
        judge.lufs,
        0.2,
    );
    close(
        name,
        "sample peak",
        figure(klang, "peak_dbfs"),
        judge.sample_peak_db,
        0.1,
    );
    // ffmpeg prints these to one decimal.
    close(
        name,
        "true peak",
        figure(klang, "true_peak_dbtp"),
        judge.true_peak_db,
        0.15,
    );
    close(
        name,
        "lead silence",
        figure(klang, "leading_silence_s"),
        judge.lead_s,
        0.002,
    );
    let tail = judge.tail_s - padding;
    close(
        name,
        "tail silence",
        figure(klang, "trailing_silence_s"),
        tail,
        0.002,
    );
}

#[test]
fn analyze_agrees_with_ffmpeg_on_every_format() {
    if ffmpeg::missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    ffmpeg::make_judged(dir.path());
    let paths: Vec<_> = FILES.iter().map(|f| dir.path().join(f)).collect();
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let (out, json) = analyze(&refs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = json.as_array().expect("an array");
    assert_eq!(files.len(), FILES.len());
    for (name, (path, klang)) in FILES.iter().zip(paths.iter().zip(files)) {
        assert_eq!(klang["path"].as_str(), path.to_str());
        let judge = ffmpeg::judge(path);
        eprintln!("{name}: klang {klang}\n  ffmpeg {judge:?}");
        assert_agrees(name, path, klang, &judge);
    }
}

/// Loudness range on 20 s that swell and fade. ffmpeg takes a short-term
/// block every 0.1 s, libebur128 (klang's meter) every second (both
/// within EBU Tech 3342), so they agree to half an LU, not to a tenth.
#[test]
fn loudness_range_agrees_with_ffmpeg() {
    if ffmpeg::missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    ffmpeg::make_judged(dir.path());
    let path = dir.path().join("range.flac");
    let (_, json) = analyze(&[&path]);
    let judge = ffmpeg::judge(&path);
    assert!(judge.lra > 5.0, "{judge:?}");
    close(
        "range.flac",
        "LRA",
        figure(&json[0], "loudness_range_lu"),
        judge.lra,
        0.5,
    );
}

#[test]
fn aac_in_mp4_starts_and_ends_where_the_container_says() {
    if ffmpeg::missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    ffmpeg::make_judged(dir.path());
    let m4a = dir.path().join("source.m4a");
    let (_, json) = analyze(&[&m4a]);
    let klang = &json[0];
    // The container's length (the edit list), not the decoder's frames.
    let declared = ffmpeg::probe_duration(&m4a);
    close(
        "m4a",
        "length",
        figure(klang, "duration_s"),
        declared,
        0.010,
    );
    close(
        "m4a",
        "lead silence",
        figure(klang, "leading_silence_s"),
        1.0,
        0.010,
    );
}

#[test]
fn surround_aac_is_refused_by_name_and_the_rest_still_measured() {
    if ffmpeg::missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    ffmpeg::make_judged(dir.path());
    let surround = dir.path().join("surround.m4a");
    let wav = dir.path().join("source.wav");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not audio at all\n").unwrap();
    let (out, json) = analyze(&[&surround, &text, &wav]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one line per bad file: {stderr}");
    assert!(lines[0].contains("surround.m4a"), "{stderr}");
    assert!(
        lines[0].contains("unsupported: AAC with 6 channels"),
        "{stderr}"
    );
    assert!(!lines[0].contains("download"), "{stderr}");
    assert!(lines[1].contains("notes.txt") && lines[1].contains("not a known audio format"));
    assert!(json[0]["error"].is_string() && json[1]["error"].is_string());
    assert_eq!(json[2]["sample_rate"].as_u64(), Some(44_100));
}
