//! `klang loop`: seamless loops of real audio made by ffmpeg and of a
//! sandbox result, judged independently: ffmpeg decodes the written file
//! to raw PCM and the test measures the seam (last sample to first)
//! against the file's own sample-to-sample jumps and spectral flux; a
//! test-side RIFF reader finds the `smpl` loop; ffprobe the FLAC's tags.
//! As a control, the source itself played end to start fails the same
//! targets, so they can fail.

use crate::common;

use common::home::{Home, json, stderr};
use common::riff;
use klang::sandbox::SANDBOX_KEY;
use realfft::RealFftPlanner;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Brown noise (each sample close to the last: a wrap of the raw file is a
/// jump far above its usual steps), two tones and pink noise, stereo.
fn source(dir: &Path, seconds: f64) -> PathBuf {
    let path = dir.join("ambience.wav");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(["-f", "lavfi", "-i"])
        .arg(format!("anoisesrc=d={seconds}:c=brown:r=48000:a=0.5:s=7"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=f=110:d={seconds}:r=48000"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=f=347:d={seconds}:r=48000"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("anoisesrc=d={seconds}:c=pink:r=48000:a=0.05:s=9"))
        .args([
            "-filter_complex",
            "[0][1][2][3]amix=inputs=4:normalize=0,volume=0.5,aformat=channel_layouts=stereo",
            "-c:a",
            "pcm_s16le",
        ])
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

/// Every channel of `path` as ffmpeg decodes it.
fn channels(path: &Path) -> Vec<Vec<f32>> {
    let count: usize = common::ffmpeg::probe(path, "channels").parse().unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "f32le", "-acodec", "pcm_f32le", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success());
    let samples: Vec<f32> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    (0..count)
        .map(|c| samples.iter().skip(c).step_by(count).copied().collect())
        .collect()
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p / 100.0).round() as usize]
}

/// The seam's jump and the file's 99th percentile of jumps.
fn seam_jump(x: &[f32]) -> (f64, f64) {
    let mut jumps: Vec<f64> = x
        .windows(2)
        .map(|w| f64::from((w[1] - w[0]).abs()))
        .collect();
    let seam = f64::from((x[0] - x[x.len() - 1]).abs());
    (seam, percentile(&mut jumps, 99.0))
}

const FRAME: usize = 1024;
const HOP: usize = 256;

/// Spectral flux (the rise of each bin's magnitude, summed) between
/// consecutive Hann-windowed frames of `x`.
fn flux(x: &[f32]) -> Vec<f64> {
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(FRAME);
    let window: Vec<f64> = (0..FRAME)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / FRAME as f64).cos())
        .collect();
    let mut previous: Option<Vec<f64>> = None;
    let mut out = Vec::new();
    let mut start = 0;
    while start + FRAME <= x.len() {
        let mut input: Vec<f64> = x[start..start + FRAME]
            .iter()
            .zip(&window)
            .map(|(&v, w)| f64::from(v) * w)
            .collect();
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut input, &mut spectrum).unwrap();
        let magnitudes: Vec<f64> = spectrum.iter().map(|c| c.norm()).collect();
        if let Some(p) = &previous {
            out.push(
                magnitudes
                    .iter()
                    .zip(p)
                    .map(|(m, p)| (m - p).max(0.0))
                    .sum(),
            );
        }
        previous = Some(magnitudes);
        start += HOP;
    }
    out
}

/// The highest flux of the frames across the seam (the file's end played
/// into its start) and the file's 95th percentile of flux.
fn seam_flux(x: &[f32]) -> (f64, f64) {
    let mut inside = flux(x);
    let span = 4 * FRAME;
    let mut wrapped: Vec<f32> = x[x.len() - span..].to_vec();
    wrapped.extend_from_slice(&x[..span]);
    let around = flux(&wrapped);
    // Frames (after the first) whose window holds the seam at `span`.
    let seam = (0..around.len())
        .filter(|&i| {
            let start = (i + 1) * HOP;
            start < span && span < start + FRAME
        })
        .map(|i| around[i])
        .fold(0.0, f64::max);
    (seam, percentile(&mut inside, 95.0))
}

/// Both targets for every channel; the figures, for the message.
pub(crate) fn seamless(path: &Path) -> Result<String, String> {
    let mut report = String::new();
    let mut ok = true;
    for (c, x) in channels(path).iter().enumerate() {
        let (jump, p99) = seam_jump(x);
        let (seam, p95) = seam_flux(x);
        report.push_str(&format!(
            "ch{c}: seam jump {jump:.5} vs p99 {p99:.5}; seam flux {seam:.3} vs p95 {p95:.3}. "
        ));
        ok &= jump <= p99 && seam <= p95;
    }
    if ok { Ok(report) } else { Err(report) }
}

async fn looped(home: &Home, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["loop"];
    all.extend(args);
    all.push("--json");
    let out = home.run(Some(SANDBOX_KEY), &all).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json(&out)
}

#[tokio::test]
async fn a_file_loops_without_a_click_and_says_where_in_a_smpl_chunk() {
    if common::ffmpeg::missing() {
        return;
    }
    let home = Home::new();
    let src = source(home.dir.path(), 6.0);
    // The control: the source played end to start clicks.
    let raw = seamless(&src);
    assert!(raw.is_err(), "the source alone already loops: {raw:?}");
    eprintln!("the source alone: {raw:?}");

    let doc = looped(&home, &[src.to_str().unwrap()]).await;
    assert_eq!(doc["calls_sent"], 0);
    assert_eq!(doc["cost_usd"], 0);
    let path = PathBuf::from(doc["path"].as_str().unwrap());
    assert_eq!(path, home.dir.path().join("ambience.loop.wav"));
    let figures = seamless(&path).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{figures}");

    let judged = common::ffmpeg::judge(&path);
    assert_eq!((judged.rate, judged.channels), (48_000, 2));
    // Near the end: at most the search window and a crossfade shorter.
    assert!(
        judged.decoded_s() >= 6.0 - 2.5 && judged.decoded_s() < 6.0,
        "{judged:?}"
    );
    let (start, end) = riff::smpl_loop(&path).expect("a smpl chunk");
    assert_eq!((u64::from(start), u64::from(end)), (0, judged.samples - 1));
    assert_eq!(doc["loop_end"], judged.samples - 1);
    // The origin is there too; the audio comes last.
    let ids: Vec<String> = riff::chunks(&path).into_iter().map(|(i, _)| i).collect();
    assert_eq!(ids, ["fmt ", "bext", "iXML", "smpl", "data"]);

    // Looping again never replaces the first.
    let again = looped(&home, &[src.to_str().unwrap(), "--crossfade", "200"]).await;
    assert_eq!(
        PathBuf::from(again["path"].as_str().unwrap()),
        home.dir.path().join("ambience.loop-2.wav")
    );
    seamless(Path::new(again["path"].as_str().unwrap())).unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_sandbox_result_loops_into_a_flac_with_loop_tags() {
    if common::ffmpeg::missing() {
        return;
    }
    let sb = common::sandbox(100, 100).await;
    let home = Home::new();
    let url = sb.base_url();
    let prompt = "wind through pine trees";
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &[
                "--base-url",
                url.as_str(),
                "submit",
                "sfx",
                "--prompt",
                prompt,
                "--duration",
                "8.0",
                "--wait",
                "--download",
                "--json",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let task = json(&out);
    let (id, task_id) = (
        task["id"].to_string(),
        task["task_id"].as_str().unwrap().to_string(),
    );
    let out_dir = home.dir.path().join("loops");
    let doc = looped(
        &home,
        &[
            &id,
            "--format",
            "flac",
            "--name",
            "ucs",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    )
    .await;
    let path = PathBuf::from(doc["path"].as_str().unwrap());
    assert_eq!(
        path,
        out_dir.join(format!(
            "WINDMisc_Wind Through Pine Trees_klang_{task_id}-loop.flac"
        ))
    );
    let figures = seamless(&path).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{figures}");
    let judged = common::ffmpeg::judge(&path);
    let tags = riff::format_tags(&path);
    assert_eq!(
        tags.get("loopstart").map(String::as_str),
        Some("0"),
        "{tags:?}"
    );
    assert_eq!(
        tags.get("looplength"),
        Some(&judged.samples.to_string()),
        "{tags:?}"
    );
    assert_eq!(tags.get("comment").map(String::as_str), Some(prompt));
    assert_eq!(tags.get("klang_reference"), Some(&task_id));
}

#[tokio::test]
async fn a_crossfade_too_long_for_the_file_is_refused_in_one_line() {
    if common::ffmpeg::missing() {
        return;
    }
    let home = Home::new();
    let src = source(home.dir.path(), 2.0);
    for (crossfade, says) in [
        ("1000", "--crossfade 666 or less"),
        ("0", "give 1 to 10000 ms"),
    ] {
        let out = home
            .run(
                None,
                &["loop", src.to_str().unwrap(), "--crossfade", crossfade],
            )
            .await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let text = stderr(&out);
        assert!(text.contains(says), "{text}");
        assert_eq!(text.trim().lines().count(), 1, "{text}");
    }
    // A folder that cannot be made: exit 4, one line, nothing written.
    let blocker = home.dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let out = home
        .run(
            None,
            &[
                "loop",
                src.to_str().unwrap(),
                "--out",
                blocker.join("sub").to_str().unwrap(),
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot create"), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim().lines().count(), 1);
    let only = std::fs::read_dir(home.dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "wav")
        })
        .count();
    assert_eq!(only, 1, "nothing written beside the source");
}
