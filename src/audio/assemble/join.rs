//! The writing pass: each chunk decoded again, cut to its speech (keeping
//! the few milliseconds `--trim` keeps), faded in and out at the cuts,
//! brought to its gain, mapped to the program's channels, resampled to its
//! rate, and written after the silence that goes before it. The silence
//! written is the gap asked for less the quiet ends kept, so the silence
//! between one chunk's speech and the next is the gap asked for.
//!
//! Chunks decode on as many threads as there are cores (at most 4), each
//! taking every n-th chunk and handing its samples over a short queue; the
//! writer takes them in program order, so the encoder never waits on one
//! decoder and memory holds a few queued blocks, not chunks.

use super::level::Levels;
use super::scan::{Measured, map_channels};
use super::{AssembleError, AssemblyInput, AssemblyOptions, AssemblyReport, ChunkPlacement};
use crate::atomic_file;
use crate::audio::render::{Encoder, PcmSpec, Quantizer, StreamResampler, Tail, temp_in};
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::Duration;

/// Silence kept before and after the speech of each chunk, as `--trim`
/// keeps it (the fades run over it).
const KEEP_MS: u64 = 5;

/// Samples handed from a decoding thread to the writer, at most this many
/// at a time (and [`IN_FLIGHT`] messages queued per thread): memory does
/// not depend on the chunks' length or number.
const MESSAGE_SAMPLES: usize = 32_768;
const IN_FLIGHT: usize = 4;

enum Piece {
    /// Quantized on the decoding thread, so the writer only encodes.
    Samples(Vec<i32>),
    /// The chunk is done: the output frames it made, or why it failed.
    Done(Result<u64, String>),
}

pub fn write(
    inputs: &[AssemblyInput],
    measured: &[Measured],
    levels: &Levels,
    opts: &AssemblyOptions,
    out: &Path,
    origin: Option<&crate::audio::origin::Origin>,
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
    let joins = joins(measured, levels, opts, spec);
    let dir = atomic_file::parent_dir(out);
    let mut temp = temp_in(dir, "assemble").map_err(write_error)?;
    let encoder = Encoder::new(temp.as_file_mut(), spec, opts.format.container, origin)
        .map_err(write_error)?;
    let mut tail = Tail::new(encoder, spec, 0.0, false).map_err(write_error)?;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(inputs.len());
    let placements = std::thread::scope(|s| {
        let mut queues = Vec::with_capacity(threads);
        for first in 0..threads {
            let (tx, rx) = std::sync::mpsc::sync_channel(IN_FLIGHT);
            queues.push(rx);
            let (joins, inputs) = (&joins, inputs);
            s.spawn(move || decode_every(first, threads, joins, inputs, spec.bits, tx));
        }
        let mut place = Placer::new(spec.rate);
        for (i, (input, (m, join))) in inputs.iter().zip(measured.iter().zip(&joins)).enumerate() {
            let failed = |reason: String| AssembleError::Chunk {
                number: i + 1,
                reason,
            };
            let silence = place.silence_before(input, m, join);
            tail.silence(silence, spec.channels).map_err(write_error)?;
            let written = loop {
                match queues[i % threads].recv() {
                    Ok(Piece::Samples(ints)) => tail.take_ints(ints).map_err(write_error)?,
                    Ok(Piece::Done(done)) => break done.map_err(failed)?,
                    Err(_) => return Err(failed("the decoding thread stopped".into())),
                }
            };
            place.chunk(m, join, written);
        }
        Ok(place.placements)
    })?;
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

/// One decoding thread: chunks `first`, `first + step`, ... in order, each
/// sent in pieces, then its end. Stops when the writer has gone.
fn decode_every(
    first: usize,
    step: usize,
    joins: &[ChunkJoin],
    inputs: &[AssemblyInput],
    bits: u16,
    tx: std::sync::mpsc::SyncSender<Piece>,
) {
    for i in (first..joins.len()).step_by(step) {
        let mut quantizer = Quantizer::seeded(bits, i as u64);
        let mut ints = Vec::new();
        let mut pending = Vec::with_capacity(MESSAGE_SAMPLES);
        let mut send = |samples: &[f32]| {
            quantizer.quantize(samples, &mut ints);
            pending.extend_from_slice(&ints);
            if pending.len() >= MESSAGE_SAMPLES {
                let full = std::mem::replace(&mut pending, Vec::with_capacity(MESSAGE_SAMPLES));
                tx.send(Piece::Samples(full))
                    .map_err(|_| "the writer stopped".to_string())?;
            }
            Ok(())
        };
        let done = joins[i].run(&inputs[i].path, &mut send);
        if !pending.is_empty() && tx.send(Piece::Samples(pending)).is_err() {
            return;
        }
        if tx.send(Piece::Done(done)).is_err() {
            return;
        }
    }
}

/// How each chunk goes into a program of `spec`: its speech and the few
/// ms kept around it, its fades and gain.
pub(super) fn joins(
    measured: &[Measured],
    levels: &Levels,
    opts: &AssemblyOptions,
    spec: PcmSpec,
) -> Vec<ChunkJoin> {
    measured
        .iter()
        .zip(&levels.chunk_db)
        .map(|(m, chunk_db)| {
            let keep = u64::from(m.rate) * KEEP_MS / 1000;
            let gain_db = chunk_db + levels.program_db;
            ChunkJoin {
                keep: m.speech.start.saturating_sub(keep)..(m.speech.end + keep).min(m.frames),
                fade: (opts.fade.as_secs_f64() * f64::from(m.rate)).round() as u64,
                gain_db,
                factor: 10f64.powf(gain_db / 20.0) as f32,
                channels_out: spec.channels,
                rate_out: spec.rate,
            }
        })
        .collect()
}

/// Where each chunk lands on the output timeline, chunk after chunk.
struct Placer {
    rate: u32,
    /// Output frames written so far.
    cursor: u64,
    /// Output frames of quiet kept after the previous chunk's speech.
    kept_after_previous: u64,
    placements: Vec<ChunkPlacement>,
}

impl Placer {
    fn new(rate: u32) -> Placer {
        Placer {
            rate,
            cursor: 0,
            kept_after_previous: 0,
            placements: Vec::new(),
        }
    }

    /// The output frame of the chunk's `frame`, counted from its cut.
    fn at(&self, m: &Measured, join: &ChunkJoin, frame: u64) -> u64 {
        output_offset(self.rate, m, join, frame)
    }

    /// The silence to write before the chunk: the gap asked for less the
    /// quiet kept on either side of it.
    fn silence_before(&mut self, input: &AssemblyInput, m: &Measured, join: &ChunkJoin) -> u64 {
        let gap = (input.gap_before.as_secs_f64() * f64::from(self.rate)).round() as u64;
        let silence =
            gap.saturating_sub(self.at(m, join, m.speech.start) + self.kept_after_previous);
        self.cursor += silence;
        silence
    }

    /// The chunk is written: `written` output frames from the cursor.
    fn chunk(&mut self, m: &Measured, join: &ChunkJoin, written: u64) {
        let rate = f64::from(self.rate);
        let time = |frames: u64| Duration::from_secs_f64(frames as f64 / rate);
        let at = |frame: u64| self.cursor + self.at(m, join, frame);
        let placement = ChunkPlacement {
            start: time(at(m.speech.start)),
            end: time(at(m.speech.end)),
            pauses: m
                .pauses
                .iter()
                .map(|&(a, b)| (time(at(a)), time(at(b))))
                .collect(),
            loudness_lufs: m.lufs.unwrap_or(f64::NAN),
            gain_db: join.gain_db,
        };
        self.placements.push(placement);
        self.kept_after_previous = written.saturating_sub(self.at(m, join, m.speech.end));
        self.cursor += written;
    }
}

/// The output frame (at `rate`) of a chunk's `frame`, counted from its cut.
pub(super) fn output_offset(rate: u32, m: &Measured, join: &ChunkJoin, frame: u64) -> u64 {
    let ratio = f64::from(rate) / f64::from(m.rate);
    (frame.saturating_sub(join.keep.start) as f64 * ratio).round() as u64
}

/// How one chunk goes into the program.
pub(super) struct ChunkJoin {
    /// The chunk's frames to keep.
    pub(super) keep: Range<u64>,
    /// Frames of each fade, at the chunk's rate.
    fade: u64,
    pub(super) gain_db: f64,
    factor: f32,
    channels_out: usize,
    rate_out: u32,
}

impl ChunkJoin {
    /// Decodes the chunk at `path` into `out`; the output frames made.
    pub(super) fn run(
        &self,
        path: &Path,
        out: &mut dyn FnMut(&[f32]) -> Result<(), String>,
    ) -> Result<u64, String> {
        let out = AssertUnwindSafe(out);
        let outcome = crate::audio::decoding(path, move |mut opened| {
            let out = out;
            let out = out.0;
            let mut pos = 0u64;
            let mut frames_out = 0u64;
            let mut mapped = Vec::new();
            let mut resampler: Option<Option<StreamResampler>> = None;
            let mut emit = |s: &[f32]| {
                frames_out += (s.len() / self.channels_out) as u64;
                out(s)
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
                let part = &block.samples[from..to];
                map_channels(part, block.channels, self.channels_out, &mut mapped);
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
