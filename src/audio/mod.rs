//! Audio results: decode (symphonia), measure (peak, EBU R128 loudness with
//! `ebur128`, silence), the waveform overview, a one-line text waveform,
//! the spectrogram and its palette, loudness-matched copies for A/B
//! listening, and handing a file to a player. Nothing here draws or knows
//! the terminal UI; decoding is blocking work for a worker thread.

pub mod assemble;
pub mod crossfade;
mod decode;
pub mod format;
pub mod looping;
pub mod manifest;
pub mod matched;
mod measure;
mod mp4_edit;
pub mod origin;
mod peaks;
pub mod player;
pub mod render;
pub mod sniff;
pub mod spectrogram;
pub mod ucs;
mod waveform;

pub use peaks::{PEAK_COUNT, Peak, Peaks};
pub use spectrogram::{Spectrogram, spectrogram_file};
pub use waveform::{Glyphs, text_waveform};

use serde::Serialize;
use std::path::Path;

/// A frame whose every channel stays at or below this level counts as
/// silence when measuring the quiet lead-in and tail (-60 dBFS: below the
/// noise floor of any real recording, above MP3 encoder dither).
pub const SILENCE_THRESHOLD_DBFS: f64 = -60.0;

/// What `klang show --json` reports as `audio`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AudioStats {
    pub duration_s: f64,
    pub sample_rate: u32,
    pub channels: u32,
    /// Highest sample of any channel; `None` for digital silence.
    pub peak_dbfs: Option<f64>,
    /// The highest true peak (ITU-R BS.1770, 4x oversampled) of any
    /// channel, dBTP; `None` for digital silence.
    pub true_peak_dbtp: Option<f64>,
    /// EBU R128 integrated loudness; `None` when the file is shorter than
    /// one 400 ms gating block or entirely below the -70 LUFS gate.
    pub loudness_lufs: Option<f64>,
    /// EBU R128 loudness range (LRA), LU; `None` under 3 s of audio.
    pub loudness_range_lu: Option<f64>,
    /// Time before the first, and after the last, frame above
    /// [`SILENCE_THRESHOLD_DBFS`].
    pub leading_silence_s: f64,
    pub trailing_silence_s: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub stats: AudioStats,
    pub peaks: Peaks,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AudioError {
    #[error("cannot open {path}: {message}")]
    Open { path: String, message: String },
    #[error("cannot decode {path}: {reason}; download it again or open it in another player")]
    Undecodable { path: String, reason: String },
    /// Well-formed, but a codec or variant klang does not decode: fetching
    /// it again cannot help.
    #[error("cannot decode {path}: {reason}")]
    Unsupported { path: String, reason: String },
    #[error(
        "cannot write {path}: {message}; check that the cache directory is writable and has room"
    )]
    Write { path: String, message: String },
}

/// Decodes the file at `path` packet by packet and measures it. Blocking:
/// call it from a worker thread (`spawn_blocking`), never a UI task.
pub fn analyse_file(path: &Path) -> Result<Analysis, AudioError> {
    decoding(path, decode::analyse)
}

/// Opens the file at `path` for decoding and runs `work` on it, turning a
/// failure (or a decoder panic) into an [`AudioError`] naming the file.
fn decoding<T>(
    path: &Path,
    work: impl FnOnce(decode::Opened) -> Result<T, String> + std::panic::UnwindSafe,
) -> Result<T, AudioError> {
    let shown = path.display().to_string();
    // Only a regular file: a FIFO or a device (`/dev/urandom`) would block
    // the open or never end.
    let open = || {
        crate::input_file::open_regular(path).map_err(|e| AudioError::Open {
            path: shown.clone(),
            message: e.to_string(),
        })
    };
    let edit = mp4_edit::read_edit(&mut std::io::BufReader::new(open()?));
    let file = open()?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    // symphonia is safe Rust, but a decoder bug on hostile input must end
    // as "cannot decode", not take klang down or restore the terminal
    // under a running dashboard.
    let outcome = crate::caught::catching(move || {
        decode::open(Box::new(file), extension.as_deref(), edit)
            .and_then(|opened| work(opened).map_err(decode::OpenError::Broken))
    });
    let (unsupported, reason) = match outcome {
        Some(Ok(done)) => return Ok(done),
        Some(Err(decode::OpenError::Unsupported(reason))) => (true, reason),
        Some(Err(decode::OpenError::Broken(reason))) => (false, reason),
        None => (false, "the decoder failed on this file".to_string()),
    };
    let reason = crate::sanitize::single_line(&reason).into_owned();
    Err(if unsupported {
        AudioError::Unsupported {
            path: shown,
            reason,
        }
    } else {
        AudioError::Undecodable {
            path: shown,
            reason,
        }
    })
}
