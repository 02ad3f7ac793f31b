//! The passes over the source, each decoding it block by block from the
//! start: [`scan`] (length and trim points), [`measure`] (loudness and
//! true peak of what the chain makes) and [`write`] (the chain, the gain,
//! the quantizer, the encoder, and the meter of what is written).

use super::chain::{Chain, Plan};
use super::gain::{Level, LevelMeter, factor};
use super::trim::Scan;
use super::{Encoder, PcmSpec, Quantizer, Settings, downmix};
use crate::audio::Analysis;
use crate::audio::decode::Opened;
use crate::audio::measure::Meter;
use crate::audio::origin::{Loudness, Origin};
use std::fs::File;
use std::panic::{AssertUnwindSafe, UnwindSafe};
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

const NOTHING_DECODED: &str = "no audio could be decoded";

fn decode<T>(
    source: &Path,
    work: impl FnOnce(Opened) -> Result<T, String> + UnwindSafe,
) -> Result<T, String> {
    crate::audio::decoding(source, work).map_err(|e| e.to_string())
}

/// The number of frames and where the sound starts and ends (after the
/// downmix when `mono`), and the source's rate.
pub fn scan(source: &Path, mono: bool) -> Result<(Scan, u32), String> {
    decode(source, move |mut opened| {
        let mut scan = Scan::default();
        let mut rate = None;
        let mut mixed = Vec::new();
        opened.for_each_block(|block| {
            rate = Some(block.rate);
            if mono && block.channels > 1 {
                downmix::to_mono(block.samples, block.channels, &mut mixed);
                scan.add(&mixed, 1);
            } else {
                scan.add(block.samples, block.channels);
            }
            Ok(())
        })?;
        Ok((scan, rate.ok_or(NOTHING_DECODED)?))
    })
}

/// The integrated loudness and true peak of what `plan` makes of the
/// source.
pub fn measure(source: &Path, plan: &Plan) -> Result<Level, String> {
    decode(source, move |mut opened| {
        let mut state: Option<(Chain, LevelMeter)> = None;
        opened.for_each_block(|block| {
            let (chain, meter) = match &mut state {
                Some(s) => s,
                None => {
                    let chain = Chain::new(plan, block.channels, block.rate)?;
                    let meter = LevelMeter::new(chain.channels, chain.rate)?;
                    state.insert((chain, meter))
                }
            };
            chain.push(block.samples, &mut |s| meter.add(s))
        })?;
        let (chain, mut meter) = state.ok_or(NOTHING_DECODED)?;
        chain.finish(&mut |s| meter.add(s))?;
        meter.finish()
    })
}

/// What the writing pass made.
pub struct Written {
    pub source_rate: u32,
    /// The figures of the samples written, as a decoder reads them back.
    pub written: Analysis,
}

/// Decodes the source through `plan`, applies `gain_db`, quantizes and
/// encodes into `file` (empty, new), carrying `origin`.
pub fn write(
    source: &Path,
    plan: &Plan,
    gain_db: f64,
    settings: &Settings,
    origin: Option<&Origin>,
    file: &mut File,
) -> Result<Written, String> {
    let origin = origin.cloned();
    let file = AssertUnwindSafe(file);
    let (container, bits) = (settings.container, settings.bits);
    decode(source, move |mut opened| {
        // The whole wrapper, not its field, is what the closure captures.
        let file = file;
        let mut file = Some(file.0);
        let mut state: Option<(Chain, Tail<'_>, u32)> = None;
        opened.for_each_block(|block| {
            let (chain, tail, _) = match &mut state {
                Some(s) => s,
                None => {
                    let chain = Chain::new(plan, block.channels, block.rate)?;
                    let spec = PcmSpec {
                        channels: chain.channels,
                        rate: chain.rate,
                        bits,
                    };
                    let out = file.take().ok_or(NOTHING_DECODED)?;
                    let tail = Tail::new(
                        Encoder::new(out, spec, container, origin.as_ref())?,
                        spec,
                        gain_db,
                        true,
                    )?;
                    state.insert((chain, tail, block.rate))
                }
            };
            chain.push(block.samples, &mut |s| tail.take(s))
        })?;
        let (chain, mut tail, source_rate) = state.ok_or(NOTHING_DECODED)?;
        chain.finish(&mut |s| tail.take(s))?;
        Ok(Written {
            source_rate,
            written: tail.finish()?,
        })
    })
}

/// The steps after the chain: gain, quantize, encode, and measure the
/// integers written as a decoder reads them (`i / 2^(bits-1)`), so the
/// figures are the written file's without decoding it again. The meter
/// runs on a thread of its own, fed over a short queue, so encoding and
/// measuring take a core each.
pub(crate) struct Tail<'f> {
    factor: f32,
    quantizer: Quantizer,
    encoder: Encoder<&'f mut File>,
    meter: SyncSender<Vec<i32>>,
    measured: JoinHandle<Result<Analysis, String>>,
    scaled: Vec<f32>,
    ints: Vec<i32>,
}

/// Blocks queued for the meter thread.
const METER_QUEUE: usize = 4;

impl<'f> Tail<'f> {
    /// `range`: measure the loudness range too (render reports it).
    pub fn new(
        encoder: Encoder<&'f mut File>,
        spec: PcmSpec,
        gain_db: f64,
        range: bool,
    ) -> Result<Tail<'f>, String> {
        let mut meter = Meter::with_range(spec.channels, spec.rate, range)?;
        let to_float = 1.0 / (1u32 << (spec.bits - 1)) as f32;
        let (tx, rx) = sync_channel::<Vec<i32>>(METER_QUEUE);
        let measured = std::thread::spawn(move || {
            let mut floats = Vec::new();
            for ints in rx {
                floats.clear();
                floats.extend(ints.iter().map(|&v| v as f32 * to_float));
                meter.add(&floats)?;
            }
            Ok(meter.finish())
        });
        Ok(Tail {
            factor: factor(gain_db),
            quantizer: Quantizer::new(spec.bits),
            encoder,
            meter: tx,
            measured,
            scaled: Vec::new(),
            ints: Vec::new(),
        })
    }

    /// Interleaved samples at the output's rate and channels.
    pub fn take(&mut self, samples: &[f32]) -> Result<(), String> {
        self.scaled.clear();
        self.scaled.extend(samples.iter().map(|s| s * self.factor));
        self.quantizer.quantize(&self.scaled, &mut self.ints);
        self.encoder.write(&self.ints)?;
        self.measure()
    }

    /// Integers already quantized (by a thread of their own).
    pub fn take_ints(&mut self, ints: Vec<i32>) -> Result<(), String> {
        self.encoder.write(&ints)?;
        self.meter
            .send(ints)
            .map_err(|_| "the meter of the written samples stopped".to_string())
    }

    /// Hands the integers just written to the meter.
    fn measure(&mut self) -> Result<(), String> {
        let capacity = self.ints.len();
        let ints = std::mem::replace(&mut self.ints, Vec::with_capacity(capacity));
        self.meter
            .send(ints)
            .map_err(|_| "the meter of the written samples stopped".to_string())
    }

    /// Digital silence of `frames` frames (not dithered: exact zeros).
    pub fn silence(&mut self, frames: u64, channels: usize) -> Result<(), String> {
        const BLOCK: u64 = 4_096;
        let mut left = frames;
        while left > 0 {
            let n = left.min(BLOCK);
            self.ints.clear();
            self.ints.resize(n as usize * channels, 0);
            self.encoder.write(&self.ints)?;
            self.measure()?;
            left -= n;
        }
        Ok(())
    }

    /// Completes the file; the figures of what was written (which the
    /// WAV's `bext` carries too).
    pub fn finish(self) -> Result<Analysis, String> {
        drop(self.meter);
        let analysis = self
            .measured
            .join()
            .map_err(|_| "the meter of the written samples failed".to_string())??;
        let s = &analysis.stats;
        self.encoder.finish(Some(&Loudness {
            integrated_lufs: s.loudness_lufs,
            range_lu: s.loudness_range_lu,
            true_peak_dbtp: s.true_peak_dbtp,
        }))?;
        Ok(analysis)
    }
}
