//! Takes joined by crossfades into one program of any length (`klang bed`,
//! `klang foley`): each take decoded once (mapped to the program's
//! channels, resampled to its rate), brought to one loudness (EBU R128
//! integrated, so every join is at matched loudness), and laid on a
//! timeline of clips, each fading in over the previous one's fade-out with
//! equal-power (sine/cosine) curves, whose powers add to one for the
//! uncorrelated sounds of two takes.
//!
//! The output is rendered block by block and streamed to the encoder: the
//! program is never in memory, only its takes (at most
//! [`MAX_SOURCE_SECONDS`] each). A bed reuses its few takes throughout and
//! keeps them; foley uses each window once, so a take is dropped once its
//! last clip is written and memory does not grow with the video.
//!
//! A looped program (`wrap`): the timeline runs `wrap` past the output's
//! end, and that overhang is mixed into the output's head, where the first
//! clip fades in over it, so the last sample runs on into the first.
//! Blocking: run it on a worker thread.

use super::AudioStats;
use super::assemble::map_channels;
use super::origin::Origin;
use super::render::wav::LoopPoints;
use super::render::{Encoder, OutputFormat, PcmSpec, StreamResampler, Tail, temp_in};
use crate::atomic_file;
use ebur128::{EbuR128, Mode};
use std::path::{Path, PathBuf};

/// The longest take kept in memory (a sound effect lasts at most 10 s, a
/// video-to-audio window 20 s).
pub const MAX_SOURCE_SECONDS: f64 = 60.0;
/// Frames rendered at a time.
const BLOCK_FRAMES: u64 = 8_192;
/// The highest sample peak a take's gain may bring it to, dBFS.
const PEAK_CEILING_DBFS: f64 = -0.5;

/// One stretch of one take on the timeline, in seconds.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Clip {
    /// Index into the takes.
    pub source: usize,
    /// Where in the take it starts.
    pub from_s: f64,
    /// Where on the timeline it starts, and for how long.
    pub start_s: f64,
    pub len_s: f64,
    /// Equal-power fades at its two ends (0: a cut).
    pub fade_in_s: f64,
    pub fade_out_s: f64,
}

/// What was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Written {
    pub path: PathBuf,
    pub frames: u64,
    pub rate: u32,
    pub audio: AudioStats,
    /// Each take's integrated loudness as it came (LUFS; `None` under the
    /// gates) and the gain it was given, dB.
    pub takes: Vec<(Option<f64>, f64)>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CrossfadeError {
    /// Takes count from 1.
    #[error("take {number} ({path}): {reason}")]
    Take {
        number: usize,
        path: String,
        reason: String,
    },
    #[error("{0}")]
    Settings(String),
    #[error(
        "cannot write {path}: {message}; check that the folder exists, is writable and has room"
    )]
    Write { path: String, message: String },
}

/// A take decoded, at the program's rate and channels, with its gain.
struct Loaded {
    samples: Vec<f32>,
    gain: f32,
}

/// The takes of a program, decoded when first needed.
pub struct Takes {
    paths: Vec<PathBuf>,
    loaded: Vec<Option<Loaded>>,
    /// What each loaded take measured (kept after it is dropped).
    measured: Vec<Option<(Option<f64>, f64)>>,
    frames: Vec<Option<u64>>,
    channels: usize,
    rate: u32,
    target_lufs: f64,
}

impl Takes {
    /// The takes at `paths`; the first is decoded to learn the program's
    /// channels and (unless `rate` says) its rate.
    pub fn open(
        paths: Vec<PathBuf>,
        rate: Option<u32>,
        target_lufs: f64,
    ) -> Result<Takes, CrossfadeError> {
        if paths.is_empty() {
            return Err(CrossfadeError::Settings("no takes to join".into()));
        }
        if !(target_lufs.is_finite() && (-70.0..=0.0).contains(&target_lufs)) {
            return Err(CrossfadeError::Settings(format!(
                "--normalize {target_lufs}: a loudness target is from -70 to 0 LUFS (e.g. -20)"
            )));
        }
        let n = paths.len();
        let mut takes = Takes {
            paths,
            loaded: (0..n).map(|_| None).collect(),
            measured: vec![None; n],
            frames: vec![None; n],
            channels: 0,
            rate: rate.unwrap_or(0),
            target_lufs,
        };
        takes.load(0)?;
        Ok(takes)
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Take `i`'s length in seconds (decoding it if needed).
    pub fn seconds(&mut self, i: usize) -> Result<f64, CrossfadeError> {
        if self.frames.get(i).copied().flatten().is_none() {
            self.load(i)?;
        }
        Ok(self.frames[i].unwrap_or(0) as f64 / f64::from(self.rate))
    }

    fn failed(&self, i: usize, reason: String) -> CrossfadeError {
        CrossfadeError::Take {
            number: i + 1,
            path: self
                .paths
                .get(i)
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            reason,
        }
    }

    fn load(&mut self, i: usize) -> Result<(), CrossfadeError> {
        if self.loaded.get(i).is_some_and(Option::is_some) {
            return Ok(());
        }
        let path = self
            .paths
            .get(i)
            .cloned()
            .ok_or_else(|| self.failed(i, "no such take".into()))?;
        let (channels, rate) = (self.channels, self.rate);
        let decoded = decode_whole(&path, channels, rate).map_err(|e| self.failed(i, e))?;
        let (samples, channels, rate) = decoded;
        self.channels = channels;
        self.rate = rate;
        let frames = (samples.len() / channels) as u64;
        if frames == 0 {
            return Err(self.failed(i, "no audio could be decoded".into()));
        }
        let (lufs, peak) = loudness(&samples, channels, rate).map_err(|e| self.failed(i, e))?;
        let wanted = lufs.map_or(0.0, |l| self.target_lufs - l);
        let room = peak.map_or(f64::INFINITY, |p| PEAK_CEILING_DBFS - p);
        let gain_db = wanted.min(room);
        self.frames[i] = Some(frames);
        self.measured[i] = Some((lufs, gain_db));
        self.loaded[i] = Some(Loaded {
            samples,
            gain: 10f64.powf(gain_db / 20.0) as f32,
        });
        Ok(())
    }

    fn release(&mut self, i: usize) {
        if let Some(slot) = self.loaded.get_mut(i) {
            *slot = None;
        }
    }
}

/// Decodes the whole file at `path` into `channels` at `rate` (0: its
/// own), refusing more than [`MAX_SOURCE_SECONDS`].
fn decode_whole(path: &Path, channels: usize, rate: u32) -> Result<(Vec<f32>, usize, u32), String> {
    let outcome = super::decoding(path, move |mut opened| {
        let mut out: Vec<f32> = Vec::new();
        let mut spec: Option<(usize, u32)> = None;
        let mut resampler: Option<Option<StreamResampler>> = None;
        let mut mapped = Vec::new();
        opened.for_each_block(|block| {
            let (ch, to_rate) = *spec.get_or_insert((
                if channels == 0 { block.channels } else { channels },
                if rate == 0 { block.rate } else { rate },
            ));
            let r = match &mut resampler {
                Some(r) => r,
                None => resampler.insert(match block.rate == to_rate {
                    true => None,
                    false => Some(StreamResampler::new(block.rate, to_rate, ch)?),
                }),
            };
            map_channels(block.samples, block.channels, ch, &mut mapped);
            let mut emit = |s: &[f32]| {
                out.extend_from_slice(s);
                Ok(())
            };
            match r {
                Some(r) => r.push(&mapped, &mut emit)?,
                None => emit(&mapped)?,
            }
            if out.len() as f64 > MAX_SOURCE_SECONDS * f64::from(to_rate) * ch as f64 {
                return Err(format!(
                    "longer than {MAX_SOURCE_SECONDS} s; a take this long is not a sound effect or a window"
                ));
            }
            Ok(())
        })?;
        if let Some(Some(r)) = resampler {
            r.finish(&mut |s| {
                out.extend_from_slice(s);
                Ok(())
            })?;
        }
        let (ch, r) = spec.ok_or("no audio could be decoded")?;
        Ok((out, ch, r))
    });
    outcome.map_err(|e| e.to_string())
}

/// Integrated loudness (`None` under the gates) and sample peak (dBFS,
/// `None` for digital silence).
fn loudness(
    samples: &[f32],
    channels: usize,
    rate: u32,
) -> Result<(Option<f64>, Option<f64>), String> {
    let mut meter = EbuR128::new(channels as u32, rate, Mode::I | Mode::SAMPLE_PEAK)
        .map_err(|e| format!("cannot measure the loudness: {e}"))?;
    meter
        .add_frames_f32(samples)
        .map_err(|e| format!("cannot measure the loudness: {e}"))?;
    let lufs = meter.loudness_global().ok().filter(|l| l.is_finite());
    let peak = (0..channels as u32)
        .filter_map(|c| meter.sample_peak(c).ok())
        .fold(0.0f64, f64::max);
    let peak = (peak > 0.0).then(|| 20.0 * peak.log10());
    Ok((lufs, peak))
}

/// A clip in frames at the program's rate.
struct Placed {
    source: usize,
    from: u64,
    start: u64,
    len: u64,
    fade_in: u64,
    fade_out: u64,
}

impl Placed {
    fn end(&self) -> u64 {
        self.start + self.len
    }

    /// The clip's equal-power envelope at its own frame `i`.
    fn envelope(&self, i: u64) -> f32 {
        let ramp = |k: u64, n: u64| {
            (std::f64::consts::FRAC_PI_2 * (k as f64 + 0.5) / n as f64).sin() as f32
        };
        let mut g = 1.0;
        if i < self.fade_in {
            g *= ramp(i, self.fade_in);
        }
        let from_end = self.len - 1 - i;
        if from_end < self.fade_out {
            g *= ramp(from_end, self.fade_out);
        }
        g
    }
}

/// Writes the program: `clips` laid on a timeline of `total_s + wrap_s`
/// seconds, the last `wrap_s` mixed into the head, as `total_s` seconds
/// (rounded to a frame) into `out`, replaced atomically, carrying
/// `origin`; a looped program is marked to loop whole (WAV `smpl`, FLAC
/// LOOPSTART/LOOPLENGTH).
pub fn write(
    takes: &mut Takes,
    clips: &[Clip],
    (total_s, wrap_s): (f64, f64),
    format: OutputFormat,
    origin: Option<&Origin>,
    out: &Path,
) -> Result<Written, CrossfadeError> {
    format.check().map_err(CrossfadeError::Settings)?;
    let rate = takes.rate;
    let frames_of = |s: f64| (s * f64::from(rate)).round().max(0.0) as u64;
    let placed: Vec<Placed> = clips
        .iter()
        .map(|c| Placed {
            source: c.source,
            from: frames_of(c.from_s),
            start: frames_of(c.start_s),
            len: frames_of(c.len_s).max(1),
            fade_in: frames_of(c.fade_in_s),
            fade_out: frames_of(c.fade_out_s),
        })
        .collect();
    let total = frames_of(total_s);
    let wrap = frames_of(wrap_s).min(total);
    if total == 0 {
        return Err(CrossfadeError::Settings("the program is empty".into()));
    }
    // The last clip each take plays in: after it, the take may go.
    let mut last_end = vec![0u64; takes.paths.len()];
    for p in &placed {
        if p.source >= last_end.len() {
            return Err(CrossfadeError::Settings(format!(
                "clip of take {} but only {} takes",
                p.source + 1,
                last_end.len()
            )));
        }
        last_end[p.source] = last_end[p.source].max(p.end());
    }
    let write_error = |message: String| CrossfadeError::Write {
        path: out.display().to_string(),
        message,
    };
    let spec = PcmSpec {
        channels: takes.channels,
        rate: format.rate.unwrap_or(rate),
        bits: format.bits,
    };
    if spec.rate != rate {
        return Err(CrossfadeError::Settings(format!(
            "the takes were opened at {rate} Hz, the output asks {} Hz",
            spec.rate
        )));
    }
    let dir = atomic_file::parent_dir(out);
    let mut temp = temp_in(dir, "crossfade").map_err(write_error)?;
    let loop_points = (wrap > 0).then(|| LoopPoints {
        start: 0,
        end: total - 1,
    });
    let encoder = Encoder::looped(
        temp.as_file_mut(),
        spec,
        format.container,
        origin,
        loop_points,
    )
    .map_err(write_error)?;
    let mut tail = Tail::new(encoder, spec, 0.0, false).map_err(write_error)?;
    let channels = spec.channels;
    let mut block = Vec::with_capacity(BLOCK_FRAMES as usize * channels);
    let mut correlations: Vec<Option<f32>> = vec![None; placed.len()];
    let mut at = 0u64;
    while at < total {
        let end = (at + BLOCK_FRAMES).min(total);
        block.clear();
        block.resize((end - at) as usize * channels, 0.0);
        mix(takes, &placed, at, &mut block, &mut correlations)?;
        if at < wrap {
            // The overhang past the end, where the last clip fades out,
            // under the head, where the first fades in.
            let n = (end.min(wrap) - at) as usize * channels;
            mix(
                takes,
                &placed,
                total + at,
                &mut block[..n],
                &mut correlations,
            )?;
        }
        tail.take(&block).map_err(write_error)?;
        at = end;
        if wrap == 0 {
            for (i, &e) in last_end.iter().enumerate() {
                if e <= at {
                    takes.release(i);
                }
            }
        }
    }
    let analysis = tail.finish().map_err(write_error)?;
    temp.as_file()
        .sync_all()
        .map_err(|e| write_error(e.to_string()))?;
    atomic_file::persist_replacing(temp, out).map_err(|e| write_error(e.to_string()))?;
    Ok(Written {
        path: out.to_path_buf(),
        frames: total,
        rate,
        audio: analysis.stats,
        takes: takes
            .measured
            .iter()
            .map(|m| m.unwrap_or((None, 0.0)))
            .collect(),
    })
}

/// Adds every clip sounding in `[at, at + block frames)` into `block`,
/// then keeps the power even inside each crossfade: equal-power curves
/// add two sounds to the same power only when they are uncorrelated, so
/// the pair's correlation over the overlap (measured once, when it first
/// sounds) scales the mix by `1 / sqrt(1 + 2 a b r)`. Two takes of one
/// short loop, shifted, would otherwise dip or swell at the join.
fn mix(
    takes: &mut Takes,
    placed: &[Placed],
    at: u64,
    block: &mut [f32],
    correlations: &mut [Option<f32>],
) -> Result<(), CrossfadeError> {
    let channels = takes.channels;
    let end = at + (block.len() / channels) as u64;
    for clip in placed.iter().filter(|c| c.start < end && c.end() > at) {
        takes.load(clip.source)?;
        let Some(take) = takes.loaded[clip.source].as_ref() else {
            continue;
        };
        let from = clip.start.max(at);
        let to = clip.end().min(end);
        for t in from..to {
            let i = t - clip.start;
            let src = (clip.from + i) as usize * channels;
            let Some(frame) = take.samples.get(src..src + channels) else {
                break;
            };
            let g = take.gain * clip.envelope(i);
            let dst = (t - at) as usize * channels;
            for (d, s) in block[dst..dst + channels].iter_mut().zip(frame) {
                *d += s * g;
            }
        }
    }
    for (k, pair) in placed.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        let (from, to) = (b.start.max(at), a.end().min(end));
        if from >= to {
            continue;
        }
        let r = match correlations.get(k).copied().flatten() {
            Some(r) => r,
            None => {
                let r = correlation(takes, a, b);
                if let Some(slot) = correlations.get_mut(k) {
                    *slot = Some(r);
                }
                r
            }
        };
        for t in from..to {
            let (ea, eb) = (a.envelope(t - a.start), b.envelope(t - b.start));
            let c = 1.0 / (1.0 + 2.0 * ea * eb * r).max(0.25).sqrt();
            let dst = (t - at) as usize * channels;
            block[dst..dst + channels].iter_mut().for_each(|s| *s *= c);
        }
    }
    Ok(())
}

/// The correlation of clips `a` and `b` where they overlap (0 when either
/// is silent there or not loaded).
fn correlation(takes: &Takes, a: &Placed, b: &Placed) -> f32 {
    let ch = takes.channels;
    let (Some(Some(ta)), Some(Some(tb))) = (takes.loaded.get(a.source), takes.loaded.get(b.source))
    else {
        return 0.0;
    };
    let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
    for t in b.start..a.end() {
        let ia = (a.from + t - a.start) as usize * ch;
        let ib = (b.from + t - b.start) as usize * ch;
        let (Some(fa), Some(fb)) = (ta.samples.get(ia..ia + ch), tb.samples.get(ib..ib + ch))
        else {
            break;
        };
        for (x, y) in fa.iter().zip(fb) {
            let (x, y) = (f64::from(*x), f64::from(*y));
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
    }
    if aa <= 0.0 || bb <= 0.0 {
        return 0.0;
    }
    (ab / (aa * bb).sqrt()).clamp(-1.0, 1.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_power_fades_add_to_one() {
        let a = Placed {
            source: 0,
            from: 0,
            start: 0,
            len: 100,
            fade_in: 0,
            fade_out: 20,
        };
        let b = Placed {
            source: 1,
            from: 0,
            start: 80,
            len: 100,
            fade_in: 20,
            fade_out: 0,
        };
        for t in 80..100 {
            let ga = a.envelope(t - a.start);
            let gb = b.envelope(t - b.start);
            assert!((ga * ga + gb * gb - 1.0).abs() < 1e-5, "{t}: {ga} {gb}");
        }
        assert_eq!(a.envelope(10), 1.0);
    }

    #[test]
    fn a_crossfade_of_one_sound_with_itself_keeps_its_power() {
        // The same noise on both sides of the join: fully correlated, so
        // equal-power curves alone would swell by up to 3 dB.
        let mut noise = 1u32;
        let samples: Vec<f32> = (0..4_000)
            .map(|_| {
                noise ^= noise << 13;
                noise ^= noise >> 17;
                noise ^= noise << 5;
                (noise as f32 / u32::MAX as f32) - 0.5
            })
            .collect();
        let loaded = || {
            Some(Loaded {
                samples: samples.clone(),
                gain: 1.0,
            })
        };
        let mut takes = Takes {
            paths: vec![PathBuf::new(), PathBuf::new()],
            loaded: vec![loaded(), loaded()],
            measured: vec![None; 2],
            frames: vec![Some(4_000); 2],
            channels: 1,
            rate: 1_000,
            target_lufs: -20.0,
        };
        let placed = [
            Placed {
                source: 0,
                from: 0,
                start: 0,
                len: 2_000,
                fade_in: 0,
                fade_out: 1_000,
            },
            Placed {
                source: 1,
                from: 1_000,
                start: 1_000,
                len: 2_000,
                fade_in: 1_000,
                fade_out: 0,
            },
        ];
        let mut block = vec![0.0; 3_000];
        let mut correlations = vec![None; 2];
        mix(&mut takes, &placed, 0, &mut block, &mut correlations).unwrap();
        let power = |s: &[f32]| s.iter().map(|x| x * x).sum::<f32>() / s.len() as f32;
        let (outside, inside) = (power(&block[..1_000]), power(&block[1_000..2_000]));
        assert!((inside / outside - 1.0).abs() < 0.1, "{outside} {inside}");
        assert!(correlations[0].unwrap() > 0.99);
    }
}
