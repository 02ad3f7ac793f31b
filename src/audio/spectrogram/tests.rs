use super::*;

const RATE: u32 = 44_100;

fn tone(hz: f32, amplitude: f32, seconds: f32) -> impl Iterator<Item = f32> {
    let n = (RATE as f32 * seconds) as usize;
    (0..n).map(move |i| amplitude * (std::f32::consts::TAU * hz * i as f32 / RATE as f32).sin())
}

fn build(
    samples: impl IntoIterator<Item = f32>,
    total: u64,
    columns: usize,
    bands: usize,
) -> Spectrogram {
    let mut b = Builder::new(total, RATE, columns, bands);
    samples.into_iter().for_each(|s| b.push(s));
    b.finish()
}

fn loudest_band(s: &Spectrogram, column: usize) -> usize {
    (0..s.bands())
        .max_by(|&a, &b| s.level(column, a).total_cmp(&s.level(column, b)))
        .unwrap_or(0)
}

/// The band holding `hz` out of `bands` from LOWEST_HZ to Nyquist.
fn band_of(hz: f32, bands: usize) -> usize {
    let octaves = (hz / LOWEST_HZ).ln() / ((RATE as f32 / 2.0) / LOWEST_HZ).ln();
    (octaves * bands as f32) as usize
}

#[test]
fn a_tone_reads_its_level_in_its_band_in_every_column() {
    // 1 kHz at -20 dBFS for 2 s, in 40 columns of 60 bands.
    let s = build(tone(1000.0, 0.1, 2.0), 88_200, 40, 60);
    assert_eq!((s.columns(), s.bands()), (40, 60));
    for column in 0..40 {
        assert_eq!(
            loudest_band(&s, column),
            band_of(1000.0, 60),
            "column {column}"
        );
        let dbfs = FLOOR_DBFS * (1.0 - s.level(column, band_of(1000.0, 60)));
        // The Hann window loses up to 1.4 dB between two bins.
        assert!(
            (-21.5..=-19.9).contains(&dbfs),
            "column {column}: {dbfs} dBFS"
        );
        // Far from the tone the window's leakage is below -90 dBFS.
        assert!(s.level(column, 59) < 0.1, "{}", s.level(column, 59));
    }
}

#[test]
fn columns_follow_time_and_silence_is_the_floor() {
    // 1 s of silence, then 1 s of 4 kHz.
    let samples = std::iter::repeat_n(0.0, RATE as usize).chain(tone(4000.0, 0.5, 1.0));
    let s = build(samples, 2 * u64::from(RATE), 20, 30);
    let high = band_of(4000.0, 30);
    for column in 0..9 {
        assert!(
            (0..30).all(|b| s.level(column, b) == 0.0),
            "column {column}"
        );
    }
    for column in 11..20 {
        assert!(s.level(column, high) > 0.9, "column {column}");
    }
}

#[test]
fn a_sweep_climbs_across_the_columns() {
    // 100 Hz to 10 kHz, exponentially, over 3 s.
    let n = 3 * RATE as usize;
    let mut phase = 0.0f32;
    let sweep = (0..n).map(|i| {
        let hz = 100.0 * 100f32.powf(i as f32 / n as f32);
        phase += std::f32::consts::TAU * hz / RATE as f32;
        0.5 * phase.sin()
    });
    let s = build(sweep, n as u64, 30, 40);
    let path: Vec<usize> = (0..30).map(|c| loudest_band(&s, c)).collect();
    assert!(path.windows(2).all(|w| w[0] <= w[1]), "{path:?}");
    assert!(
        path[0] <= band_of(120.0, 40) && path[29] >= band_of(9000.0, 40),
        "{path:?}"
    );
}

#[test]
fn a_long_file_averages_a_few_ffts_per_column_and_a_short_one_pads() {
    let frames = plan_frames(10 * 60 * u64::from(RATE), 200);
    assert_eq!(frames.len(), 200 * MAX_FFTS_PER_COLUMN as usize);
    assert!(frames.windows(2).all(|w| w[0].end <= w[1].end));
    // 0.1 s in 80 columns: one FFT each, overlapping, the first zero-padded.
    let frames = plan_frames(4_410, 80);
    assert_eq!(frames.len(), 80);
    assert!(frames[0].end < FRAME_LEN as u64);
    let s = build(tone(2000.0, 1.0, 0.1), 4_410, 80, 20);
    assert!((0..80).all(|c| loudest_band(&s, c) == band_of(2000.0, 20)));
}

#[test]
fn a_header_claiming_more_than_the_file_leaves_the_rest_empty() {
    // Told 10 s, given 1 s: the first tenth has the tone, the rest nothing.
    let s = build(tone(500.0, 0.5, 1.0), 10 * u64::from(RATE), 50, 10);
    assert!(s.level(2, band_of(500.0, 10)) > 0.8);
    assert!((10..50).all(|c| (0..10).all(|b| s.level(c, b) == 0.0)));
    // Nothing at all, or no length: an empty picture, not a panic.
    assert_eq!(build([], 0, 5, 4), Spectrogram::silent(5, 4));
    assert_eq!(
        build(tone(500.0, 0.5, 0.1), 0, 5, 4),
        Spectrogram::silent(5, 4)
    );
    assert_eq!(build([], 100, 0, 0).level(3, 3), 0.0);
}

#[test]
fn fitting_to_a_pane_keeps_a_tone_in_its_band_and_its_place() {
    // 0.5 s of silence, then 1.5 s of 1 kHz: 100 columns of 64 bands.
    let samples = std::iter::repeat_n(0.0, RATE as usize / 2).chain(tone(1000.0, 0.5, 1.5));
    let s = build(samples, 2 * u64::from(RATE), 100, 64);
    for (columns, bands) in [(40, 16), (100, 64), (250, 8), (7, 3)] {
        let fitted = s.fit(columns, bands);
        assert_eq!((fitted.columns(), fitted.bands()), (columns, bands));
        let band = band_of(1000.0, bands);
        let last = columns - 1;
        assert_eq!(loudest_band(&fitted, last), band, "{columns}x{bands}");
        assert!(fitted.level(last, band) > 0.9, "{columns}x{bands}");
        assert!(
            (0..bands).all(|b| fitted.level(0, b) == 0.0),
            "{columns}x{bands}"
        );
    }
    assert_eq!(s.fit(0, 4).columns(), 0);
    assert_eq!(
        Spectrogram::silent(0, 0).fit(3, 2),
        Spectrogram::silent(3, 2)
    );
}
