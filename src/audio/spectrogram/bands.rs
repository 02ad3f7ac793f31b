//! Which FFT bins feed each band (row) of the spectrogram: frequency on a
//! log scale from [`LOWEST_HZ`] to Nyquist, so every octave gets the same
//! height, as the ear hears pitch.

/// The lowest frequency drawn: below it is rumble a sound designer cuts,
/// and an FFT short enough for one terminal column resolves little there.
pub const LOWEST_HZ: f32 = 50.0;

/// Where one band's power comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    /// The loudest FFT bin in `start..end` (the upper octaves, several bins
    /// per band): the loudest rather than the mean, so a tone shows at its
    /// level however wide its band is.
    Loudest { start: usize, end: usize },
    /// Between FFT bins `below` and `below + 1` (the low octaves, where a
    /// band is narrower than the FFT resolves): interpolated.
    Between { below: usize, weight: f32 },
}

/// The band layout for one FFT length and sample rate.
#[derive(Debug)]
pub(super) struct Bands(Vec<Source>);

impl Bands {
    /// `count` bands from [`LOWEST_HZ`] (or lower, for a sample rate too low
    /// to reach it) to Nyquist, over the `frame_len / 2 + 1` bins of a real
    /// FFT of `frame_len` samples.
    pub fn new(count: usize, frame_len: usize, sample_rate: u32) -> Bands {
        let nyquist = sample_rate as f32 / 2.0;
        let lowest = LOWEST_HZ.min(nyquist / 4.0).max(f32::MIN_POSITIVE);
        let bin_hz = sample_rate as f32 / frame_len as f32;
        let last_bin = frame_len / 2;
        let edge = |band: usize| lowest * (nyquist / lowest).powf(band as f32 / count as f32);
        let sources = (0..count)
            .map(|band| {
                let (low, high) = (edge(band), edge(band + 1));
                let start = ((low / bin_hz).ceil() as usize).min(last_bin);
                // The top band takes the Nyquist bin, whatever rounding says.
                let end = if band + 1 == count {
                    last_bin + 1
                } else {
                    ((high / bin_hz).ceil() as usize).min(last_bin + 1)
                };
                if start < end {
                    return Source::Loudest { start, end };
                }
                let at = (low * high).sqrt() / bin_hz;
                let below = (at.floor() as usize).min(last_bin - 1);
                Source::Between {
                    below,
                    weight: (at - below as f32).clamp(0.0, 1.0),
                }
            })
            .collect();
        Bands(sources)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds each band's power, taken from the FFT bins' `power`, to `sums`.
    pub fn add_to(&self, power: &[f32], sums: &mut [f32]) {
        for (source, sum) in self.0.iter().zip(sums.iter_mut()) {
            *sum += match *source {
                Source::Loudest { start, end } => {
                    power[start..end].iter().copied().fold(0.0, f32::max)
                }
                Source::Between { below, weight } => {
                    power[below] * (1.0 - weight) + power[below + 1] * weight
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_climb_in_octaves_and_cover_the_spectrum_once() {
        let bands = Bands::new(100, 2048, 44_100);
        assert_eq!(bands.len(), 100);
        // The wide bands follow each other without gap or overlap, and the
        // top one ends with the Nyquist bin.
        let mut last_end = None;
        for source in &bands.0 {
            if let Source::Loudest { start, end } = *source {
                assert!(last_end.is_none_or(|e| e == start), "{source:?}");
                last_end = Some(end);
            }
        }
        assert_eq!(last_end, Some(1025));
        // 50 Hz sits below 2048-point resolution (21.5 Hz a bin): interpolated.
        assert!(matches!(bands.0[0], Source::Between { below: 2, .. }));
    }

    #[test]
    fn a_tone_lands_in_the_band_holding_its_frequency() {
        let bands = Bands::new(20, 1024, 8_000);
        let mut power = vec![0.0; 513];
        power[128] = 1.0; // 1 kHz
        let mut sums = vec![0.0; 20];
        bands.add_to(&power, &mut sums);
        let loudest = sums
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i);
        // 50 Hz..4 kHz in 20 bands: 1 kHz is log(20)/log(80) of the way up.
        let expected = (20.0 * (1000.0f32 / 50.0).ln() / 80.0f32.ln()) as usize;
        assert_eq!(loudest, Some(expected));
    }
}
