//! A seamless loop of one sound (`klang loop`). The loop ends at a point
//! `cut` near the end of the source, chosen where the stretch after it
//! best matches the source's start (normalised cross-correlation of the
//! two, computed by FFT: phase-aligned) among the calm points (spectral
//! flux at most the median), moved to the zero crossing with the smallest
//! step within a millisecond. The output is the source's frames `0..cut`, its
//! first `crossfade` frames replaced by an equal-power crossfade from the
//! stretch `cut..cut + crossfade` (fading out) into the head (fading in).
//! Played end to start, the last frame (`cut - 1`) runs on into the first,
//! which is the source's frame `cut`: the seam is the source's own
//! sample-to-sample step, and the join between the two stretches sits
//! inside the head, under the crossfade.
//!
//! Two passes, streaming: the first decodes the whole file keeping only
//! its head and its last few seconds (the search window), the second
//! writes the crossfaded head from memory and then the source's frames up
//! to `cut` as they decode. Memory does not grow with the file.

use super::AudioStats;
use super::origin::Origin;
use super::render::wav::LoopPoints;
use super::render::{Encoder, OutputFormat, PcmSpec, Tail, temp_in};
use crate::atomic_file;
use realfft::RealFftPlanner;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How far from the end the loop point is looked for.
const SEARCH: Duration = Duration::from_secs(2);
/// How far the loop point may move to reach a zero crossing.
const ZERO_CROSSING_SNAP: Duration = Duration::from_millis(1);
/// A match this much better (in correlation) is worth a loop point one
/// whole search window earlier: later points keep more of the sound.
const EARLIER_PENALTY: f64 = 0.1;

#[derive(Clone, Debug, PartialEq)]
pub struct LoopOptions {
    pub crossfade: Duration,
    /// Container and bits; the rate is the source's.
    pub format: OutputFormat,
}

/// What `make_loop` wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopReport {
    pub path: PathBuf,
    pub rate: u32,
    /// The source's length and the loop's, frames.
    pub source_frames: u64,
    pub frames: u64,
    /// The loop: first and last frame (the whole file).
    pub points: LoopPoints,
    pub crossfade_frames: u64,
    /// How well the stretch after the loop point matches the head (1: the
    /// same waveform; 0: unrelated).
    pub correlation: f64,
    pub audio: AudioStats,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LoopError {
    #[error("{0}")]
    Source(String),
    #[error(
        "{path} is {seconds:.2} s long: too short to loop with a {crossfade_ms} ms crossfade; give --crossfade {most_ms} or less"
    )]
    TooShort {
        path: String,
        seconds: f64,
        crossfade_ms: u64,
        most_ms: u64,
    },
    #[error("{0}")]
    Settings(String),
    #[error(
        "cannot write {path}: {message}; check that the folder exists, is writable and has room"
    )]
    Write { path: String, message: String },
}

impl LoopError {
    /// A write error naming `path`, the file being written.
    fn written_to(self, path: &Path) -> LoopError {
        match self {
            LoopError::Write { message, .. } => LoopError::Write {
                path: path.display().to_string(),
                message,
            },
            other => other,
        }
    }
}

/// What the first pass keeps.
struct Scanned {
    rate: u32,
    channels: usize,
    frames: u64,
    /// The first `crossfade` frames, interleaved.
    head: Vec<f32>,
    /// The last frames (the search window and a crossfade), interleaved.
    tail: Vec<f32>,
}

impl Scanned {
    /// The absolute frame of `tail`'s first frame.
    fn tail_start(&self) -> u64 {
        self.frames - (self.tail.len() / self.channels) as u64
    }
}

fn frames_of(d: Duration, rate: u32) -> u64 {
    (d.as_secs_f64() * f64::from(rate)).round() as u64
}

/// Decodes `source`, keeping its head and its last frames.
fn scan(source: &Path, crossfade: Duration) -> Result<Scanned, LoopError> {
    crate::audio::decoding(source, move |mut opened| {
        let mut state: Option<(Scanned, usize, usize)> = None;
        let mut ring: VecDeque<f32> = VecDeque::new();
        opened.for_each_block(|block| {
            let (s, head_len, ring_len) = state.get_or_insert_with(|| {
                let c = frames_of(crossfade, block.rate) as usize;
                let window = frames_of(SEARCH, block.rate) as usize;
                let scanned = Scanned {
                    rate: block.rate,
                    channels: block.channels,
                    frames: 0,
                    head: Vec::with_capacity(c * block.channels),
                    tail: Vec::new(),
                };
                (
                    scanned,
                    c * block.channels,
                    (window + 2 * c) * block.channels,
                )
            });
            let want = (*head_len - s.head.len()).min(block.samples.len());
            s.head.extend_from_slice(&block.samples[..want]);
            ring.extend(block.samples.iter().copied());
            let over = ring.len().saturating_sub(*ring_len);
            ring.drain(..over);
            s.frames += (block.samples.len() / block.channels.max(1)) as u64;
            Ok(())
        })?;
        let (mut s, _, _) = state.ok_or("no audio could be decoded")?;
        s.tail = ring.into_iter().collect();
        Ok(s)
    })
    .map_err(|e| LoopError::Source(e.to_string()))
}

/// One channel: the mean of each frame's channels.
fn mono(interleaved: &[f32], channels: usize) -> Vec<f32> {
    interleaved
        .chunks_exact(channels)
        .map(|f| f.iter().sum::<f32>() / channels as f32)
        .collect()
}

/// For every offset `s` in `0..=region.len() - head.len()`, the
/// normalised correlation of `head` with `region[s..s + head.len()]`.
fn correlations(head: &[f32], region: &[f32]) -> Vec<f64> {
    let (n, m) = (head.len(), region.len());
    if n == 0 || m < n {
        return Vec::new();
    }
    let size = (n + m).next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(size);
    let inverse = planner.plan_fft_inverse(size);
    let spectrum = |signal: &[f32]| {
        let mut input = forward.make_input_vec();
        for (slot, &v) in input.iter_mut().zip(signal) {
            *slot = f64::from(v);
        }
        let mut out = forward.make_output_vec();
        // The lengths are the plan's own: this cannot fail.
        let _ = forward.process(&mut input, &mut out);
        out
    };
    let a = spectrum(region);
    let b = spectrum(head);
    let mut product: Vec<_> = a.iter().zip(&b).map(|(x, y)| x * y.conj()).collect();
    if let Some(first) = product.first_mut() {
        first.im = 0.0;
    }
    if let Some(last) = product.last_mut() {
        last.im = 0.0;
    }
    let mut raw = inverse.make_output_vec();
    let _ = inverse.process(&mut product, &mut raw);
    let head_energy: f64 = head.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    let mut energy: f64 = region[..n]
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum();
    let mut out = Vec::with_capacity(m - n + 1);
    for s in 0..=m - n {
        if s > 0 {
            let (gone, new) = (f64::from(region[s - 1]), f64::from(region[s + n - 1]));
            energy = (energy - gone * gone + new * new).max(0.0);
        }
        let norm = (head_energy * energy).sqrt();
        out.push(if norm > 1e-12 {
            raw[s] / size as f64 / norm
        } else {
            0.0
        });
    }
    out
}

/// Frames and hop of the spectral flux the cut avoids.
const FLUX_FRAME: usize = 1024;
const FLUX_HOP: usize = 256;
/// A cut where the flux is above the tail's median costs more than any
/// correlation can win back (correlation is at most 1): the seam plays the
/// source's frames around the cut, so a cut in a busy stretch (a
/// transient) would stand out at every pass; among the calm stretches the
/// best match wins.
const BUSY_PENALTY: f64 = 2.0;

/// Spectral flux (each bin's rise in magnitude, summed) of every frame of
/// `x` over the one before (0 for the first).
fn flux(x: &[f32]) -> Vec<f64> {
    if x.len() < FLUX_FRAME {
        return Vec::new();
    }
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(FLUX_FRAME);
    let window: Vec<f64> = (0..FLUX_FRAME)
        .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / FLUX_FRAME as f64).cos())
        .collect();
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut previous: Vec<f64> = Vec::new();
    let mut out = Vec::new();
    for start in (0..=x.len() - FLUX_FRAME).step_by(FLUX_HOP) {
        for ((slot, &v), w) in input.iter_mut().zip(&x[start..]).zip(&window) {
            *slot = f64::from(v) * w;
        }
        let _ = fft.process(&mut input, &mut spectrum);
        let magnitudes: Vec<f64> = spectrum.iter().map(|c| c.norm()).collect();
        out.push(if previous.is_empty() {
            0.0
        } else {
            magnitudes
                .iter()
                .zip(&previous)
                .map(|(m, p)| (m - p).max(0.0))
                .sum()
        });
        previous = magnitudes;
    }
    out
}

/// For every frame of the tail, the highest flux of the frames holding it,
/// over the median flux (1: an ordinary stretch).
fn flux_around(tail: &[f32]) -> Vec<f64> {
    let fluxes = flux(tail);
    let mut sorted: Vec<f64> = fluxes.iter().skip(1).copied().collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let mut around = vec![1.0; tail.len()];
    if median <= 1e-12 {
        return around;
    }
    for (i, f) in fluxes.iter().enumerate().skip(1) {
        let start = i * FLUX_HOP;
        for slot in &mut around[start..(start + FLUX_FRAME).min(tail.len())] {
            *slot = f64::max(*slot, f / median);
        }
    }
    around
}

/// Where the loop is cut (an absolute frame) and the correlation there.
fn choose_cut(s: &Scanned, c: u64) -> Result<(u64, f64), u64> {
    let tail_start = s.tail_start();
    let lowest = (2 * c).max(tail_start);
    let highest = s.frames.saturating_sub(c);
    if c == 0 || lowest > highest {
        // The longest crossfade this length takes: a third of it.
        return Err(s.frames / 3);
    }
    let head = mono(&s.head, s.channels);
    let tail = mono(&s.tail, s.channels);
    let from = (lowest - tail_start) as usize;
    let to = (highest - tail_start) as usize + c as usize;
    let scores = correlations(&head, &tail[from..to.min(tail.len())]);
    let busy = flux_around(&tail);
    let span = (highest - lowest).max(1) as f64;
    let best = scores
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let earlier = (highest - lowest - i as u64) as f64 / span;
            let busy = busy
                .get(from + i)
                .map_or(0.0, |&b| if b > 1.0 { BUSY_PENALTY + b } else { 0.0 });
            (i, r, r - EARLIER_PENALTY * earlier - busy)
        })
        .max_by(|x, y| x.2.total_cmp(&y.2));
    let (offset, correlation) = best.map_or((highest - lowest, 0.0), |(i, r, _)| (i as u64, r));
    let cut = lowest + offset;
    Ok((snap(s, cut, lowest..=highest), correlation))
}

/// The cut moved, within a millisecond, to a zero crossing of the mono
/// signal with the smallest step across it in any channel (the seam plays
/// that step), else to the smallest step.
fn snap(s: &Scanned, cut: u64, allowed: std::ops::RangeInclusive<u64>) -> u64 {
    let tail_start = s.tail_start();
    let ch = s.channels;
    let frame = |f: u64| {
        let i = (f - tail_start) as usize * ch;
        &s.tail[i..i + ch]
    };
    let reach = frames_of(ZERO_CROSSING_SNAP, s.rate);
    let lowest = (*allowed.start())
        .max(cut.saturating_sub(reach))
        .max(tail_start + 1);
    let highest = (*allowed.end()).min(cut + reach);
    (lowest..=highest)
        .filter(|&f| f < s.frames)
        .map(|f| {
            let (before, here) = (frame(f - 1), frame(f));
            let sum = |x: &[f32]| x.iter().sum::<f32>();
            let crosses = sum(here) == 0.0 || (sum(before) < 0.0) != (sum(here) < 0.0);
            let step = before
                .iter()
                .zip(here)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            (f, !crosses, step)
        })
        .min_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)))
        .map_or(cut, |(f, _, _)| f)
}

const STOP: &str = "klang-loop: every frame needed is written";

/// Makes a seamless loop of `source` in `dir`, named `name` (or `name-2`,
/// ...: nothing is replaced), carrying `origin` and marked to loop whole.
/// Blocking: decodes the source twice.
pub fn make_loop(
    source: &Path,
    opts: &LoopOptions,
    dir: &Path,
    name: &str,
    origin: Option<&Origin>,
) -> Result<LoopReport, LoopError> {
    opts.format.check().map_err(LoopError::Settings)?;
    if opts.crossfade < Duration::from_millis(1) || opts.crossfade > Duration::from_secs(10) {
        return Err(LoopError::Settings(format!(
            "--crossfade {}: give 1 to 10000 ms (e.g. 500)",
            opts.crossfade.as_millis()
        )));
    }
    let scanned = scan(source, opts.crossfade)?;
    let c = frames_of(opts.crossfade, scanned.rate);
    let (cut, correlation) = choose_cut(&scanned, c).map_err(|longest| LoopError::TooShort {
        path: source.display().to_string(),
        seconds: scanned.frames as f64 / f64::from(scanned.rate),
        crossfade_ms: opts.crossfade.as_millis() as u64,
        most_ms: longest * 1000 / u64::from(scanned.rate),
    })?;
    let write_error = |message: String| LoopError::Write {
        path: dir.join(name).display().to_string(),
        message,
    };
    let spec = PcmSpec {
        channels: scanned.channels,
        rate: scanned.rate,
        bits: opts.format.bits,
    };
    let points = LoopPoints {
        start: 0,
        end: cut - 1,
    };
    let mut temp = temp_in(dir, "loop").map_err(write_error)?;
    let encoder = Encoder::looped(
        temp.as_file_mut(),
        spec,
        opts.format.container,
        origin,
        Some(points),
    )
    .map_err(write_error)?;
    let mut tail = Tail::new(encoder, spec, 0.0, true).map_err(write_error)?;
    tail.take(&crossfaded_head(&scanned, cut, c))
        .map_err(write_error)?;
    write_body(source, &mut tail, scanned.channels, c, cut)
        .map_err(|e| e.written_to(&dir.join(name)))?;
    let analysis = tail.finish().map_err(write_error)?;
    temp.as_file()
        .sync_all()
        .map_err(|e| write_error(e.to_string()))?;
    let (_, path) = atomic_file::persist_numbered(temp, dir, name).map_err(write_error)?;
    Ok(LoopReport {
        path,
        rate: scanned.rate,
        source_frames: scanned.frames,
        frames: cut,
        points,
        crossfade_frames: c,
        correlation,
        audio: analysis.stats,
    })
}

/// The first `c` frames: the head fading in (sine) over the stretch after
/// the cut fading out (cosine), whose powers add to one.
fn crossfaded_head(s: &Scanned, cut: u64, c: u64) -> Vec<f32> {
    let ch = s.channels;
    let from = (cut - s.tail_start()) as usize * ch;
    let after = &s.tail[from..from + c as usize * ch];
    let mut out = Vec::with_capacity(c as usize * ch);
    for (i, (h, t)) in s
        .head
        .chunks_exact(ch)
        .zip(after.chunks_exact(ch))
        .enumerate()
    {
        let x = (i as f64 + 0.5) / c as f64 * std::f64::consts::FRAC_PI_2;
        let (fade_in, fade_out) = (x.sin() as f32, x.cos() as f32);
        out.extend(h.iter().zip(t).map(|(h, t)| h * fade_in + t * fade_out));
    }
    out
}

/// Decodes the source again and writes its frames `c..cut`.
fn write_body(
    source: &Path,
    tail: &mut Tail<'_>,
    channels: usize,
    c: u64,
    cut: u64,
) -> Result<(), LoopError> {
    let tail = std::panic::AssertUnwindSafe(tail);
    // The outer error is the decoder's, the inner one the writer's.
    let outcome = crate::audio::decoding(source, move |mut opened| {
        let tail = tail;
        let mut frame = 0u64;
        let mut failed: Option<String> = None;
        let done = opened.for_each_block(|block| {
            let n = (block.samples.len() / channels) as u64;
            let (start, end) = (frame.max(c), (frame + n).min(cut));
            if start < end {
                let range =
                    ((start - frame) as usize * channels)..((end - frame) as usize * channels);
                if let Err(e) = tail.0.take(&block.samples[range]) {
                    failed = Some(e);
                    return Err(STOP.into());
                }
            }
            frame += n;
            if frame >= cut {
                return Err(STOP.into());
            }
            Ok(())
        });
        if let Some(e) = failed {
            return Ok(Err(e));
        }
        match done {
            Err(e) if e != STOP => Err(e),
            _ => Ok(Ok(frame.min(cut))),
        }
    });
    match outcome {
        Ok(Ok(reached)) if reached >= cut => Ok(()),
        Ok(Ok(_)) => Err(LoopError::Source(format!(
            "{} decoded shorter the second time: download it again",
            source.display()
        ))),
        // Named by the caller, which knows where the loop goes.
        Ok(Err(message)) => Err(LoopError::Write {
            path: String::new(),
            message,
        }),
        Err(e) => Err(LoopError::Source(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_correlation_finds_the_head_where_it_repeats() {
        let signal: Vec<f32> = (0..4000)
            .map(|i| ((i as f32) * 0.05).sin() * (1.0 + (i % 7) as f32 * 0.01))
            .collect();
        let head = &signal[..300];
        let mut region = vec![0.1f32; 1000];
        region[400..700].copy_from_slice(head);
        let scores = correlations(head, &region);
        let best = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        assert_eq!(best.0, 400);
        assert!((best.1 - 1.0).abs() < 1e-6, "{}", best.1);
    }

    #[test]
    fn the_crossfade_keeps_the_power_and_ends_on_the_head() {
        let s = Scanned {
            rate: 1000,
            channels: 1,
            frames: 100,
            head: vec![1.0; 10],
            tail: vec![1.0; 100],
        };
        let faded = crossfaded_head(&s, 50, 10);
        assert_eq!(faded.len(), 10);
        // sin + cos of the same angle: at most sqrt(2) for equal signals.
        assert!(
            faded.iter().all(|&v| (1.0..=1.4143).contains(&v)),
            "{faded:?}"
        );
    }
}
