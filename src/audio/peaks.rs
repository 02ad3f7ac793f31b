//! The waveform overview: (min, max) pairs of the mono mix, computed once
//! while decoding and kept small enough to store, then narrowed to any
//! width without decoding again.

/// How many (min, max) pairs an analysis keeps: wider than any terminal
/// pane, small enough (8 KiB) to store beside the task.
pub const PEAK_COUNT: usize = 1024;

/// One column of the waveform: the lowest and highest sample in its span,
/// each in -1.0..=1.0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Peak {
    pub min: f32,
    pub max: f32,
}

impl Peak {
    const EMPTY: Peak = Peak {
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
    };

    fn merge(self, other: Peak) -> Peak {
        Peak {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    fn add(&mut self, sample: f32) {
        self.min = self.min.min(sample);
        self.max = self.max.max(sample);
    }
}

/// At most [`PEAK_COUNT`] peaks spread evenly over the whole file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Peaks(Vec<Peak>);

impl Peaks {
    pub fn new(peaks: Vec<Peak>) -> Peaks {
        Peaks(peaks)
    }

    pub fn as_slice(&self) -> &[Peak] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `width` columns, each the union of the stored peaks it covers (a
    /// column narrower than one stored peak repeats it). Empty when there
    /// is nothing to show.
    pub fn downsample(&self, width: usize) -> Vec<Peak> {
        let n = self.0.len();
        if n == 0 || width == 0 {
            return Vec::new();
        }
        (0..width)
            .map(|col| {
                let start = col * n / width;
                let end = ((col + 1) * n / width).max(start + 1).min(n);
                self.0[start..end]
                    .iter()
                    .fold(Peak::EMPTY, |acc, p| acc.merge(*p))
            })
            .collect()
    }

    /// Little-endian f32 pairs, for the store.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() * 8);
        for p in &self.0 {
            out.extend_from_slice(&p.min.to_le_bytes());
            out.extend_from_slice(&p.max.to_le_bytes());
        }
        out
    }

    /// The inverse of [`Peaks::to_bytes`]; a damaged blob gives what it can
    /// (values outside -1..=1 are clamped, anything not a number dropped).
    pub fn from_bytes(bytes: &[u8]) -> Peaks {
        let float = |b: &[u8]| {
            <[u8; 4]>::try_from(b)
                .ok()
                .map(f32::from_le_bytes)
                .filter(|v| v.is_finite())
                .map(|v| v.clamp(-1.0, 1.0))
        };
        Peaks(
            bytes
                .chunks_exact(8)
                .take(PEAK_COUNT)
                .filter_map(|c| {
                    let (a, b) = c.split_at(4);
                    Some(Peak {
                        min: float(a)?,
                        max: float(b)?,
                    })
                })
                .collect(),
        )
    }
}

/// Builds peaks while samples stream in, without knowing the length in
/// advance: buckets grow by doubling, so memory stays at 2 x PEAK_COUNT.
pub(crate) struct PeakBuilder {
    buckets: Vec<Peak>,
    current: Peak,
    in_current: u64,
    per_bucket: u64,
}

impl PeakBuilder {
    pub fn new() -> PeakBuilder {
        PeakBuilder {
            buckets: Vec::with_capacity(2 * PEAK_COUNT),
            current: Peak::EMPTY,
            in_current: 0,
            per_bucket: 1,
        }
    }

    pub fn push(&mut self, sample: f32) {
        self.current.add(sample);
        self.in_current += 1;
        if self.in_current == self.per_bucket {
            self.buckets.push(self.current);
            self.current = Peak::EMPTY;
            self.in_current = 0;
            if self.buckets.len() == 2 * PEAK_COUNT {
                self.buckets = self
                    .buckets
                    .chunks_exact(2)
                    .map(|pair| pair[0].merge(pair[1]))
                    .collect();
                self.per_bucket *= 2;
            }
        }
    }

    pub fn finish(mut self) -> Peaks {
        if self.in_current > 0 {
            self.buckets.push(self.current);
        }
        let all = Peaks(self.buckets);
        if all.0.len() > PEAK_COUNT {
            Peaks(all.downsample(PEAK_COUNT))
        } else {
            all
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_keeps_the_overall_shape() {
        let mut b = PeakBuilder::new();
        // A ramp from -1 to 1 over 100,000 samples.
        let n = 100_000;
        for i in 0..n {
            b.push(-1.0 + 2.0 * i as f32 / n as f32);
        }
        let peaks = b.finish();
        assert_eq!(peaks.as_slice().len(), PEAK_COUNT);
        let first = peaks.as_slice()[0];
        let last = peaks.as_slice()[PEAK_COUNT - 1];
        assert!(first.min <= -0.999 && first.max < -0.99, "{first:?}");
        assert!(last.max > 0.999 && last.min > 0.99, "{last:?}");
    }

    #[test]
    fn short_input_keeps_every_sample() {
        let mut b = PeakBuilder::new();
        for s in [0.5, -0.25, 0.0] {
            b.push(s);
        }
        let peaks = b.finish();
        assert_eq!(peaks.as_slice().len(), 3);
        assert_eq!(peaks.as_slice()[0], Peak { min: 0.5, max: 0.5 });
    }

    #[test]
    fn downsample_to_any_width_keeps_extremes() {
        let mut v = vec![Peak { min: 0.0, max: 0.1 }; PEAK_COUNT];
        v[700] = Peak {
            min: -0.9,
            max: 0.8,
        };
        let peaks = Peaks::new(v);
        for width in [1, 7, 80, 333, 1024, 3000] {
            let cols = peaks.downsample(width);
            assert_eq!(cols.len(), width);
            assert!(cols.iter().any(|c| c.min == -0.9 && c.max == 0.8));
        }
        assert!(Peaks::default().downsample(10).is_empty());
    }

    #[test]
    fn bytes_round_trip_and_survive_damage() {
        let peaks = Peaks::new(vec![
            Peak {
                min: -0.5,
                max: 0.25,
            },
            Peak { min: 0.0, max: 1.0 },
        ]);
        assert_eq!(Peaks::from_bytes(&peaks.to_bytes()), peaks);
        let mut bad = peaks.to_bytes();
        bad.extend_from_slice(&f32::NAN.to_le_bytes());
        bad.extend_from_slice(&[1, 2, 3]);
        assert_eq!(Peaks::from_bytes(&bad), peaks);
    }
}
