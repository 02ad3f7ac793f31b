//! `klang dub`: the real binary in a private home against the sandbox on
//! loopback (whose TTS length follows text and speed; its create count is
//! the bill), a real SQLite store, real files, and ffmpeg as the judge of
//! where each line sounds in what was written.

use crate::common;

use common::home::{Home, json, stderr};
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig, SandboxHandle};
use serde_json::Value;
use std::path::{Path, PathBuf};
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

async fn dub(home: &Home, sb: &SandboxHandle, args: &[&str]) -> Output {
    let url = sb.base_url();
    let mut all = vec!["--base-url", url.as_str(), "dub"];
    all.extend_from_slice(args);
    home.run(Some(SANDBOX_KEY), &all).await
}

fn stamp(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02},{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// An SRT of `cues` (start ms, end ms, text).
fn srt(cues: &[(u64, u64, String)]) -> String {
    cues.iter()
        .enumerate()
        .map(|(i, (a, b, t))| {
            format!(
                "{}\r\n{} --> {}\r\n{t}\r\n\r\n",
                i + 1,
                stamp(*a),
                stamp(*b)
            )
        })
        .collect()
}

const WORDS: [&str; 12] = [
    "harbour", "lantern", "evening", "morning", "island", "river", "mountain", "garden", "window",
    "letter", "autumn", "meadow",
];

/// `chars` characters of words (no sentence end inside), unique to `i`.
fn words(i: usize, chars: usize) -> String {
    let mut s = format!("Line {i}");
    let mut j = 0;
    while s.chars().count() < chars {
        s.push(' ');
        s.push_str(WORDS[(i * 5 + j * 7) % WORDS.len()]);
        j += 1;
    }
    s.chars()
        .take(chars)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// 40 cues, one every 3 s from 1 s: most fit at 1.0; every fourth (45
/// characters, 3.15 s at 1.0) needs 1.1; cues 7, 17, 27, 37 (62
/// characters, 3.3 s even at 1.3) run over; cues 12 and 26 are a short
/// word 0.7 s before the next cue, which the sandbox speaks for 1 s.
fn forty() -> Vec<(u64, u64, String)> {
    (0..40)
        .map(|i| {
            let start = 1_000 + 3_000 * i as u64;
            let n = i + 1;
            match i {
                12 | 26 => (start + 2_300, start + 2_800, format!("Yes {n}")),
                _ if i % 10 == 7 => (start, start + 2_500, words(n, 62)),
                _ if i % 4 == 1 => (start, start + 2_500, words(n, 45)),
                _ => (start, start + 2_500, words(n, 24)),
            }
        })
        .collect()
}

fn write(home: &Home, name: &str, text: &str) -> PathBuf {
    let path = home.dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// ffmpeg's silencedetect on `path`: where speech resumes and where it
/// stops (seconds), for silences of at least 50 ms under -50 dB.
fn silences(path: &Path) -> (Vec<f64>, Vec<f64>) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-af", "silencedetect=n=-50dB:d=0.05", "-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    let log = String::from_utf8_lossy(&out.stderr);
    let find = |key: &str| -> Vec<f64> {
        log.lines()
            .filter_map(|l| l.split(key).nth(1))
            .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
            .collect()
    };
    (find("silence_end: "), find("silence_start: "))
}

fn report(doc: &Value) -> Vec<Value> {
    doc["report"].as_array().cloned().unwrap_or_default()
}

fn ms(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN) / 1000.0
}

/// The placement targets, judged by ffmpeg on the track: at least 95% of
/// lines start within 40 ms of where the report says, and a line whose
/// speech runs more than 150 ms into the next is flagged. (A line that a
/// flagged one runs into has no silence before it to be heard by.)
fn assert_placement(doc: &Value) {
    let track = PathBuf::from(doc["path"].as_str().unwrap());
    let (onsets, ends) = silences(&track);
    let all = report(doc);
    let lines: Vec<&Value> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            *i == 0
                || all[i - 1]["overrun_ms"].as_u64().unwrap_or(0) <= 150
                || all[i - 1]["action"] != "kept"
        })
        .map(|(_, l)| l)
        .collect();
    let placed = lines
        .iter()
        .filter(|l| {
            let at = ms(&l["start_ms"]);
            onsets.iter().any(|o| (o - at).abs() <= 0.040)
        })
        .count();
    assert!(
        placed * 100 >= lines.len() * 95,
        "{placed} of {} lines start where reported; onsets {onsets:?}",
        lines.len()
    );
    for pair in all.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let start = ms(&a["start_ms"]);
        // Where ffmpeg hears this line's speech stop.
        let Some(end) = ends.iter().copied().find(|e| *e > start + 0.05) else {
            continue;
        };
        let flagged = a["overrun_ms"].as_u64().unwrap_or(0) > 150;
        assert!(
            flagged || end <= ms(&b["start_ms"]) + 0.150 + 0.040,
            "cue {} runs into cue {} unreported: {a} {b}",
            a["cue"],
            b["cue"]
        );
    }
}

#[tokio::test]
async fn forty_cues_fit_their_slots_and_a_rerun_pays_only_for_what_changed() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let cues = forty();
    let subs = write(&home, "film.srt", &srt(&cues));
    let args = [
        subs.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--json",
    ];

    let first = dub(&home, &sb, &args).await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let doc = json(&first);
    assert_eq!(doc["calls_sent"], 40, "one call per cue");
    assert_eq!(sb.stats().creates, 40);
    assert_eq!(doc["cost_usd"], 0.024);
    let lines = report(&doc);
    assert_eq!(lines.len(), 40);
    for (i, l) in lines.iter().enumerate() {
        let speed = l["speed"].as_f64().unwrap();
        // (Cues 12 and 26 start late, which gives 12 and 26's
        // predecessors room.)
        let needs = (i % 4 == 1 && i != 25) || i % 10 == 7;
        assert_eq!(speed > 1.0, needs, "cue {}: speed {speed}", i + 1);
        assert!(speed <= 1.3);
    }
    // The lines too long even at 1.3 moved the next ones, and say so.
    let cue8 = &lines[7];
    assert!(cue8["overrun_ms"].as_u64().unwrap() > 150, "{cue8}");
    assert_eq!(cue8["action"], "shift");
    assert_eq!(lines[8]["action"], "shifted");
    assert!(lines[8]["start_ms"].as_u64().unwrap() > 1_000 + 3_000 * 8);
    assert_placement(&doc);
    // The track is as long as the last cue's end (or its line's).
    let track = PathBuf::from(doc["path"].as_str().unwrap());
    let length = common::ffmpeg::probe_duration(&track);
    assert!((length - 120.5).abs() < 0.05, "{length}");
    // The report as CSV beside it: a header and a row per line.
    let csv = std::fs::read_to_string(doc["csv"].as_str().unwrap()).unwrap();
    assert_eq!(csv.lines().count(), 41);
    assert!(csv.starts_with("cue,part,speaker,slot_start_ms"));

    // Unchanged: nothing sent, nothing rewritten.
    let modified = std::fs::metadata(&track).unwrap().modified().unwrap();
    let again = dub(&home, &sb, &args).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(json(&again)["calls_sent"], 0);
    assert_eq!(json(&again)["unchanged"], true);
    assert_eq!(sb.stats().creates, 40);
    assert_eq!(
        std::fs::metadata(&track).unwrap().modified().unwrap(),
        modified
    );

    // One cue's text edited: exactly one call.
    let mut edited = cues.clone();
    edited[20].2 = "Line 21 was said another way".into();
    std::fs::write(&subs, srt(&edited)).unwrap();
    let third = dub(&home, &sb, &args).await;
    assert_eq!(third.status.code(), Some(0), "{}", stderr(&third));
    assert_eq!(json(&third)["calls_sent"], 1);
    assert_eq!(sb.stats().creates, 41);
    assert_placement(&json(&third));
}

#[tokio::test]
async fn a_rerun_keeps_each_lines_speed_after_the_learned_rate_moved() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let subs = write(&home, "film.srt", &srt(&forty()));
    // Chinese's default rate (4.5 characters a second) is far from what
    // the sandbox speaks (14.3): the first run gives every line 1.3.
    let args = [
        subs.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--lang",
        "zh",
        "--json",
    ];
    let first = dub(&home, &sb, &args).await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    // The first run measured 40 takes: the voice's rate is learned now
    // (and differs from the default), yet nothing is sent again.
    let plan = dub(
        &home,
        &sb,
        &[
            subs.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--lang",
            "zh",
            "--dry-run",
            "--json",
        ],
    )
    .await;
    let plan = json(&plan);
    assert_eq!(json(&first)["report"][0]["speed"], 1.3);
    let rate = plan["rates"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(rate["learned"], true, "{rate}");
    let learned = rate["chars_per_s"].as_f64().unwrap();
    assert!((13.0..15.5).contains(&learned), "{rate}");
    // At the learned rate the first line would be given 1.0 now; it keeps
    // the 1.3 it was made with.
    assert_eq!(plan["lines"][0]["speed"], 1.3, "{plan}");
    assert_eq!(plan["calls_to_send"], 0, "{plan}");
    let again = dub(&home, &sb, &args).await;
    assert_eq!(json(&again)["calls_sent"], 0);
    assert_eq!(sb.stats().creates, 40);
}

#[tokio::test]
async fn retake_sends_one_faster_take_for_a_line_that_runs_over() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let subs = write(&home, "film.srt", &srt(&forty()));
    let base = [
        subs.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--overrun",
        "retake",
    ];
    let dry = dub(&home, &sb, &[&base[..], &["--dry-run"]].concat()).await;
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let shown = String::from_utf8_lossy(&dry.stdout);
    assert!(shown.contains("possible retakes"), "{shown}");
    let out = dub(&home, &sb, &[&base[..], &["--json"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let calls = doc["calls_sent"].as_u64().unwrap();
    eprintln!("retake: {calls} calls for 40 lines");
    assert!(calls > 40, "the short lines are retaken: {calls}");
    assert!(calls as f64 / 40.0 <= 1.1, "{calls} calls for 40 lines");
    let lines = report(&doc);
    assert_eq!(lines[12]["action"], "retaken", "{}", lines[12]);
    assert!(lines[12]["speed"].as_f64() > lines[12]["first_speed"].as_f64());
    assert_placement(&doc);
    // A rerun reuses the retakes.
    let again = dub(&home, &sb, &[&base[..], &["--json"]].concat()).await;
    assert_eq!(json(&again)["calls_sent"], 0, "{}", stderr(&again));
}

#[tokio::test]
async fn keep_leaves_lines_at_their_cues_and_flags_every_overlap() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let subs = write(&home, "film.srt", &srt(&forty()));
    let out = dub(
        &home,
        &sb,
        &[
            subs.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--overrun",
            "keep",
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let lines = report(&doc);
    for (l, (start, _, _)) in lines.iter().zip(forty()) {
        assert_eq!(l["start_ms"].as_u64().unwrap().abs_diff(start), 0, "{l}");
    }
    assert_eq!(lines[7]["action"], "kept");
    assert_placement(&doc);
}

#[tokio::test]
async fn a_dry_run_prices_the_plan_and_sends_nothing() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let subs = write(&home, "film.srt", &srt(&forty()));
    let out = dub(&home, &sb, &[subs.to_str().unwrap(), "--dry-run", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = json(&out);
    assert_eq!(plan["calls_to_send"], 40);
    assert_eq!(plan["cost_usd"], 0.024);
    assert_eq!(plan["lines"][1]["speed"], 1.1);
    let refused = dub(&home, &sb, &[subs.to_str().unwrap(), "--max-cost", "0.01"]).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("above --max-cost"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(sb.stats().creates, 0);
}

#[tokio::test]
async fn bad_input_exits_2_with_one_line_before_anything_is_sent() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let good = write(&home, "good.srt", &srt(&forty()[..3]));
    let cases: Vec<(PathBuf, Vec<String>, &str)> = vec![
        (
            write(&home, "junk.srt", "hello\nthis is not\na subtitle file\n"),
            vec![],
            "line 1",
        ),
        (write(&home, "empty.srt", ""), vec![], "nothing to speak"),
        (home.dir.path().join("missing.srt"), vec![], "cannot read"),
        (
            good.clone(),
            vec![
                "--video".into(),
                write(&home, "fake.mp4", "not a video")
                    .display()
                    .to_string(),
            ],
            "cannot read",
        ),
        (
            good.clone(),
            vec!["--max-speed".into(), "2.5".into()],
            "--max-speed",
        ),
        (
            good.clone(),
            vec!["--voices".into(), "JOHN".into()],
            "NAME=voice_id",
        ),
    ];
    for (file, extra, says) in cases {
        let mut args = vec![file.to_str().unwrap().to_string()];
        args.extend(extra);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = dub(&home, &sb, &refs).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
    assert_eq!(sb.stats().creates, 0);
}

/// A 32 s video (10 fps) whose own audio is a steady 9 kHz tone at -6
/// dBFS (ffmpeg's sine is -18, raised 12 dB), far
/// above the sandbox's voices, so its level can be read through them.
fn video(dir: &Path) -> PathBuf {
    let path = dir.join("film.mp4");
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10:duration=32",
        ])
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=9000:sample_rate=48000:duration=32",
        ])
        .args([
            "-af",
            "volume=12dB",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ])
        .args(["-c:a", "aac", "-b:a", "192k", "-shortest"])
        .arg(&path)
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// The mean level (dB) of the 9 kHz tone in `path` from `at` for `len` s.
fn tone_level(path: &Path, at: f64, len: f64) -> f64 {
    let out = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostats",
            "-ss",
            &format!("{at:.3}"),
            "-t",
            &format!("{len:.3}"),
            "-i",
        ])
        .arg(path)
        .args([
            "-vn",
            "-af",
            "bandpass=f=9000:width_type=q:w=20,volumedetect",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg runs");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.split("mean_volume: ").nth(1))
        .filter_map(|r| r.split_whitespace().next()?.parse().ok())
        .next()
        .expect("volumedetect reports")
}

fn streams(path: &Path) -> Vec<String> {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn with_a_video_the_mix_ducks_the_original_under_each_line() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let film = video(home.dir.path());
    let subs = write(&home, "film.srt", &srt(&forty()[..10]));
    let out = dub(
        &home,
        &sb,
        &[
            subs.to_str().unwrap(),
            "--video",
            film.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["calls_sent"], 10);
    let mix = PathBuf::from(doc["mix"].as_str().unwrap());
    let stem = PathBuf::from(doc["path"].as_str().unwrap());
    assert!(stem.is_file(), "the speech stem is kept beside the mix");
    assert_eq!(streams(&mix), ["video", "audio"]);
    let video_s = common::ffmpeg::probe_duration(&film);
    let mix_s = common::ffmpeg::probe_duration(&mix);
    assert!(
        (mix_s - video_s).abs() <= 0.1,
        "mix {mix_s} s, video {video_s} s"
    );
    // The track runs as long as the video.
    assert!((common::ffmpeg::probe_duration(&stem) - video_s).abs() <= 0.05);
    assert_placement(&doc);
    // While a line speaks the original is at least 10 dB lower than in
    // the gaps between lines.
    let lines = report(&doc);
    for pair in lines.windows(2).take(6) {
        let (a, b) = (&pair[0], &pair[1]);
        let (start, len) = (ms(&a["start_ms"]), ms(&a["speech_ms"]));
        let gap = ms(&b["start_ms"]) - (start + len);
        if gap < 0.8 {
            continue;
        }
        let during = tone_level(&mix, start + len / 2.0 - 0.2, 0.4);
        let between = tone_level(&mix, start + len + gap / 2.0 - 0.15, 0.3);
        assert!(
            during <= between - 10.0,
            "cue {}: {during} dB under the line, {between} dB between",
            a["cue"]
        );
    }
}

#[tokio::test]
async fn the_dashboard_writes_a_dub_again_from_what_the_store_keeps() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let out_dir = home.dir.path().join("out");
    let subs = write(&home, "film.srt", &srt(&forty()[..10]));
    let out = dub(
        &home,
        &sb,
        &[
            subs.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let track = PathBuf::from(doc["path"].as_str().unwrap());
    std::fs::remove_file(&track).unwrap();
    // What the dashboard's Assemble runs (after `r` re-took a line): no
    // subtitle file needed, only the store.
    std::fs::remove_file(&subs).unwrap();
    let store = home.store();
    let piece = doc["piece"].as_i64().unwrap();
    let done =
        tokio::task::spawn_blocking(move || klang::pieces::build::assemble_stored(&store, piece))
            .await
            .unwrap();
    match done {
        Ok(klang::pieces::build::Assembly::Written { path, placements }) => {
            assert_eq!(path, track);
            assert_eq!(placements.len(), 10);
            let (onsets, _) = silences(&track);
            for (start, _) in placements {
                assert!(
                    onsets.iter().any(|o| (o - start).abs() <= 0.040),
                    "{start}: {onsets:?}"
                );
            }
        }
        other => panic!("{other:?}"),
    }
    let rows = home.store().segments(piece).unwrap();
    assert!(
        rows.iter()
            .all(|r| r.fit.as_ref().is_some_and(|f| f.start_ms.is_some()))
    );
    assert_eq!(sb.stats().creates, 10);
}
