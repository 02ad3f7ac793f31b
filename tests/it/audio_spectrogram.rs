//! Spectrograms of real files made with real encoders (see
//! scripts/make-audio-fixtures.sh): what sox synthesized into them (a tone
//! between silences, a sweep) is where the picture puts it.

use klang::audio::spectrogram::{FLOOR_DBFS, LOWEST_HZ};
use klang::audio::{AudioError, Spectrogram, analyse_file, spectrogram_file};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

fn loudest_band(s: &Spectrogram, column: usize) -> usize {
    (0..s.bands())
        .max_by(|&a, &b| s.level(column, a).total_cmp(&s.level(column, b)))
        .unwrap_or(0)
}

/// The band holding `hz` out of `bands` from LOWEST_HZ to `rate`'s Nyquist.
fn band_of(hz: f32, bands: usize, rate: f32) -> usize {
    let octaves = (hz / LOWEST_HZ).ln() / (rate / 2.0 / LOWEST_HZ).ln();
    (octaves * bands as f32) as usize
}

#[test]
fn a_tone_between_silences_shows_where_and_how_loud_it_is() {
    // mono_22k.mp3: 0.5 s silence, 2 s of 440 Hz at -12 dBFS, 0.5 s silence.
    let s = spectrogram_file(&fixture("mono_22k.mp3"), 60, 20, None).unwrap();
    assert_eq!((s.columns(), s.bands()), (60, 40));
    let quietest_in = |columns: std::ops::Range<usize>| {
        columns
            .flat_map(|c| (0..40).map(move |b| (c, b)))
            .map(|(c, b)| s.level(c, b))
            .fold(0.0f32, f32::max)
    };
    // 0.5 s is the first 10 columns; the encoder's delay smears a little.
    assert!(quietest_in(0..8) < 0.2, "{}", quietest_in(0..8));
    assert!(quietest_in(52..60) < 0.2, "{}", quietest_in(52..60));
    let band = band_of(440.0, 40, 22_050.0);
    for column in 12..48 {
        assert_eq!(loudest_band(&s, column), band, "column {column}");
        let dbfs = FLOOR_DBFS * (1.0 - s.level(column, band));
        assert!((-14.0..=-11.5).contains(&dbfs), "column {column}: {dbfs}");
    }
}

#[test]
fn a_sweep_climbs_from_its_start_to_its_end_frequency() {
    // stereo_48k.wav: 1.5 s sweep, 200 Hz to 4 kHz, both channels.
    let s = spectrogram_file(&fixture("stereo_48k.wav"), 80, 24, None).unwrap();
    let path: Vec<usize> = (0..80).map(|c| loudest_band(&s, c)).collect();
    assert!(path.windows(2).all(|w| w[0] <= w[1]), "{path:?}");
    let (first, last) = (path[1], path[78]);
    assert!(first <= band_of(260.0, 48, 48_000.0), "{path:?}");
    assert!(last >= band_of(3500.0, 48, 48_000.0), "{path:?}");
    assert!(last <= band_of(4100.0, 48, 48_000.0), "{path:?}");
}

#[test]
fn the_measured_length_the_header_and_a_count_agree() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = dir.path().join("rain.mp3");
    std::fs::write(
        &sandbox,
        klang::sandbox::sample_mp3("rain on a tin roof", 300),
    )
    .unwrap();
    for path in [fixture("stereo_48k.wav"), fixture("mono_22k.mp3"), sandbox] {
        let stats = analyse_file(&path).unwrap().stats;
        let known = spectrogram_file(&path, 50, 10, Some(&stats)).unwrap();
        let found = spectrogram_file(&path, 50, 10, None).unwrap();
        assert_eq!(known, found, "{}", path.display());
        assert!((0..50).any(|c| known.level(c, loudest_band(&known, c)) > 0.5));
    }
}

#[test]
fn a_file_that_is_not_audio_is_refused_not_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("expired.mp3");
    std::fs::write(
        &path,
        b"<html><body>Request has expired</body></html>".repeat(50),
    )
    .unwrap();
    let err = spectrogram_file(&path, 80, 10, None).unwrap_err();
    assert!(matches!(err, AudioError::Undecodable { .. }), "{err}");
    let err = spectrogram_file(Path::new("/nonexistent/a.mp3"), 80, 10, None).unwrap_err();
    assert!(matches!(err, AudioError::Open { .. }), "{err}");
}
