//! A spectrogram sized for one pane of the dashboard: time across,
//! frequency up on a log scale (50 Hz to Nyquist), each cell's level in dB
//! as 0..=1 for a palette. Computed in one streaming pass over the decoded
//! file for a known size, so memory is one FFT frame plus the grid however
//! long the file is: each column gets one Hann-windowed FFT (`realfft`), or
//! a few averaged when its stretch of time is longer than several frames.
//! Blocking work for a worker thread, like [`super::analyse_file`].

mod bands;
pub mod palette;

pub use bands::LOWEST_HZ;

use super::decode::Opened;
use super::{AudioError, AudioStats, decoding};
use bands::Bands;
use realfft::RealFftPlanner;
use realfft::RealToComplex;
use realfft::num_complex::Complex;
use std::path::Path;
use std::sync::Arc;

/// The quietest level drawn: 0.0 on the scale, and 0 dBFS is 1.0. A sine
/// at full scale reads 0 dBFS in its band.
pub const FLOOR_DBFS: f32 = -100.0;

/// Samples per FFT: 46 ms at 44.1 kHz, 21.5 Hz per bin, about one column's
/// worth of a 10 s file in a 200-column pane.
const FRAME_LEN: usize = 2048;

/// A column covering many frames' worth of time (a long file) averages at
/// most this many FFTs spread over it, enough that a short event in the
/// gaps is rarely missed, few enough that a ten-minute file stays cheap.
const MAX_FFTS_PER_COLUMN: u64 = 8;

/// Levels in 0..=1, `bands` per column, lowest frequency first.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrogram {
    columns: usize,
    bands: usize,
    levels: Vec<f32>,
}

impl Spectrogram {
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Frequency bands per column: two per terminal row.
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// The level of `band` (0 is the lowest, [`LOWEST_HZ`]) in `column`;
    /// 0.0 outside the grid.
    pub fn level(&self, column: usize, band: usize) -> f32 {
        if column >= self.columns || band >= self.bands {
            return 0.0;
        }
        self.levels[column * self.bands + band]
    }

    /// This picture at `columns` of `bands`: a cell takes the mean of the
    /// columns it covers (a cell narrower than one repeats it) and the
    /// loudest of the bands, as the bands take the loudest FFT bin. So one
    /// spectrogram serves a pane of any size without decoding again.
    pub fn fit(&self, columns: usize, bands: usize) -> Spectrogram {
        if self.columns == 0 || self.bands == 0 {
            return Spectrogram::silent(columns, bands);
        }
        let span = |i: usize, out: usize, of: usize| {
            let start = i * of / out;
            start..((i + 1) * of / out).max(start + 1).min(of)
        };
        let mut levels = Vec::with_capacity(columns * bands);
        for column in 0..columns {
            let covered = span(column, columns, self.columns);
            let count = covered.len() as f32;
            for band in 0..bands {
                let within = span(band, bands, self.bands);
                let sum: f32 = covered
                    .clone()
                    .map(|c| within.clone().map(|b| self.level(c, b)).fold(0.0, f32::max))
                    .sum();
                levels.push(sum / count);
            }
        }
        Spectrogram {
            columns,
            bands,
            levels,
        }
    }

    fn silent(columns: usize, bands: usize) -> Spectrogram {
        Spectrogram {
            columns,
            bands,
            levels: vec![0.0; columns * bands],
        }
    }
}

/// The spectrogram of the file at `path` for a pane `columns` cells wide
/// and `rows` high (two bands per row, for half-block cells). `known`, the
/// file's measured figures if there are any, gives its length; without
/// them the container's header does, and failing that a first pass counts
/// the frames. Blocking: call it from a worker thread.
pub fn spectrogram_file(
    path: &Path,
    columns: usize,
    rows: usize,
    known: Option<&AudioStats>,
) -> Result<Spectrogram, AudioError> {
    let bands = rows.saturating_mul(2);
    let measured = known.map(|s| {
        let frames = (s.duration_s * f64::from(s.sample_rate)).round() as u64;
        (s.sample_rate, frames)
    });
    let length = move |opened: &Opened| {
        measured
            .filter(|&(rate, _)| opened.sample_rate == Some(rate))
            .map(|(_, frames)| frames)
            .or(opened.declared_frames)
    };
    let with_length = decoding(path, move |opened| match length(&opened) {
        Some(frames) => spectrum_of(opened, frames, columns, bands).map(Some),
        None => Ok(None),
    })?;
    if let Some(done) = with_length {
        return Ok(done);
    }
    let frames = decoding(path, count_frames)?;
    decoding(path, move |opened| {
        spectrum_of(opened, frames, columns, bands)
    })
}

/// Decodes `opened`, `frames` long, into `columns` of `bands`.
fn spectrum_of(
    mut opened: Opened,
    frames: u64,
    columns: usize,
    bands: usize,
) -> Result<Spectrogram, String> {
    let mut builder: Option<Builder> = None;
    opened.for_each_block(|block| {
        let b = builder.get_or_insert_with(|| Builder::new(frames, block.rate, columns, bands));
        let scale = 1.0 / block.channels as f32;
        for frame in block.samples.chunks_exact(block.channels) {
            b.push(frame.iter().sum::<f32>() * scale);
        }
        Ok(())
    })?;
    Ok(match builder {
        Some(b) => b.finish(),
        None => Spectrogram::silent(columns, bands),
    })
}

/// The length in frames of a file whose header gives none.
fn count_frames(mut opened: Opened) -> Result<u64, String> {
    let mut frames = 0u64;
    opened.for_each_block(|block| {
        frames += (block.samples.len() / block.channels) as u64;
        Ok(())
    })?;
    Ok(frames)
}

/// One FFT to take: it ends once `end` mono samples have been seen (a
/// frame starting before the file is zero-padded) and adds to `column`.
#[derive(Clone, Copy, Debug)]
struct Frame {
    end: u64,
    column: usize,
}

/// Where each column's FFTs fall: `per_column` frames spread evenly over
/// its stretch of the file, centred in their share of it.
fn plan_frames(total: u64, columns: usize) -> Vec<Frame> {
    let total = u128::from(total);
    let cols = columns as u128;
    let mut frames = Vec::new();
    for column in 0..columns {
        let start = column as u128 * total / cols;
        let span = (column as u128 + 1) * total / cols - start;
        let per_column = (span / FRAME_LEN as u128).clamp(1, u128::from(MAX_FFTS_PER_COLUMN));
        for i in 0..per_column {
            let centre = start + (2 * i + 1) * span / (2 * per_column);
            frames.push(Frame {
                end: (centre + FRAME_LEN as u128 / 2) as u64,
                column,
            });
        }
    }
    frames
}

/// Takes mono samples one at a time and the planned FFTs as their frames
/// fill up.
struct Builder {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// The last FRAME_LEN samples, oldest at `ring_at`.
    ring: Vec<f32>,
    ring_at: usize,
    seen: u64,
    frames: Vec<Frame>,
    next_frame: usize,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    power: Vec<f32>,
    bands: Bands,
    /// Summed band power per column, and how many FFTs went in.
    sums: Vec<f32>,
    ffts: Vec<u32>,
    columns: usize,
}

impl Builder {
    fn new(total_frames: u64, sample_rate: u32, columns: usize, bands: usize) -> Builder {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FRAME_LEN);
        // Periodic Hann: its sum is FRAME_LEN / 2, used in `finish`.
        let window = (0..FRAME_LEN)
            .map(|n| {
                let phase = std::f32::consts::TAU * n as f32 / FRAME_LEN as f32;
                0.5 - 0.5 * phase.cos()
            })
            .collect();
        Builder {
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            power: vec![0.0; FRAME_LEN / 2 + 1],
            fft,
            window,
            ring: vec![0.0; FRAME_LEN],
            ring_at: 0,
            seen: 0,
            frames: if total_frames == 0 {
                Vec::new()
            } else {
                plan_frames(total_frames, columns)
            },
            next_frame: 0,
            bands: Bands::new(bands, FRAME_LEN, sample_rate),
            sums: vec![0.0; columns * bands],
            ffts: vec![0; columns],
            columns,
        }
    }

    fn push(&mut self, sample: f32) {
        if self.next_frame == self.frames.len() {
            return;
        }
        self.ring[self.ring_at] = if sample.is_finite() { sample } else { 0.0 };
        self.ring_at = (self.ring_at + 1) % FRAME_LEN;
        self.seen += 1;
        while let Some(frame) = self.frames.get(self.next_frame).copied() {
            if frame.end > self.seen {
                break;
            }
            self.take_fft(frame.column);
            self.next_frame += 1;
        }
    }

    fn take_fft(&mut self, column: usize) {
        let (newer, older) = self.ring.split_at(self.ring_at);
        let in_order = older.iter().chain(newer);
        for ((slot, sample), w) in self.input.iter_mut().zip(in_order).zip(&self.window) {
            *slot = sample * w;
        }
        if self
            .fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            return;
        }
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            *p = c.norm_sqr();
        }
        let n = self.bands.len();
        self.bands
            .add_to(&self.power, &mut self.sums[column * n..(column + 1) * n]);
        self.ffts[column] += 1;
    }

    fn finish(mut self) -> Spectrogram {
        // Frames reaching past the end of the file: zero-padded. One that
        // starts before the end ends within a frame of it, so this pushes
        // at most FRAME_LEN zeros; frames wholly past the end (a header
        // claiming more than there is) stay empty.
        let data_end = self.seen;
        while let Some(frame) = self.frames.get(self.next_frame).copied() {
            if frame.end >= data_end + FRAME_LEN as u64 {
                break;
            }
            self.push(0.0);
        }
        let bands = self.bands.len();
        // A full-scale sine through the Hann window peaks at FRAME_LEN / 4.
        let full_scale = (FRAME_LEN as f32 / 4.0).powi(2);
        let levels = self
            .sums
            .chunks_exact(bands.max(1))
            .zip(&self.ffts)
            .flat_map(|(sums, &ffts)| {
                sums.iter().map(move |&sum| {
                    if ffts == 0 {
                        return 0.0;
                    }
                    let dbfs = 10.0 * (sum / ffts as f32 / full_scale).log10();
                    ((dbfs - FLOOR_DBFS) / -FLOOR_DBFS).clamp(0.0, 1.0)
                })
            })
            .collect::<Vec<f32>>();
        Spectrogram {
            columns: self.columns,
            bands,
            levels,
        }
    }
}

#[cfg(test)]
mod tests;
