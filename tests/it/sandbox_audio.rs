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
        (tts(&"a".repeat(50)), 77_175), // 50 chars * 0.07 s
        (tts("hi"), 22_050),            // minimum 1 s
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
        assert_eq!(n, *expected, "case {i}");
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
        assert!(d >= seconds - 0.001 && d < seconds + 0.06, "{url}: {d} s");
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
