//! The writing pass: each chunk decoded again, cut to its speech (keeping
//! the few milliseconds `--trim` keeps), faded in and out at the cuts,
//! brought to its gain, mapped to the program's channels, resampled to its
//! rate, and written after the silence that goes before it. The silence
//! written is the gap asked for less the quiet ends kept, so the silence
//! between one chunk's speech and the next is the gap asked for.

use super::level::Levels;
use super::scan::Measured;
use super::{AssembleError, AssemblyInput, AssemblyOptions, AssemblyReport, ChunkPlacement};
use crate::atomic_file;
use crate::audio::render::{Encoder, PcmSpec, StreamResampler, Tail, temp_in};
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::Duration;

/// Silence kept before and after the speech of each chunk, as `--trim`
/// keeps it (the fades run over it).
const KEEP_MS: u64 = 5;

pub fn write(
    inputs: &[AssemblyInput],
    measured: &[Measured],
    levels: &Levels,
    opts: &AssemblyOptions,
    out: &Path,
) -> Result<AssemblyReport, AssembleError> {
    let write_error = |message: String| AssembleError::Write {
        path: out.display().to_string(),
        message,
    };
    let first = measured.first().ok_or(AssembleError::Empty)?;
    let spec = PcmSpec {
        channels: first.channels,
        rate: opts.format.rate.unwrap_or(first.rate),
        bits: opts.format.bits,
    };
    let dir = atomic_file::parent_dir(out);
    let mut temp = temp_in(dir, "assemble").map_err(write_error)?;
    let encoder =
        Encoder::new(temp.as_file_mut(), spec, opts.format.container).map_err(write_error)?;
    let mut tail = Tail::new(encoder, spec, 0.0).map_err(write_error)?;
    let seconds = |frames: u64| Duration::from_secs_f64(frames as f64 / f64::from(spec.rate));
    let mut cursor = 0u64;
    let mut kept_after_previous = 0u64;
    let mut placements = Vec::with_capacity(inputs.len());
    for (i, (input, m)) in inputs.iter().zip(measured).enumerate() {
        let keep = u64::from(m.rate) * KEEP_MS / 1000;
        let cut = m.speech.start.saturating_sub(keep)..(m.speech.end + keep).min(m.frames);
        let ratio = f64::from(spec.rate) / f64::from(m.rate);
        let at = |frame: u64| ((frame - cut.start) as f64 * ratio).round() as u64;
        let gap = (input.gap_before.as_secs_f64() * f64::from(spec.rate)).round() as u64;
        let silence = gap.saturating_sub(at(m.speech.start) + kept_after_previous);
        tail.silence(silence, spec.channels).map_err(write_error)?;
        cursor += silence;
        let gain_db = levels.chunk_db[i] + levels.program_db;
        let chunk = ChunkJoin {
            keep: cut.clone(),
            fade: (opts.fade.as_secs_f64() * f64::from(m.rate)).round() as u64,
            factor: 10f64.powf(gain_db / 20.0) as f32,
            channels_out: spec.channels,
            rate_out: spec.rate,
        };
        let written = chunk
            .run(&input.path, &mut tail)
            .map_err(|reason| AssembleError::Chunk {
                number: i + 1,
                reason,
            })?;
        placements.push(ChunkPlacement {
            start: seconds(cursor + at(m.speech.start)),
            end: seconds(cursor + at(m.speech.end)),
            pauses: m
                .pauses
                .iter()
                .map(|&(a, b)| (seconds(cursor + at(a)), seconds(cursor + at(b))))
                .collect(),
            loudness_lufs: m.lufs.unwrap_or(f64::NAN),
            gain_db,
        });
        cursor += written;
        kept_after_previous = written.saturating_sub(at(m.speech.end));
    }
    let analysis = tail.finish().map_err(write_error)?;
    temp.as_file()
        .sync_all()
        .map_err(|e| write_error(e.to_string()))?;
    atomic_file::persist_replacing(temp, out).map_err(|e| write_error(e.to_string()))?;
    Ok(AssemblyReport {
        path: out.to_path_buf(),
        placements,
        audio: analysis.stats,
        program_gain_db: levels.program_db,
        limited_by_true_peak: levels.limited_by_ceiling,
    })
}

/// How one chunk goes into the program.
struct ChunkJoin {
    /// The chunk's frames to keep.
    keep: Range<u64>,
    /// Frames of each fade, at the chunk's rate.
    fade: u64,
    factor: f32,
    channels_out: usize,
    rate_out: u32,
}

impl ChunkJoin {
    /// Decodes the chunk at `path` into `tail`; the output frames written.
    fn run(&self, path: &Path, tail: &mut Tail<'_>) -> Result<u64, String> {
        let tail = AssertUnwindSafe(tail);
        let outcome = crate::audio::decoding(path, move |mut opened| {
            let tail = tail;
            let tail = tail.0;
            let mut pos = 0u64;
            let mut frames_out = 0u64;
            let mut mapped = Vec::new();
            let mut resampler: Option<Option<StreamResampler>> = None;
            let mut emit = |s: &[f32]| {
                frames_out += (s.len() / self.channels_out) as u64;
                tail.take(s)
            };
            opened.for_each_block(|block| {
                let r = match &mut resampler {
                    Some(r) => r,
                    None => resampler.insert(match block.rate == self.rate_out {
                        true => None,
                        false => Some(StreamResampler::new(
                            block.rate,
                            self.rate_out,
                            self.channels_out,
                        )?),
                    }),
                };
                let frames = (block.samples.len() / block.channels) as u64;
                let start = pos;
                pos += frames;
                let kept = start.max(self.keep.start)..pos.min(self.keep.end);
                if kept.start >= kept.end {
                    return Ok(());
                }
                let from = (kept.start - start) as usize * block.channels;
                let to = (kept.end - start) as usize * block.channels;
                self.map(&block.samples[from..to], block.channels, &mut mapped);
                self.shape(&mut mapped, kept.start - self.keep.start);
                match r {
                    Some(r) => r.push(&mapped, &mut emit),
                    None => emit(&mapped),
                }
            })?;
            if let Some(Some(r)) = resampler {
                r.finish(&mut emit)?;
            }
            Ok(frames_out)
        });
        outcome.map_err(|e| e.to_string())
    }

    /// `samples` in the program's channels: as they are, a mono chunk
    /// copied to each channel, anything else mixed to mono first.
    fn map(&self, samples: &[f32], channels: usize, out: &mut Vec<f32>) {
        out.clear();
        if channels == self.channels_out {
            out.extend_from_slice(samples);
            return;
        }
        let scale = 1.0 / channels as f32;
        for frame in samples.chunks_exact(channels) {
            let mono = frame.iter().sum::<f32>() * scale;
            out.extend(std::iter::repeat_n(mono, self.channels_out));
        }
    }

    /// The gain, and the equal-power fades at both cuts; `pos` is the kept
    /// frame `samples` starts at.
    fn shape(&self, samples: &mut [f32], pos: u64) {
        let total = self.keep.end - self.keep.start;
        let len = self.fade.min(total / 2);
        let ramp = |i: u64| (std::f32::consts::FRAC_PI_2 * i as f32 / len as f32).sin();
        for (n, frame) in samples.chunks_exact_mut(self.channels_out).enumerate() {
            let i = pos + n as u64;
            let mut g = self.factor;
            if i < len {
                g *= ramp(i);
            }
            let from_end = total - 1 - i;
            if from_end < len {
                g *= ramp(from_end);
            }
            frame.iter_mut().for_each(|s| *s *= g);
        }
    }
}
