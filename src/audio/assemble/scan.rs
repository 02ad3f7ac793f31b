//! The measuring pass over one chunk, decoded block by block: its length,
//! where its speech starts and ends, the pauses inside it, its gated
//! loudness (EBU R128), its true peak, and the loudness of each of its
//! 400 ms gating blocks, so the program's loudness can be worked out for
//! any chunk gains without decoding again.

use crate::audio::SILENCE_THRESHOLD_DBFS;
use ebur128::{EbuR128, Mode};
use std::path::Path;

/// A stretch inside a chunk this long or longer, every 10 ms window of it
/// at or below [`PAUSE_THRESHOLD_DBFS`], is a pause (sentence ends, commas;
/// shorter gaps are the closures of consonants).
pub const PAUSE_MIN_MS: u64 = 200;
/// Quieter than speech, louder than the noise between words of a real
/// service's takes.
pub const PAUSE_THRESHOLD_DBFS: f64 = -45.0;
const PAUSE_WINDOW_MS: u64 = 10;

/// What the measuring pass finds in one chunk. Frames are the chunk's
/// own, at its own rate.
#[derive(Clone, Debug)]
pub struct Measured {
    pub rate: u32,
    pub channels: usize,
    pub frames: u64,
    /// The first loud frame and one past the last (-60 dBFS, as `--trim`).
    pub speech: std::ops::Range<u64>,
    /// Gated integrated loudness, LUFS; `None` when it cannot be measured
    /// (all of it below the gates).
    pub lufs: Option<f64>,
    pub true_peak_db: f64,
    /// The loudness of each 400 ms gating block (100 ms apart), LUFS.
    pub blocks: Vec<f32>,
    /// Pauses inside the speech, in frames.
    pub pauses: Vec<(u64, u64)>,
}

/// Decodes and measures the chunk at `path` as it will sound in the
/// program: mapped to `channels` (`None`: its own). `None` inside when it
/// is silent throughout.
pub fn measure(path: &Path, channels: Option<usize>) -> Result<Option<Measured>, String> {
    let outcome = crate::audio::decoding(path, move |mut opened| {
        let mut scan: Option<ChunkScan> = None;
        let mut mapped = Vec::new();
        opened.for_each_block(|block| {
            let to = channels.unwrap_or(block.channels);
            let s = match &mut scan {
                Some(s) => s,
                None => scan.insert(ChunkScan::new(to, block.rate)?),
            };
            if to == block.channels {
                s.add(block.samples)
            } else {
                map_channels(block.samples, block.channels, to, &mut mapped);
                s.add(&mapped)
            }
        })?;
        Ok(scan.ok_or("no audio could be decoded")?.finish())
    });
    outcome.map_err(|e| e.to_string())
}

/// `samples` (interleaved, `from` wide) in `to` channels: a mono chunk
/// copied to each channel, anything else mixed to mono first.
pub fn map_channels(samples: &[f32], from: usize, to: usize, out: &mut Vec<f32>) {
    out.clear();
    if from == to {
        out.extend_from_slice(samples);
        return;
    }
    let scale = 1.0 / from as f32;
    for frame in samples.chunks_exact(from) {
        let mono = frame.iter().sum::<f32>() * scale;
        out.extend(std::iter::repeat_n(mono, to));
    }
}

struct ChunkScan {
    meter: EbuR128,
    channels: usize,
    rate: u32,
    frames: u64,
    /// Frames per 100 ms, as the meter counts them.
    hop: u64,
    blocks: Vec<f32>,
    loud: f32,
    first_loud: Option<u64>,
    end_loud: u64,
    quiet: f32,
    window: u64,
    window_peak: f32,
    /// Where the current run of quiet windows started.
    quiet_since: Option<u64>,
    /// Quiet runs long enough, wherever they are (the ends are cut later).
    runs: Vec<(u64, u64)>,
}

impl ChunkScan {
    fn new(channels: usize, rate: u32) -> Result<ChunkScan, String> {
        let count = u32::try_from(channels).map_err(|_| "too many channels".to_string())?;
        let meter = EbuR128::new(count, rate, Mode::I | Mode::M | Mode::TRUE_PEAK)
            .map_err(|e| format!("{channels} channels at {rate} Hz: {e}"))?;
        let level = |db: f64| 10f32.powf(db as f32 / 20.0);
        Ok(ChunkScan {
            meter,
            channels,
            rate,
            frames: 0,
            hop: (u64::from(rate) + 5) / 10,
            blocks: Vec::new(),
            loud: level(SILENCE_THRESHOLD_DBFS),
            first_loud: None,
            end_loud: 0,
            quiet: level(PAUSE_THRESHOLD_DBFS),
            window: (u64::from(rate) * PAUSE_WINDOW_MS / 1000).max(1),
            window_peak: 0.0,
            quiet_since: None,
            runs: Vec::new(),
        })
    }

    fn add(&mut self, mut samples: &[f32]) -> Result<(), String> {
        let ch = self.channels;
        // Fed up to each 100 ms boundary, so the momentary loudness read
        // there is the gating block the meter has just closed.
        while !samples.is_empty() {
            let to_hop = (self.hop - self.frames % self.hop) as usize;
            let n = to_hop.min(samples.len() / ch);
            let (now, rest) = samples.split_at(n * ch);
            self.meter
                .add_frames_f32(now)
                .map_err(|e| format!("loudness meter: {e}"))?;
            self.levels(now);
            samples = rest;
            if self.frames.is_multiple_of(self.hop) && self.frames >= 4 * self.hop {
                let block = self.meter.loudness_momentary().unwrap_or(f64::NEG_INFINITY);
                self.blocks.push(block as f32);
            }
        }
        Ok(())
    }

    /// Loud frames and quiet windows.
    fn levels(&mut self, samples: &[f32]) {
        for frame in samples.chunks_exact(self.channels) {
            let peak = frame
                .iter()
                .map(|s| if s.is_finite() { s.abs() } else { 0.0 })
                .fold(0.0f32, f32::max);
            if peak > self.loud {
                self.first_loud.get_or_insert(self.frames);
                self.end_loud = self.frames + 1;
            }
            self.window_peak = self.window_peak.max(peak);
            self.frames += 1;
            if self.frames.is_multiple_of(self.window) {
                self.close_window();
            }
        }
    }

    fn close_window(&mut self) {
        let start = self.frames - self.window;
        if self.window_peak <= self.quiet {
            self.quiet_since.get_or_insert(start);
        } else if let Some(since) = self.quiet_since.take() {
            self.runs.push((since, start));
        }
        self.window_peak = 0.0;
    }

    fn finish(self) -> Option<Measured> {
        let first = self.first_loud?;
        let speech = first..self.end_loud;
        let min = u64::from(self.rate) * PAUSE_MIN_MS / 1000;
        let pauses = self
            .runs
            .iter()
            .filter(|(a, b)| *a > speech.start && *b < speech.end && b - a >= min)
            .copied()
            .collect();
        let finite = |v: f64| v.is_finite().then_some(v);
        let lufs = self
            .meter
            .loudness_global()
            .ok()
            .and_then(finite)
            .or_else(|| {
                // Under one 400 ms block: the momentary loudness, whose window
                // is part silence, scaled to the chunk's length.
                let seconds = self.frames as f64 / f64::from(self.rate);
                let m = self.meter.loudness_momentary().ok().and_then(finite)?;
                (seconds < 0.4 && m > -70.0).then(|| m + 10.0 * (0.4 / seconds).log10())
            });
        let peak = (0..self.channels as u32)
            .filter_map(|c| self.meter.true_peak(c).ok())
            .fold(0.0f64, f64::max);
        Some(Measured {
            rate: self.rate,
            channels: self.channels,
            frames: self.frames,
            speech,
            lufs,
            true_peak_db: 20.0 * peak.max(1e-10).log10(),
            blocks: self.blocks,
            pauses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, seconds: f64, amplitude: f32) -> Vec<f32> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| amplitude * (std::f32::consts::TAU * 440.0 * i as f32 / rate as f32).sin())
            .collect()
    }

    fn scanned(samples: &[f32], rate: u32) -> Measured {
        let mut s = ChunkScan::new(1, rate).unwrap();
        for block in samples.chunks(1_152) {
            s.add(block).unwrap();
        }
        s.finish().unwrap()
    }

    #[test]
    fn speech_pauses_and_blocks_are_found() {
        let rate = 24_000;
        let mut samples = vec![0.0; 12_000]; // 0.5 s
        samples.extend(tone(rate, 1.0, 0.3));
        samples.extend(vec![0.0; 7_200]); // a 0.3 s pause
        samples.extend(tone(rate, 1.0, 0.3));
        samples.extend(vec![0.0; 2_400]);
        let m = scanned(&samples, rate);
        assert_eq!(m.speech.start, 12_000 + 1, "the sine's first sample is 0");
        assert!(m.speech.end.abs_diff(12_000 + 24_000 + 7_200 + 24_000) <= 1);
        assert_eq!(m.pauses.len(), 1, "{:?}", m.pauses);
        let (a, b) = m.pauses[0];
        assert!(
            a.abs_diff(36_000) <= 240 && b.abs_diff(43_200) <= 240,
            "{a} {b}"
        );
        // 2.9 s: 26 blocks (the first ends at 0.4 s).
        assert_eq!(m.blocks.len(), 26);
        // A 440 Hz sine at 0.3 in one channel reads -13.5 LUFS alone; the
        // blocks that are part silence and pass the gates pull it down.
        let lufs = m.lufs.unwrap();
        assert!((-16.0..-13.4).contains(&lufs), "{lufs}");
    }

    #[test]
    fn silence_is_none_and_a_short_word_still_has_a_level() {
        let mut s = ChunkScan::new(1, 8_000).unwrap();
        s.add(&[0.0; 8_000]).unwrap();
        assert!(s.finish().is_none());
        let word = scanned(&tone(8_000, 0.25, 0.3), 8_000);
        let lufs = word.lufs.unwrap();
        assert!((lufs + 13.5).abs() < 1.0, "{lufs}");
    }
}
