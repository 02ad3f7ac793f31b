//! Loudness-matched copies for A/B listening, judged by ffmpeg: takes of
//! very different levels (real MP3s from scripts/make-audio-fixtures.sh
//! and WAVs written here with hound) come out at one level, within 0.5 LU
//! of the level computed for them, with no sample peak above -1 dBFS, as
//! 16-bit PCM WAV that every player reads.

use klang::audio::matched::{
    MatchTarget, PEAK_CEILING_DBFS, TakeLevel, match_takes, matched_copy_name, write_matched_copy,
};
use klang::audio::{AudioError, analyse_file};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

/// A mono 44.1 kHz WAV of a 1 kHz sine at `amplitude`, with one sample
/// at `click` if given (a peak far above the sine's).
fn sine_wav(dir: &Path, name: &str, amplitude: f32, click: Option<f32>) -> PathBuf {
    let path = dir.join(name);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..3 * 44_100 {
        let mut s = amplitude * (std::f32::consts::TAU * 1000.0 * i as f32 / 44_100.0).sin();
        if i == 44_100 {
            s = click.unwrap_or(s);
        }
        w.write_sample((s * 32767.0).round() as i16).unwrap();
    }
    w.finalize().unwrap();
    path
}

/// What ffmpeg measures: integrated loudness (LUFS), sample peak (dBFS).
fn ffmpeg_levels(path: &Path) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args([
            "-af",
            "ebur128=framelog=verbose,astats=measure_overall=Peak_level:measure_perchannel=none",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    let log = String::from_utf8_lossy(&out.stderr);
    let after = |marker: &str| -> f64 {
        let at = log
            .rfind(marker)
            .unwrap_or_else(|| panic!("no {marker:?} in {log}"));
        log[at + marker.len()..]
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("unreadable {marker:?} in {log}"))
    };
    (after("I:"), after("Peak level dB:"))
}

fn ffprobe_format(path: &Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name,channels"])
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Matches `takes` to `target`, writes their copies and checks each with
/// ffmpeg against the common level; returns that level.
fn assert_matched(takes: &[PathBuf], target: MatchTarget, cache: &Path) -> f64 {
    let levels: Vec<TakeLevel> = takes
        .iter()
        .map(|p| TakeLevel::from(&analyse_file(p).unwrap().stats))
        .collect();
    let gains = match_takes(&levels, target);
    let level = gains[0].unwrap().level_lufs;
    for (take, gain) in takes.iter().zip(gains) {
        let gain = gain.unwrap();
        let copy = write_matched_copy(take, gain.gain_db, cache).unwrap();
        let (lufs, peak) = ffmpeg_levels(&copy);
        let (before, _) = ffmpeg_levels(take);
        eprintln!(
            "{}: {before:.1} -> {lufs:.2} LUFS ({}), peak {peak:.2} dBFS",
            take.display(),
            gain.describe()
        );
        assert!(
            (lufs - level).abs() <= 0.5,
            "{}: {lufs} LUFS, wanted {level}",
            take.display()
        );
        assert!(
            peak <= PEAK_CEILING_DBFS,
            "{}: peak {peak} dBFS",
            take.display()
        );
        let channels = analyse_file(take).unwrap().stats.channels;
        assert_eq!(ffprobe_format(&copy), format!("pcm_s16le,{channels}"));
    }
    level
}

#[test]
fn takes_17_lu_apart_play_at_the_quietest_ones_level() {
    let dir = tempfile::tempdir().unwrap();
    // -26.0, -16.9 and -9.0 LUFS (ffmpeg).
    let takes = [
        fixture("stereo_44k.mp3"),
        fixture("mono_22k.mp3"),
        sine_wav(dir.path(), "loud.wav", 0.5, None),
    ];
    let level = assert_matched(&takes, MatchTarget::Quietest, &dir.path().join("cache"));
    assert!((level - -26.0).abs() < 0.5, "{level}");
}

#[test]
fn a_fixed_target_turns_up_until_the_peakiest_take_reaches_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let takes = [fixture("stereo_44k.mp3"), fixture("mono_22k.mp3")];
    let level = assert_matched(&takes, MatchTarget::Lufs(-23.0), &cache);
    assert_eq!(level, -23.0);
    // A -40 dBFS sine with one click at -0.4 dBFS (-41.8 LUFS by ffmpeg)
    // must be turned down 0.6 dB to keep its peak under the ceiling: the
    // group plays at its level instead of -23.
    let peaky = sine_wav(dir.path(), "peaky.wav", 0.01, Some(0.95));
    let takes = [peaky, fixture("stereo_44k.mp3")];
    let level = assert_matched(&takes, MatchTarget::Lufs(-23.0), &cache);
    assert!(level < -40.0, "{level}");
}

#[test]
fn a_copy_is_written_once_per_content_and_gain_and_never_half() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let take = fixture("mono_22k.mp3");
    let copy = write_matched_copy(&take, -3.0, &cache).unwrap();
    assert!(
        copy.file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with(".-3.00dB.wav"),
        "{copy:?}"
    );
    // Reused: a second call does not write it again.
    std::fs::write(&copy, b"kept").unwrap();
    assert_eq!(write_matched_copy(&take, -3.0, &cache).unwrap(), copy);
    assert_eq!(std::fs::read(&copy).unwrap(), b"kept");
    // Another gain, or the same name with other content, is another copy.
    let louder = write_matched_copy(&take, 2.5, &cache).unwrap();
    assert_ne!(louder, copy);
    let other = dir.path().join("mono_22k.mp3");
    std::fs::copy(fixture("stereo_44k.mp3"), &other).unwrap();
    assert_ne!(
        matched_copy_name(&other, -3.0).unwrap(),
        matched_copy_name(&take, -3.0).unwrap()
    );
    let names: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn failures_say_what_happened_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let html = dir.path().join("expired.mp3");
    std::fs::write(
        &html,
        b"<html><body>Request has expired</body></html>".repeat(50),
    )
    .unwrap();
    let err = write_matched_copy(&html, 1.0, &cache).unwrap_err();
    assert!(matches!(err, AudioError::Undecodable { .. }), "{err}");
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
    // The cache directory is a file: nothing can be written there.
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, b"").unwrap();
    let err = write_matched_copy(&fixture("mono_22k.mp3"), 1.0, &blocked).unwrap_err();
    assert!(matches!(err, AudioError::Write { .. }), "{err}");
    assert!(err.to_string().contains("cache directory"), "{err}");
}
