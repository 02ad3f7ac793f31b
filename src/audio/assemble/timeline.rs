//! Takes placed on a timeline (`klang dub`): each chunk's speech starts at
//! a given time, silence between, lines that overlap are mixed, and the
//! track runs to a given length. Cut, faded and levelled as narration is
//! (`join.rs`, `level.rs`): the same gains, fades and format.
//!
//! Streaming: chunks decode on worker threads in timeline order and hand
//! their samples over short queues; the writer adds them into a window
//! that starts where the next chunk may begin, and everything before that
//! is final and written out. Memory holds the window (the longest run of
//! overlapping lines, usually one line) and a few queued blocks, not the
//! track.

use super::join::{ChunkJoin, joins, output_offset};
use super::level;
use super::scan::Measured;
use super::{AssembleError, AssemblyOptions, AssemblyReport, ChunkPlacement};
use crate::atomic_file;
use crate::audio::origin::Origin;
use crate::audio::render::{Encoder, PcmSpec, Quantizer, Tail, temp_in};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One take and where its speech starts on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedInput {
    pub path: PathBuf,
    pub speech_at: Duration,
}

const MESSAGE_SAMPLES: usize = 32_768;
const IN_FLIGHT: usize = 4;

enum Piece {
    Samples(Vec<f32>),
    Done(Result<u64, String>),
}

/// Writes `inputs` (measured by [`super::measure_chunks`], in the same
/// order) onto one track of `length` (at least to the last speech's end
/// when `None`; cut there when given), atomically into `out`, with its
/// `origin` in the file's metadata.
pub fn write_timeline(
    inputs: &[TimedInput],
    measured: &[Measured],
    opts: &AssemblyOptions,
    length: Option<Duration>,
    out: &Path,
    origin: Option<&Origin>,
) -> Result<AssemblyReport, AssembleError> {
    if inputs.is_empty() || inputs.len() != measured.len() {
        return Err(AssembleError::Empty);
    }
    super::check(opts)?;
    let write_error = |message: String| AssembleError::Write {
        path: out.display().to_string(),
        message,
    };
    let refs: Vec<&Measured> = measured.iter().collect();
    let levels = level::plan(&refs, opts.target_lufs, opts.true_peak_dbtp);
    let first = &measured[0];
    let spec = PcmSpec {
        channels: first.channels,
        rate: opts.format.rate.unwrap_or(first.rate),
        bits: opts.format.bits,
    };
    let joins = joins(measured, &levels, opts, spec);
    let frames_at = |d: Duration| (d.as_secs_f64() * f64::from(spec.rate)).round() as u64;
    // Where each chunk's cut starts, so its speech starts where asked.
    let cuts: Vec<u64> = inputs
        .iter()
        .zip(measured.iter().zip(&joins))
        .map(|(input, (m, j))| {
            frames_at(input.speech_at).saturating_sub(output_offset(
                spec.rate,
                m,
                j,
                m.speech.start,
            ))
        })
        .collect();
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| (cuts[i], i));
    let limit = length.map(frames_at);

    let dir = atomic_file::parent_dir(out);
    let mut temp = temp_in(dir, "dub").map_err(write_error)?;
    let encoder = Encoder::new(temp.as_file_mut(), spec, opts.format.container, origin)
        .map_err(write_error)?;
    let mut tail = Tail::new(encoder, spec, 0.0, false).map_err(write_error)?;
    let mut track = Track {
        channels: spec.channels,
        quantizer: Quantizer::seeded(spec.bits, 0),
        window: VecDeque::new(),
        start: 0,
        limit,
        ints: Vec::new(),
        staged: Vec::new(),
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(inputs.len());
    let mut placements: Vec<Option<ChunkPlacement>> = vec![None; inputs.len()];
    std::thread::scope(|s| -> Result<(), AssembleError> {
        let mut queues = Vec::with_capacity(threads);
        for first in 0..threads {
            let (tx, rx) = std::sync::mpsc::sync_channel(IN_FLIGHT);
            queues.push(rx);
            let (joins, inputs, order) = (&joins, inputs, &order);
            s.spawn(move || decode_every(first, threads, order, joins, inputs, tx));
        }
        for (k, &i) in order.iter().enumerate() {
            let failed = |reason: String| AssembleError::Chunk {
                number: i + 1,
                reason,
            };
            track
                .commit_before(&mut tail, cuts[i])
                .map_err(write_error)?;
            let mut at = cuts[i];
            loop {
                match queues[k % threads].recv() {
                    Ok(Piece::Samples(samples)) => {
                        track.add(at, &samples);
                        at += (samples.len() / spec.channels) as u64;
                    }
                    Ok(Piece::Done(done)) => {
                        done.map_err(failed)?;
                        break;
                    }
                    Err(_) => return Err(failed("the decoding thread stopped".into())),
                }
            }
            let (m, j) = (&measured[i], &joins[i]);
            let rate = f64::from(spec.rate);
            let time = |frames: u64| Duration::from_secs_f64(frames as f64 / rate);
            let on_track = |frame: u64| cuts[i] + output_offset(spec.rate, m, j, frame);
            placements[i] = Some(ChunkPlacement {
                start: time(on_track(m.speech.start)),
                end: time(on_track(m.speech.end)),
                pauses: m
                    .pauses
                    .iter()
                    .map(|&(a, b)| (time(on_track(a)), time(on_track(b))))
                    .collect(),
                loudness_lufs: m.lufs.unwrap_or(f64::NAN),
                gain_db: j.gain_db,
            });
        }
        Ok(())
    })?;
    let end = limit.unwrap_or(track.start + track.frames_in_window());
    track.commit_before(&mut tail, end).map_err(write_error)?;
    let analysis = tail.finish().map_err(write_error)?;
    temp.as_file()
        .sync_all()
        .map_err(|e| write_error(e.to_string()))?;
    atomic_file::persist_replacing(temp, out).map_err(|e| write_error(e.to_string()))?;
    Ok(AssemblyReport {
        path: out.to_path_buf(),
        placements: placements.into_iter().flatten().collect(),
        audio: analysis.stats,
        program_gain_db: levels.program_db,
        limited_by_true_peak: levels.limited_by_ceiling,
    })
}

/// One decoding thread: the chunks at `first`, `first + step`, ... of
/// `order`, each sent in pieces, then its end.
fn decode_every(
    first: usize,
    step: usize,
    order: &[usize],
    joins: &[ChunkJoin],
    inputs: &[TimedInput],
    tx: std::sync::mpsc::SyncSender<Piece>,
) {
    for &i in order.iter().skip(first).step_by(step) {
        let mut pending = Vec::with_capacity(MESSAGE_SAMPLES);
        let mut send = |samples: &[f32]| {
            pending.extend_from_slice(samples);
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

/// The track being written: everything before `start` is encoded; the
/// window holds the frames from `start` that lines may still add to.
struct Track {
    channels: usize,
    quantizer: Quantizer,
    window: VecDeque<f32>,
    /// The track frame `window[0]` is.
    start: u64,
    /// The track's length, when it is cut there.
    limit: Option<u64>,
    ints: Vec<i32>,
    staged: Vec<f32>,
}

impl Track {
    fn frames_in_window(&self) -> u64 {
        (self.window.len() / self.channels) as u64
    }

    /// Adds `samples` into the track from frame `at` (never before
    /// `start`: lines come in the order their cuts start).
    fn add(&mut self, at: u64, samples: &[f32]) {
        let skip = self.start.saturating_sub(at) as usize * self.channels;
        let offset = at.saturating_sub(self.start) as usize * self.channels;
        let samples = samples.get(skip..).unwrap_or(&[]);
        // Nothing past the track's end is kept: lines beyond a short
        // video must not pile up in the window.
        let room = self.limit.map_or(usize::MAX, |l| {
            l.saturating_sub(self.start) as usize * self.channels
        });
        let samples = &samples[..samples.len().min(room.saturating_sub(offset))];
        let needed = offset + samples.len();
        if self.window.len() < needed {
            self.window.resize(needed, 0.0);
        }
        for (slot, s) in self.window.range_mut(offset..needed).zip(samples) {
            *slot += s;
        }
    }

    /// Encodes every frame before `frame` (silence past the window), up
    /// to the track's limit.
    fn commit_before(&mut self, tail: &mut Tail<'_>, frame: u64) -> Result<(), String> {
        let frame = self.limit.map_or(frame, |l| frame.min(l));
        if frame <= self.start {
            return Ok(());
        }
        let from_window = (frame - self.start).min(self.frames_in_window());
        let mut left = from_window as usize * self.channels;
        while left > 0 {
            let n = left.min(MESSAGE_SAMPLES);
            self.staged.clear();
            self.staged.extend(self.window.drain(..n));
            self.quantizer.quantize(&self.staged, &mut self.ints);
            tail.take_ints(std::mem::take(&mut self.ints))?;
            left -= n;
        }
        let silence = frame - self.start - from_window;
        if silence > 0 {
            tail.silence(silence, self.channels)?;
        }
        self.start = frame;
        Ok(())
    }
}
