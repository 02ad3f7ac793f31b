//! The figures as people read them, for the CLI and the dashboard alike.

use super::AudioStats;

fn channels(n: u32) -> String {
    match n {
        1 => "mono".into(),
        2 => "stereo".into(),
        n => format!("{n} ch"),
    }
}

fn peak(s: &AudioStats) -> String {
    s.peak_dbfs
        .map_or_else(|| "silent".into(), |p| format!("{p:.1} dBFS"))
}

fn true_peak(s: &AudioStats) -> String {
    s.true_peak_dbtp
        .map_or_else(|| "silent".into(), |p| format!("{p:.1} dBTP"))
}

fn range(s: &AudioStats) -> String {
    s.loudness_range_lu
        .map_or_else(|| "- LU".into(), |l| format!("{l:.1} LU"))
}

/// A rate in kHz exactly, without trailing zeros: 22050 Hz is `22.05 kHz`
/// (not a rounded `22.1`), 44100 `44.1 kHz`, 48000 `48 kHz`.
pub fn khz(hz: u32) -> String {
    let whole = hz / 1000;
    let fraction = format!("{:03}", hz % 1000);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{whole} kHz")
    } else {
        format!("{whole}.{fraction} kHz")
    }
}

fn loudness(s: &AudioStats) -> String {
    s.loudness_lufs
        .map_or_else(|| "- LUFS".into(), |l| format!("{l:.1} LUFS"))
}

/// One line: `4.52 s · 44.1 kHz mono · peak -3.0 dBFS · -18.4 LUFS · TP
/// -2.8 dBTP · LRA 3.1 LU` (what a narrow pane cuts off comes last).
pub fn summary(s: &AudioStats) -> String {
    format!(
        "{:.2} s · {} {} · peak {} · {} · TP {} · LRA {}",
        s.duration_s,
        khz(s.sample_rate),
        channels(s.channels),
        peak(s),
        loudness(s),
        true_peak(s),
        range(s),
    )
}

/// A few short lines, for beside the waveform.
pub fn stats_lines(s: &AudioStats) -> Vec<String> {
    vec![
        format!(
            "{:.2} s  {} {}",
            s.duration_s,
            khz(s.sample_rate),
            channels(s.channels)
        ),
        format!("peak {}", peak(s)),
        format!("loud {}", loudness(s)),
        format!("TP   {}", true_peak(s)),
        format!("LRA  {}", range(s)),
        format!(
            "quiet {:.2} s + {:.2} s",
            s.leading_silence_s, s.trailing_silence_s
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_a_sound_designer_expects() {
        let s = AudioStats {
            duration_s: 4.519,
            sample_rate: 44_100,
            channels: 2,
            peak_dbfs: Some(-0.04),
            true_peak_dbtp: Some(0.3),
            loudness_lufs: None,
            loudness_range_lu: None,
            leading_silence_s: 0.25,
            trailing_silence_s: 0.0,
        };
        assert_eq!(
            summary(&s),
            "4.52 s · 44.1 kHz stereo · peak -0.0 dBFS · - LUFS · TP 0.3 dBTP · LRA - LU"
        );
        assert_eq!(stats_lines(&s)[5], "quiet 0.25 s + 0.00 s");
    }

    #[test]
    fn rates_print_exactly() {
        assert_eq!(khz(22_050), "22.05 kHz");
        assert_eq!(khz(44_100), "44.1 kHz");
        assert_eq!(khz(48_000), "48 kHz");
        assert_eq!(khz(11_025), "11.025 kHz");
        assert_eq!(khz(8_000), "8 kHz");
    }
}
