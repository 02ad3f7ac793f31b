//! The render chain: a downloaded result made into the file a game engine
//! or a DAW takes. In this order, each step its own file: decode (true to
//! the sample, see `decode.rs`), downmix, trim, fade, resample, gain under
//! a true-peak ceiling, quantize (dithered to 16 bits), write atomically,
//! then measure what was written. Blocking: run it on a worker thread.

mod dither;
mod downmix;
mod fade;
mod gain;
mod resample;
mod trim;
mod write;

pub use gain::Gain;
pub use write::Container;
pub(crate) use write::claim_name;

use super::{Analysis, analyse_file};
use std::path::{Path, PathBuf};

/// Interleaved samples in -1..=1 and their format.
pub struct Buffer {
    pub channels: usize,
    pub rate: u32,
    pub samples: Vec<f32>,
}

/// What to make of the file. [`Settings::check`] refuses what cannot be
/// made before anything is decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub container: Container,
    /// The written rate; `None` keeps the source's.
    pub rate: Option<u32>,
    pub bits: u16,
    /// Integrated loudness to reach, LUFS; `None` leaves the level alone.
    pub normalize: Option<f64>,
    /// The highest true peak the gain may reach, dBTP.
    pub true_peak: f64,
    pub trim: bool,
    pub fade_ms: u32,
    pub mono: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            container: Container::Wav,
            rate: None,
            bits: 24,
            normalize: None,
            true_peak: -1.0,
            trim: false,
            fade_ms: 0,
            mono: false,
        }
    }
}

/// `[render]` in config.toml: every line optional, unknown ones refused.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RenderConfig {
    pub format: Option<Container>,
    pub rate: Option<u32>,
    pub bits: Option<u16>,
    pub normalize: Option<f64>,
    pub true_peak: Option<f64>,
    pub trim: Option<bool>,
    pub fade_ms: Option<u32>,
    pub mono: Option<bool>,
    /// Where renders go [default: beside the download].
    pub out: Option<PathBuf>,
}

impl RenderConfig {
    /// The settings these lines give, over the defaults.
    pub fn settings(&self) -> Settings {
        let d = Settings::default();
        Settings {
            container: self.format.unwrap_or(d.container),
            rate: self.rate.or(d.rate),
            bits: self.bits.unwrap_or(d.bits),
            normalize: self.normalize.or(d.normalize),
            true_peak: self.true_peak.unwrap_or(d.true_peak),
            trim: self.trim.unwrap_or(d.trim),
            fade_ms: self.fade_ms.unwrap_or(d.fade_ms),
            mono: self.mono.unwrap_or(d.mono),
        }
    }
}

/// The lowest and highest rate a render writes.
pub const RATES_HZ: std::ops::RangeInclusive<u32> = 8_000..=192_000;

impl Settings {
    /// One line naming the option at fault, or nothing.
    pub fn check(&self) -> Result<(), String> {
        if let Some(rate) = self.rate
            && !RATES_HZ.contains(&rate)
        {
            return Err(format!(
                "--rate {rate}: give a sample rate from 8000 to 192000 Hz (e.g. 48000)"
            ));
        }
        if !matches!(self.bits, 16 | 24) {
            return Err(format!("--bits {}: give 16 or 24", self.bits));
        }
        if let Some(target) = self.normalize
            && !(target.is_finite() && (-70.0..=0.0).contains(&target))
        {
            return Err(format!(
                "--normalize {target}: a loudness target is from -70 to 0 LUFS (e.g. -23 for broadcast, -16 for the web)"
            ));
        }
        if !(self.true_peak.is_finite() && (-20.0..=0.0).contains(&self.true_peak)) {
            return Err(format!(
                "--true-peak {}: a ceiling is from -20 to 0 dBTP (e.g. -1)",
                self.true_peak
            ));
        }
        if self.fade_ms > 60_000 {
            return Err(format!(
                "--fade-ms {}: at most 60000 (a minute)",
                self.fade_ms
            ));
        }
        Ok(())
    }

    /// The file name of a render of `stem`: `stem.48k24.wav`.
    pub fn file_name(&self, stem: &str, source_rate: Option<u32>) -> String {
        let rate = self.rate.or(source_rate).map_or(String::new(), |r| {
            let k = f64::from(r) / 1000.0;
            if r % 1000 == 0 {
                format!("{k:.0}k")
            } else {
                format!("{k:.1}k")
            }
        });
        format!("{stem}.{rate}{}.{}", self.bits, self.container.extension())
    }
}

/// What a render did and what the written file measures.
pub struct Rendered {
    pub path: PathBuf,
    /// Seconds cut at the start and the end by `--trim`.
    pub trimmed: Option<(f64, f64)>,
    pub gain: Option<Gain>,
    pub written: Analysis,
}

/// The whole file decoded into one buffer (the gain needs the whole file
/// measured before it can apply).
fn decode_whole(source: &Path) -> Result<Buffer, String> {
    let decoded = super::decoding(source, |mut opened| {
        let mut buf: Option<Buffer> = None;
        opened.for_each_block(|block| {
            let b = buf.get_or_insert_with(|| Buffer {
                channels: block.channels,
                rate: block.rate,
                samples: Vec::new(),
            });
            b.samples.extend_from_slice(block.samples);
            Ok(())
        })?;
        buf.ok_or_else(|| "no audio could be decoded".to_string())
    });
    decoded.map_err(|e| e.to_string())
}

/// Renders `source` into `dir` as `stem` plus the settings' suffix (a
/// new name when taken). `settings` must have passed [`Settings::check`].
pub fn render(
    source: &Path,
    settings: &Settings,
    dir: &Path,
    stem: &str,
) -> Result<Rendered, String> {
    let mut buf = decode_whole(source)?;
    let source_rate = buf.rate;
    if settings.mono {
        buf = downmix::to_mono(buf);
    }
    let trimmed = match settings.trim {
        true => Some(trim::trim(&mut buf)?),
        false => None,
    };
    fade::fade(&mut buf, settings.fade_ms);
    if let Some(rate) = settings.rate {
        buf = resample::resample(buf, rate)?;
    }
    let gain = match settings.normalize {
        Some(target) => {
            let g = gain::plan(gain::measure(&buf)?, target, settings.true_peak);
            gain::apply(&mut buf, g.db);
            Some(g)
        }
        None => None,
    };
    let samples = dither::quantize(&buf, settings.bits);
    let pcm = write::Pcm {
        samples: &samples,
        channels: buf.channels,
        rate: buf.rate,
        bits: settings.bits,
    };
    drop(std::mem::take(&mut buf.samples));
    let name = settings.file_name(stem, Some(source_rate));
    let path = write::write_new(dir, &name, &pcm, settings.container)?;
    drop(samples);
    let written = analyse_file(&path).map_err(|e| e.to_string())?;
    Ok(Rendered {
        path,
        trimmed,
        gain,
        written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_settings_name_their_option() {
        let refused = |s: Settings, option: &str| {
            let e = s.check().unwrap_err();
            assert!(e.starts_with(option), "{e}");
            assert!(!e.contains('\n'));
        };
        let ok = Settings::default();
        assert_eq!(ok.check(), Ok(()));
        refused(
            Settings {
                normalize: Some(5.0),
                ..ok.clone()
            },
            "--normalize 5",
        );
        refused(
            Settings {
                rate: Some(4_000),
                ..ok.clone()
            },
            "--rate 4000",
        );
        refused(
            Settings {
                rate: Some(384_000),
                ..ok.clone()
            },
            "--rate",
        );
        refused(
            Settings {
                bits: 32,
                ..ok.clone()
            },
            "--bits 32",
        );
        refused(
            Settings {
                true_peak: 1.0,
                ..ok.clone()
            },
            "--true-peak 1",
        );
        refused(
            Settings {
                fade_ms: 100_000,
                ..ok.clone()
            },
            "--fade-ms",
        );
    }

    #[test]
    fn names_say_rate_and_depth() {
        let s = Settings {
            rate: Some(48_000),
            ..Settings::default()
        };
        assert_eq!(s.file_name("rain", Some(44_100)), "rain.48k24.wav");
        let s = Settings {
            container: Container::Flac,
            bits: 16,
            ..Settings::default()
        };
        assert_eq!(s.file_name("rain", Some(44_100)), "rain.44.1k16.flac");
    }
}
