//! The render chain: a downloaded result made into the file a game engine
//! or a DAW takes. In this order, each step its own file: decode (true to
//! the sample, see `decode.rs`), downmix, trim, fade, resample, gain under
//! a true-peak ceiling, quantize (dithered to 16 bits), encode into a
//! temporary file, measure what is written, then give it its name.
//!
//! Nothing holds the whole file: it is decoded block by block, once per
//! pass (`passes.rs`): a scan for the trim points and the length when
//! `--trim` or `--fade-ms` needs them, a measuring pass when
//! `--normalize` needs the loudness, then the writing pass. Memory stays
//! the same whatever the length. Blocking: run it on a worker thread.

mod chain;
mod dither;
mod downmix;
mod encode;
mod fade;
mod gain;
mod passes;
mod resample;
mod trim;
pub mod wav;
mod write;

pub use gain::Gain;
pub use write::Container;
pub(crate) use write::temp_in;
pub(crate) use {
    dither::Quantizer, encode::Encoder, encode::PcmSpec, passes::Tail, resample::StreamResampler,
};

use super::Analysis;
use std::path::{Path, PathBuf};

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

/// The file a render or an assembly writes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutputFormat {
    pub container: Container,
    /// The written rate; `None` keeps the source's (an assembly: the first
    /// chunk's).
    pub rate: Option<u32>,
    /// 16 (TPDF-dithered) or 24.
    pub bits: u16,
}

impl Default for OutputFormat {
    fn default() -> OutputFormat {
        OutputFormat {
            container: Container::Wav,
            rate: None,
            bits: 24,
        }
    }
}

impl OutputFormat {
    /// One line naming the setting at fault, or nothing.
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
        Ok(())
    }
}

/// The lowest and highest rate a render writes.
pub const RATES_HZ: std::ops::RangeInclusive<u32> = 8_000..=192_000;

impl Settings {
    /// One line naming the option at fault, or nothing.
    pub fn check(&self) -> Result<(), String> {
        OutputFormat {
            container: self.container,
            rate: self.rate,
            bits: self.bits,
        }
        .check()?;
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

/// Renders `source` into `dir` as `stem` plus the settings' suffix (a
/// new name when taken), the file carrying `origin`. `settings` must have
/// passed [`Settings::check`].
pub fn render(
    source: &Path,
    settings: &Settings,
    dir: &Path,
    stem: &str,
    origin: Option<&super::origin::Origin>,
) -> Result<Rendered, String> {
    render_named(source, settings, dir, Naming::Suffixed(stem), origin)
}

/// How a render's file is named.
#[derive(Clone, Copy, Debug)]
pub enum Naming<'a> {
    /// The stem plus the settings' suffix: `rain.48k24.wav`.
    Suffixed(&'a str),
    /// Exactly this name (a UCS name): `RAINMisc_Rain_klang_x.wav`.
    Exact(&'a str),
}

/// As [`render`], named by `naming` (a new name when taken).
pub fn render_named(
    source: &Path,
    settings: &Settings,
    dir: &Path,
    naming: Naming<'_>,
    origin: Option<&super::origin::Origin>,
) -> Result<Rendered, String> {
    let mut plan = chain::Plan {
        mono: settings.mono,
        keep: None,
        fade_ms: settings.fade_ms,
        rate: settings.rate,
    };
    let mut trimmed = None;
    if settings.trim || settings.fade_ms > 0 {
        let (scan, rate) = passes::scan(source, settings.mono)?;
        plan.keep = Some(if settings.trim {
            let (keep, cut) = scan.trimmed(rate)?;
            trimmed = Some(cut);
            keep
        } else {
            0..scan.frames
        });
    }
    let gain = match settings.normalize {
        Some(target) => Some(gain::plan(
            passes::measure(source, &plan)?,
            target,
            settings.true_peak,
        )),
        None => None,
    };
    let mut temp = write::temp_in(dir, "render")?;
    let out = passes::write(
        source,
        &plan,
        gain.map_or(0.0, |g| g.db),
        settings,
        origin,
        temp.as_file_mut(),
    )?;
    let name = match naming {
        Naming::Suffixed(stem) => settings.file_name(stem, Some(out.source_rate)),
        Naming::Exact(name) => name.to_string(),
    };
    let path = write::persist_numbered(temp, dir, &name)?;
    Ok(Rendered {
        path,
        trimmed,
        gain,
        written: out.written,
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
