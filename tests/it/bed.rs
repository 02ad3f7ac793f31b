//! `klang bed`: the real binary in a private home against a sandbox on
//! loopback (its create count is the bill), ffmpeg and ffprobe as the
//! judges of the bed written.

use crate::common;

use common::home::{Home, json, stderr};
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig, SandboxHandle};
use std::path::Path;
use std::process::{Command, Output};

async fn quick_sandbox() -> SandboxHandle {
    sandbox::start(SandboxConfig {
        pending_ms: 100,
        processing_ms: 100,
        ..Default::default()
    })
    .await
    .expect("sandbox starts")
}

async fn bed(home: &Home, sb: &SandboxHandle, args: &[&str]) -> Output {
    let url = sb.base_url();
    let mut all = vec!["--base-url", url.as_str(), "bed"];
    all.extend_from_slice(args);
    home.run(Some(SANDBOX_KEY), &all).await
}

/// ffmpeg's short-term loudness (3 s windows, ebur128), every 100 ms:
/// (time, LUFS) from `from_s` on.
pub(crate) fn short_term(path: &Path, from_s: f64) -> Vec<(f64, f64)> {
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-hide_banner",
            "-nostats",
            "-v",
            "verbose",
            "-i",
        ])
        .arg(path)
        .args(["-af", "ebur128=framelog=verbose", "-f", "null", "-"])
        .output()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    let log = String::from_utf8_lossy(&out.stderr);
    let value = |line: &str, tag: &str| -> Option<f64> {
        let at = line.find(tag)? + tag.len();
        line[at..].split_whitespace().next()?.parse().ok()
    };
    log.lines()
        .filter(|l| l.contains("Parsed_ebur128") && l.contains(" S:"))
        .filter_map(|l| Some((value(l, "t:")?, value(l, " S:")?)))
        .filter(|&(t, _)| t >= from_s)
        .collect()
}

fn spread(values: &[(f64, f64)]) -> f64 {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, v)| {
            (lo.min(v), hi.max(v))
        });
    hi - lo
}

#[tokio::test]
async fn a_ten_minute_bed_from_four_takes_is_even_and_never_repeats_within_30_s() {
    if common::judge::ffmpeg_missing() {
        return;
    }
    let sb = quick_sandbox().await;
    let home = Home::new();
    let out_dir = home.dir.path().join("beds");
    let out_arg = out_dir.to_str().unwrap();
    let args = [
        "--prompt",
        "rain on a tin roof",
        "--minutes",
        "10",
        "--out",
        out_arg,
        "--json",
    ];
    let out = bed(&home, &sb, &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["calls_sent"], 4);
    assert_eq!(report["cost_usd"], 0.118);
    assert_eq!(sb.stats().creates, 4);
    let path = Path::new(report["path"].as_str().unwrap()).to_path_buf();
    assert!(path.starts_with(&out_dir), "{}", path.display());
    // As long as asked: ffprobe's reading of the file.
    let length = common::ffmpeg::probe_duration(&path);
    assert!((length - 600.0).abs() < 0.01, "{length}");
    // No take comes back within 30 s: from the placements reported.
    let placements = report["placements"].as_array().unwrap();
    assert!(placements.len() > 60, "{}", placements.len());
    let mut last_start = std::collections::HashMap::new();
    let mut takes_heard = std::collections::HashSet::new();
    for p in placements {
        let (take, start) = (p["take"].as_u64().unwrap(), p["start_s"].as_f64().unwrap());
        takes_heard.insert(take);
        if let Some(before) = last_start.insert(take, start) {
            assert!(
                start - before >= 30.0,
                "take {take} at {before} and {start}"
            );
        }
    }
    assert_eq!(takes_heard.len(), 4);
    let ends = placements.last().unwrap()["end_s"].as_f64().unwrap();
    assert!((ends - 600.0).abs() < 0.01);
    // Short-term loudness (3 s windows), ffmpeg's, within a 3 LU range
    // from the first full window to the end.
    let loudness = short_term(&path, 3.0);
    assert!(loudness.len() > 5_000, "{}", loudness.len());
    let range = spread(&loudness);
    assert!(range <= 3.0, "short-term loudness spans {range:.2} LU");
    let lufs = common::judge::integrated_lufs(&path);
    assert!((lufs + 20.0).abs() < 1.0, "{lufs}");
    // The file says where it came from (bext, as ffprobe reads it).
    let tags = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format_tags", "-of", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let tags: serde_json::Value = serde_json::from_slice(&tags.stdout).unwrap();
    assert_eq!(tags["format"]["tags"]["comment"], "rain on a tin roof");
    let piece = report["piece"].as_i64().unwrap();
    assert_eq!(
        tags["format"]["tags"]["originator_reference"],
        format!("piece-{piece}")
    );

    // A manifest beside it: the file, its length, the prompt, the four
    // takes' task ids and their cost.
    let manifest = std::fs::read_to_string(path.with_extension("manifest.csv")).unwrap();
    let row = manifest.lines().nth(1).unwrap();
    assert!(
        row.starts_with("rain-on-a-tin-roof-bed.wav,600.000,"),
        "{manifest}"
    );
    assert!(
        row.contains(",rain on a tin roof,") && row.ends_with(",0.1180"),
        "{manifest}"
    );
    assert_eq!(
        row.split(',').nth(5).unwrap().split(' ').count(),
        4,
        "{manifest}"
    );

    // Again: nothing sent, the file left as it was.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let again = bed(&home, &sb, &args).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let again = json(&again);
    assert_eq!(again["calls_sent"], 0);
    assert_eq!(again["unchanged"], true);
    assert_eq!(sb.stats().creates, 4);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );

    // Six takes reuse the four made and send two.
    let six = [
        "--prompt",
        "rain on a tin roof",
        "--minutes",
        "2",
        "--takes",
        "6",
        "--out",
        out_arg,
        "--json",
    ];
    let more = bed(&home, &sb, &six).await;
    assert_eq!(more.status.code(), Some(0), "{}", stderr(&more));
    assert_eq!(json(&more)["calls_sent"], 2);
    assert_eq!(sb.stats().creates, 6);
    // The dashboard assembles a bed piece as the command does (after a
    // segment's retake): the file removed comes back from the same takes.
    let six_path = Path::new(json(&more)["path"].as_str().unwrap()).to_path_buf();
    std::fs::remove_file(&six_path).unwrap();
    let piece = json(&more)["piece"].as_i64().unwrap();
    let assembled = klang::pieces::build::assemble_stored(&home.store(), piece);
    assert!(
        matches!(
            assembled,
            Ok(klang::pieces::build::Assembly::Written { .. })
        ),
        "{assembled:?}"
    );
    assert!((common::ffmpeg::probe_duration(&six_path) - 120.0).abs() < 0.01);
    assert_eq!(sb.stats().creates, 6);
    let pieces = home.run(Some(SANDBOX_KEY), &["pieces", "--json"]).await;
    let pieces = json(&pieces);
    let kinds: Vec<_> = pieces
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].clone())
        .collect();
    assert!(kinds.iter().all(|k| k == "bed"), "{kinds:?}");
}

#[tokio::test]
async fn a_looped_bed_runs_from_its_end_into_its_start() {
    if common::judge::ffmpeg_missing() {
        return;
    }
    let sb = quick_sandbox().await;
    let home = Home::new();
    let out_dir = home.dir.path().join("beds");
    let out = bed(
        &home,
        &sb,
        &[
            "--prompt",
            "wind in pine trees",
            "--minutes",
            "1",
            "--loop",
            "--out",
            out_dir.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = Path::new(json(&out)["path"].as_str().unwrap()).to_path_buf();
    assert!((common::ffmpeg::probe_duration(&path) - 60.0).abs() < 0.01);
    // Played twice end to start (ffmpeg's concat), the short-term loudness
    // across the seam stays with the rest.
    let list = home.dir.path().join("twice.txt");
    std::fs::write(
        &list,
        format!("file '{}'\nfile '{}'\n", path.display(), path.display()),
    )
    .unwrap();
    let twice = home.dir.path().join("twice.wav");
    let made = Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-f", "concat", "-safe", "0", "-i",
        ])
        .arg(&list)
        .arg(&twice)
        .status()
        .unwrap();
    assert!(made.success());
    let loudness = short_term(&twice, 3.0);
    let range = spread(&loudness);
    assert!(range <= 3.0, "{range}");
    // The seam has no jump: ffmpeg reads the samples on each side.
    let samples = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(&path)
        .args(["-f", "s16le", "-ac", "1", "-"])
        .output()
        .unwrap()
        .stdout;
    let at = |i: usize| f64::from(i16::from_le_bytes([samples[2 * i], samples[2 * i + 1]]));
    let n = samples.len() / 2;
    let mut jumps: Vec<f64> = (1..n).map(|i| (at(i) - at(i - 1)).abs()).collect();
    jumps.sort_by(f64::total_cmp);
    let p99 = jumps[jumps.len() * 99 / 100];
    let seam = (at(0) - at(n - 1)).abs();
    assert!(
        seam <= p99,
        "seam jump {seam} above the 99th percentile {p99}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let sb = quick_sandbox().await;
    let home = Home::new();
    let refused = |out: &Output, words: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
        // The plan may come first; the refusal is one line, the last.
        let last = stderr(out).trim().lines().last().unwrap_or("").to_string();
        assert!(last.contains(words), "{}", stderr(out));
    };
    refused(
        &bed(&home, &sb, &["--prompt", "rain", "--takes", "3"]).await,
        "--takes 3: give 4 to 16",
    );
    refused(
        &bed(&home, &sb, &["--prompt", "rain", "--minutes", "0"]).await,
        "--minutes must be more than 0",
    );
    let long = "x".repeat(201);
    refused(
        &bed(&home, &sb, &["--prompt", &long]).await,
        "nothing was sent",
    );
    refused(
        &bed(&home, &sb, &["--prompt", "rain", "--max-cost", "0.1"]).await,
        "above --max-cost",
    );
    refused(
        &bed(&home, &sb, &["--group", "deadbeef"]).await,
        "group deadbeef: no takes",
    );
    let dry = bed(&home, &sb, &["--prompt", "rain", "--dry-run", "--json"]).await;
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert_eq!(json(&dry)["calls_to_send"], 4);
    assert_eq!(json(&dry)["cost_usd"], 0.118);
    assert_eq!(sb.stats().creates, 0);
}

#[tokio::test]
async fn a_bed_from_a_group_uses_its_takes_and_sends_nothing() {
    if common::judge::ffmpeg_missing() {
        return;
    }
    let sb = quick_sandbox().await;
    let home = Home::new();
    let url = sb.base_url();
    let submitted = home
        .run(
            Some(SANDBOX_KEY),
            &[
                "--base-url",
                &url,
                "submit",
                "sfx",
                "--prompt",
                "forest birds at dawn",
                "--duration",
                "10",
                "--count",
                "4",
                "--wait",
                "--json",
            ],
        )
        .await;
    assert_eq!(submitted.status.code(), Some(0), "{}", stderr(&submitted));
    let group = json(&submitted)[0]["group_id"].as_str().map(str::to_string);
    let group = group.expect("the takes' group id");
    let before = sb.stats().creates;
    let out = bed(&home, &sb, &["--group", &group, "--minutes", "2", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["calls_sent"], 0);
    assert_eq!(report["piece"], serde_json::Value::Null);
    assert_eq!(sb.stats().creates, before);
    let path = Path::new(report["path"].as_str().unwrap()).to_path_buf();
    assert!((common::ffmpeg::probe_duration(&path) - 120.0).abs() < 0.01);
}

/// Four takes of pink noise 4 dB apart (ffmpeg), completed tasks of one
/// group in the real store: the bed evens them out.
#[tokio::test]
async fn takes_of_different_loudness_are_matched_at_every_join() {
    use klang::api::{RemoteState, TaskStatus};
    if common::judge::ffmpeg_missing() {
        return;
    }
    let sb = quick_sandbox().await;
    let home = Home::new();
    let store = home.store();
    let group = "0badbeef";
    let request = common::sfx("room tone", "10.0");
    let ids = store
        .insert_intents(&request, false, 4, Some(group))
        .unwrap();
    let dir = home.downloads();
    std::fs::create_dir_all(&dir).unwrap();
    for (i, &id) in ids.iter().enumerate() {
        let file = dir.join(format!("take{i}.mp3"));
        let made = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i"])
            .arg(format!("anoisesrc=d=10:c=pink:seed={}:a=0.2", i + 3))
            .args([
                "-af",
                &format!("volume={}dB", i as i32 * 4 - 6),
                "-ar",
                "44100",
            ])
            .arg(&file)
            .status()
            .unwrap();
        assert!(made.success());
        store
            .mark_submitted(id, &format!("clfixture{id:015}"))
            .unwrap();
        let status = TaskStatus {
            state: Some(RemoteState::Completed),
            result_urls: vec!["https://r2.example/audio/result.mp3".into()],
            ..Default::default()
        };
        store.apply_status(id, &status).unwrap();
        store.set_local_path(id, &file).unwrap();
    }
    let out = bed(&home, &sb, &["--group", group, "--minutes", "3", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["calls_sent"], 0);
    let path = Path::new(report["path"].as_str().unwrap()).to_path_buf();
    let range = spread(&short_term(&path, 3.0));
    assert!(range <= 3.0, "short-term loudness spans {range:.2} LU");
    let gains: Vec<f64> = report["takes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["gain_db"].as_f64().unwrap())
        .collect();
    assert!(gains[0] - gains[3] > 10.0, "{gains:?}");
    assert_eq!(sb.stats().creates, 0);
}
