//! The sandbox's results as audio, through plain HTTP with reqwest: WAV
//! and MP3 files of the requested length, served with ranges from a public
//! "CDN", that sound like their prompt.

use crate::sandbox_support;

use sandbox_support::*;

use anyhow::{Context, Result};
use klang::sandbox::SANDBOX_KEY;
use reqwest::StatusCode;

#[tokio::test]
async fn wav_files_have_the_requested_length_and_support_ranges() -> Result<()> {
    let sb = fast_wav().await?;
    let c = client()?;
    let cases = [
        (sfx("glass breaking", "4.5"), 99_225),
        // Speech (50 chars * 0.07 s; at least 1 s) between 0.1-0.5 s of
        // silence at each end.
        (tts(&"a".repeat(50)), 77_175),
        (tts("hi"), 22_050),
        (v2a(), 110_250),
    ];
    for (i, (body, expected)) in cases.iter().enumerate() {
        let id = create_ok(&c, &sb, body).await?;
        let data = wait_terminal(&c, &sb, &id).await?;
        let url = data["resultUrls"][0].as_str().context("url")?.to_string();
        let (status, h, bytes) = download(&c, &url).await?;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["content-type"], "audio/wav");
        assert_eq!(h["accept-ranges"], "bytes");
        assert_eq!(h["content-length"], bytes.len().to_string().as_str());
        let (spec, n, peak) = wav_samples(&bytes)?;
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 22_050, 16)
        );
        if body["model"] == "kling-tts" {
            let silent = n - expected;
            assert!((4_410..=22_050).contains(&silent), "case {i}: {n}");
        } else {
            assert_eq!(n, *expected, "case {i}");
        }
        assert!(peak > 1000, "silent audio");

        if i == 0 {
            // Same id, same bytes: a resumed download splices correctly.
            let again = c.get(&url).send().await?.bytes().await?;
            assert_eq!(again.as_ref(), bytes.as_slice());
            let resp = c.get(&url).header("Range", "bytes=1000-").send().await?;
            assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
            let len = bytes.len();
            assert_eq!(
                resp.headers()["content-range"],
                format!("bytes 1000-{}/{len}", len - 1).as_str()
            );
            assert_eq!(resp.bytes().await?.as_ref(), &bytes[1000..]);
            let resp = c
                .get(&url)
                .header("Range", format!("bytes={len}-"))
                .send()
                .await?;
            assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        }
    }
    // The file "CDN" is public: nothing above sent a key, and one that does is counted.
    assert_eq!(sb.stats().file_requests_with_auth, 0);
    let id = create_ok(&c, &sb, &sfx("beep", "3.0")).await?;
    let data = wait_terminal(&c, &sb, &id).await?;
    let url = data["resultUrls"][0].as_str().context("url")?;
    let resp = c.get(url).bearer_auth(SANDBOX_KEY).send().await?;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(sb.stats().file_requests_with_auth, 1);
    sb.shutdown().await;
    Ok(())
}

/// Decodes an MP3 the sandbox served (through a temp file, as klang does).
fn analyse_mp3(bytes: &[u8]) -> Result<klang::audio::Analysis> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("result.mp3");
    std::fs::write(&path, bytes)?;
    Ok(klang::audio::analyse_file(&path)?)
}

/// How much the loudness moves over time: the spread of the waveform's
/// column peaks (90th over 10th percentile). Steady rain is low, syllables
/// and knocks high.
fn envelope_swing(a: &klang::audio::Analysis) -> f32 {
    let mut levels: Vec<f32> = a
        .peaks
        .downsample(64)
        .iter()
        .map(|p| p.max.abs().max(p.min.abs()))
        .collect();
    levels.sort_by(f32::total_cmp);
    levels[levels.len() * 9 / 10] / levels[levels.len() / 10].max(1e-6)
}

#[tokio::test]
async fn mp3_results_have_the_requested_length_and_sound_like_their_prompt() -> Result<()> {
    let sb = fast().await?;
    let c = client()?;
    let mut results = Vec::new();
    for (body, seconds) in [
        (sfx("rain on a tin roof", "4.5"), 4.5),
        (tts(&"a".repeat(50)), 3.5),
        (sfx("door knocks", "6.0"), 6.0),
    ] {
        let id = create_ok(&c, &sb, &body).await?;
        let data = wait_terminal(&c, &sb, &id).await?;
        let url = data["resultUrls"][0].as_str().context("url")?.to_string();
        assert!(url.ends_with(".mp3"), "{url}");
        let (status, h, bytes) = download(&c, &url).await?;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["content-type"], "audio/mpeg");
        let a = analyse_mp3(&bytes)?;
        // Whole MP3 frames plus one that primes the decoder (which some
        // decoders output): at most two frames (52 ms) longer.
        let d = a.stats.duration_s;
        // TTS speech comes with 0.1-0.5 s of silence at each end.
        let silent = if body["model"] == "kling-tts" {
            0.2..1.0
        } else {
            0.0..0.0
        };
        assert!(
            d >= seconds + silent.start - 0.001 && d < seconds + silent.end + 0.06,
            "{url}: {d} s"
        );
        assert_eq!((a.stats.sample_rate, a.stats.channels), (44_100, 1));
        assert!(
            a.stats.loudness_lufs.is_some_and(|l| l > -35.0),
            "{:?}",
            a.stats
        );
        results.push(a);
    }
    let (rain, voice, knocks) = (&results[0], &results[1], &results[2]);
    eprintln!(
        "envelope swing: rain {:.2}, voice {:.2}, knocks {:.2}",
        envelope_swing(rain),
        envelope_swing(voice),
        envelope_swing(knocks)
    );
    // Rain is a steady hiss; a voice and knocks come and go.
    assert!(
        envelope_swing(rain) < 2.0,
        "rain swings {}",
        envelope_swing(rain)
    );
    assert!(
        envelope_swing(voice) > 2.5,
        "voice swings {}",
        envelope_swing(voice)
    );
    assert!(
        envelope_swing(knocks) > 2.5,
        "knocks swing {}",
        envelope_swing(knocks)
    );
    sb.shutdown().await;
    Ok(())
}

/// Where ffmpeg hears silence (below -45 dBFS for at least `min_s`) in
/// `path`: (start, end) pairs, the last open at the file's end.
fn silences(path: &std::path::Path, min_s: f64) -> Vec<(f64, f64)> {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args([
            "-af",
            &format!("silencedetect=n=-45dB:d={min_s}"),
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg runs");
    let log = String::from_utf8_lossy(&out.stderr);
    let value = |line: &str, key: &str| -> Option<f64> {
        line.split(key)
            .nth(1)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let mut out = Vec::new();
    for line in log.lines() {
        if let Some(start) = value(line, "silence_start: ") {
            out.push((start, f64::INFINITY));
        } else if let (Some(end), Some(last)) = (value(line, "silence_end: "), out.last_mut()) {
            last.1 = end;
        }
    }
    out
}

#[tokio::test]
async fn tts_speaks_like_a_service() -> Result<()> {
    let sb = fast_wav().await?;
    let c = client()?;
    let dir = tempfile::tempdir()?;
    let text = "The first sentence is here. A second one follows it! And a third ends.";
    let mut lengths = Vec::new();
    let mut levels = Vec::new();
    for (n, speed) in [(0, 1.0), (1, 2.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0)] {
        let mut body = tts(text);
        body["voice_speed"] = serde_json::json!(speed);
        let id = create_ok(&c, &sb, &body).await?;
        let data = wait_terminal(&c, &sb, &id).await?;
        let url = data["resultUrls"][0].as_str().context("url")?.to_string();
        let (_, _, bytes) = download(&c, &url).await?;
        let path = dir.path().join(format!("{n}.wav"));
        std::fs::write(&path, &bytes)?;
        let quiet = silences(&path, 0.08);
        let total = crate::common::ffmpeg::probe_duration(&path);
        // Silence before and after, 0.1-0.5 s each; a pause at each of
        // the two sentence ends inside.
        let lead = quiet.first().context("a leading silence")?;
        let trail = quiet.last().context("a trailing silence")?;
        assert!(
            lead.0 < 0.01 && (0.09..=0.52).contains(&lead.1),
            "{n}: {quiet:?}"
        );
        let trail_s = total - trail.0;
        assert!(
            (0.09..=0.52).contains(&trail_s),
            "{n}: {quiet:?} of {total}"
        );
        let inner: Vec<_> = quiet[1..quiet.len() - 1].to_vec();
        assert_eq!(inner.len(), 2, "{n}: {quiet:?}");
        for (a, b) in &inner {
            assert!((0.3..=0.4).contains(&(b - a)), "{n}: {quiet:?}");
        }
        // The first pause falls after "The first sentence is here." (27
        // of 71 characters).
        let speech = trail.0 - lead.1 - 0.7;
        let expected = lead.1 + speech * 27.0 / 71.0;
        assert!(
            (inner[0].0 - expected).abs() < 0.15,
            "{n}: {inner:?} vs {expected}"
        );
        lengths.push(trail.0 - lead.1);
        levels.push(crate::common::judge::integrated_lufs(&path));
    }
    // Twice as fast, half as long (the pauses stay).
    let slow = lengths[0] - 0.7;
    let fast = lengths[1] - 0.7;
    assert!((slow / fast - 2.0).abs() < 0.1, "{lengths:?}");
    // The level differs from task to task by a few dB (the gain, up to
    // 9 dB, on top of what each task's synthesis already varies).
    let spread = levels.iter().copied().fold(f64::MIN, f64::max)
        - levels.iter().copied().fold(f64::MAX, f64::min);
    assert!((1.0..=20.0).contains(&spread), "{levels:?}");
    Ok(())
}
