//! Decoding and measuring real files made with real encoders (see
//! scripts/make-audio-fixtures.sh), against an independent implementation.
//!
//! Reference values: ffmpeg 5.1.8's ebur128 filter, measured with
//!   ffmpeg -i tests/fixtures/audio/FILE -af ebur128=peak=sample -f null -
//! ("I:" is integrated loudness, "Peak:" the sample peak of the loudest
//! channel). Durations are what the files were synthesized to (sox), which
//! a gapless MP3 decode must reproduce.

use klang::audio::{AudioError, analyse_file};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

struct Reference {
    file: &'static str,
    sample_rate: u32,
    channels: u32,
    duration_s: f64,
    lufs: f64,
    peak_dbfs: f64,
}

const REFERENCES: &[Reference] = &[
    Reference {
        file: "mono_22k.mp3",
        sample_rate: 22_050,
        channels: 1,
        duration_s: 3.0,
        lufs: -16.9,
        peak_dbfs: -12.4,
    },
    Reference {
        file: "stereo_44k.mp3",
        sample_rate: 44_100,
        channels: 2,
        duration_s: 3.0,
        lufs: -26.0,
        peak_dbfs: -16.6,
    },
    Reference {
        file: "stereo_48k.wav",
        sample_rate: 48_000,
        channels: 2,
        duration_s: 1.5,
        lufs: -6.9,
        peak_dbfs: -6.0,
    },
    Reference {
        file: "mono_32k.wav",
        sample_rate: 32_000,
        channels: 1,
        duration_s: 2.0,
        lufs: -24.9,
        peak_dbfs: -19.3,
    },
];

#[test]
fn loudness_peak_and_duration_match_ffmpeg() {
    for r in REFERENCES {
        let a = analyse_file(&fixture(r.file)).unwrap_or_else(|e| panic!("{}: {e}", r.file));
        let s = &a.stats;
        assert_eq!(s.sample_rate, r.sample_rate, "{}", r.file);
        assert_eq!(s.channels, r.channels, "{}", r.file);
        assert!(
            (s.duration_s - r.duration_s).abs() < 0.06,
            "{}: duration {} vs {}",
            r.file,
            s.duration_s,
            r.duration_s
        );
        let lufs = s.loudness_lufs.expect("loudness");
        assert!(
            (lufs - r.lufs).abs() <= 0.5,
            "{}: {lufs:.2} LUFS vs ffmpeg {}",
            r.file,
            r.lufs
        );
        let peak = s.peak_dbfs.expect("peak");
        assert!(
            (peak - r.peak_dbfs).abs() <= 0.5,
            "{}: peak {peak:.2} dBFS vs ffmpeg {}",
            r.file,
            r.peak_dbfs
        );
        assert_eq!(a.peaks.as_slice().len(), klang::audio::PEAK_COUNT);
        eprintln!(
            "{}: {:.3} s, {:.2} LUFS (ffmpeg {}), peak {:.2} dBFS (ffmpeg {})",
            r.file, s.duration_s, lufs, r.lufs, peak, r.peak_dbfs
        );
    }
}

#[test]
fn silence_at_the_ends_is_found() {
    // 0.5 s of silence either side of the tone, plus up to 60 ms of
    // untrimmed encoder delay.
    let s = analyse_file(&fixture("mono_22k.mp3")).unwrap().stats;
    assert!((s.leading_silence_s - 0.5).abs() < 0.06, "{s:?}");
    assert!((s.trailing_silence_s - 0.5).abs() < 0.06, "{s:?}");
    let s = analyse_file(&fixture("mono_32k.wav")).unwrap().stats;
    assert!(
        s.leading_silence_s > 0.05 && s.leading_silence_s < 0.2,
        "{s:?}"
    );
    let s = analyse_file(&fixture("stereo_44k.mp3")).unwrap().stats;
    assert!(s.leading_silence_s < 0.01, "{s:?}");
}

/// Every broken input ends in "cannot decode", never a panic or a hang.
fn assert_undecodable(bytes: &[u8], name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    match analyse_file(&path) {
        Err(AudioError::Undecodable { reason, .. }) => {
            eprintln!("{name}: {reason}");
            assert!(!reason.is_empty());
        }
        other => panic!("{name}: expected cannot-decode, got {other:?}"),
    }
}

#[test]
fn broken_files_cannot_be_decoded() {
    let mp3 = std::fs::read(fixture("stereo_44k.mp3")).unwrap();
    assert_undecodable(&mp3[..mp3.len() / 3], "truncated.mp3");
    assert_undecodable(&mp3[..mp3.len() / 3 + 101], "truncated-mid-frame.mp3");
    assert_undecodable(b"", "empty.mp3");
    let html = b"<!DOCTYPE html><html><head><title>403 Forbidden</title></head>\
        <body><h1>Forbidden</h1><p>Request has expired</p></body></html>\n";
    assert_undecodable(&html.repeat(40), "expired.mp3");

    let wav = std::fs::read(fixture("stereo_48k.wav")).unwrap();
    // The header promises all the data, the file holds a fifth of it.
    assert_undecodable(&wav[..wav.len() / 5], "cut.wav");
    // Zero channels, then an absurd sample rate, in a complete file.
    let mut lying = wav.clone();
    lying[22..24].copy_from_slice(&0u16.to_le_bytes());
    assert_undecodable(&lying, "no-channels.wav");
    let mut lying = wav.clone();
    lying[24..28].copy_from_slice(&0u32.to_le_bytes());
    assert_undecodable(&lying, "zero-rate.wav");
}

#[test]
fn a_missing_file_says_so() {
    let err = analyse_file(Path::new("/nonexistent/klang.mp3")).unwrap_err();
    assert!(matches!(err, AudioError::Open { .. }), "{err}");
}
