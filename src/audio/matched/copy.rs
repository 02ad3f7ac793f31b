//! The gain-applied copy a player is handed: 16-bit PCM WAV, which every
//! player reads (aplay does not read 32-bit float), dithered (TPDF) so the
//! quiet tail of a turned-down take is noise, not distortion. Written once
//! per source content and gain into a cache directory, atomically (a
//! random temporary file renamed into place, never over anything), and
//! reused when it is there.

use crate::audio::decode::Opened;
use crate::audio::{AudioError, decoding};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Hex digits of the source's SHA-256 in the copy's name: 48 bits, plenty
/// to tell one take's file from another's.
const HASH_DIGITS: usize = 12;

/// The file name of `source`'s copy at `gain_db`:
/// `STEM.HASH.+9.40dB.wav`, where HASH is of the file's content, so a file
/// downloaded again or a changed gain makes a new copy. Reads the whole
/// source to hash it.
pub fn matched_copy_name(source: &Path, gain_db: f64) -> Result<String, AudioError> {
    let open_error = |e: std::io::Error| AudioError::Open {
        path: source.display().to_string(),
        message: e.to_string(),
    };
    // A FIFO swapped in for the take would block the open, and a device
    // never end: only a regular file is hashed.
    let mut file = crate::input_file::open_regular(source).map_err(open_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer).map_err(open_error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    let hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..HASH_DIGITS]
        .to_string();
    let stem: String = source
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default()
        .chars()
        .take(60)
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => c,
            _ => '_',
        })
        .collect();
    // + 0.0 turns -0.0 into 0.0, so no gain is always "+0.00dB".
    Ok(format!("{stem}.{hash}.{:+.2}dB.wav", gain_db + 0.0))
}

/// The copy of `source` turned by `gain_db`, in `cache_dir` (created if
/// missing): written now, or the one written before for the same content
/// and gain. Blocking: decodes the whole file the first time. Written
/// through a random temporary name (see [`crate::atomic_file`]) and never
/// over anything already at the copy's name: a symlink there is refused,
/// not followed or played.
pub fn write_matched_copy(
    source: &Path,
    gain_db: f64,
    cache_dir: &Path,
) -> Result<PathBuf, AudioError> {
    let target = cache_dir.join(matched_copy_name(source, gain_db)?);
    if is_regular_file(&target)? {
        return Ok(target);
    }
    let write_error = |path: &Path, e: String| AudioError::Write {
        path: path.display().to_string(),
        message: e,
    };
    std::fs::create_dir_all(cache_dir).map_err(|e| write_error(cache_dir, e.to_string()))?;
    // Dropped (so removed) on any error below.
    let temp = crate::atomic_file::temp_in(cache_dir, "matched")
        .map_err(|e| write_error(cache_dir, e.to_string()))?;
    let file = temp
        .as_file()
        .try_clone()
        .map_err(|e| write_error(temp.path(), e.to_string()))?;
    let gain = 10f32.powf(gain_db as f32 / 20.0);
    decoding(source, move |opened| write_gained(opened, file, gain))
        .and_then(|outcome| outcome.map_err(|e| write_error(temp.path(), e)))?;
    match temp.persist_noclobber(&target) {
        Ok(_) => Ok(target),
        // Another writer of the same content and gain came first: its
        // file is equal to ours.
        Err(e)
            if e.error.kind() == std::io::ErrorKind::AlreadyExists && is_regular_file(&target)? =>
        {
            Ok(target)
        }
        Err(e) => Err(write_error(&target, e.error.to_string())),
    }
}

/// Whether a regular file is at `path` (false when nothing is). Anything
/// else there (a symlink, a FIFO, a directory) is an error naming it.
fn is_regular_file(path: &Path) -> Result<bool, AudioError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => Ok(true),
        Ok(_) => Err(AudioError::Write {
            path: path.display().to_string(),
            message: "something other than a regular file is there; remove it and try again".into(),
        }),
        Err(_) => Ok(false),
    }
}

/// Decodes `opened` into a 16-bit WAV in `file`, every sample times `gain`.
/// The outer error is the decoder's, the inner one the writer's.
fn write_gained(
    mut opened: Opened,
    file: std::fs::File,
    gain: f32,
) -> Result<Result<(), String>, String> {
    let mut file = Some(file);
    let mut writer: Option<hound::WavWriter<std::io::BufWriter<std::fs::File>>> = None;
    // Seeded: the same source and gain give the same bytes.
    let mut dither = StdRng::seed_from_u64(0x006b_6c61_6e67);
    let mut failed: Option<String> = None;
    let decoded = opened.for_each_block(|block| {
        let w = match &mut writer {
            Some(w) => w,
            None => {
                let spec = hound::WavSpec {
                    channels: u16::try_from(block.channels).map_err(|_| "too many channels")?,
                    sample_rate: block.rate,
                    bits_per_sample: 16,
                    sample_format: hound::SampleFormat::Int,
                };
                let file = file.take().ok_or("the copy was started twice")?;
                match hound::WavWriter::new(std::io::BufWriter::new(file), spec) {
                    Ok(w) => writer.insert(w),
                    Err(e) => return Err(failed.insert(e.to_string()).clone()),
                }
            }
        };
        for &sample in block.samples {
            // Triangular dither of +-1 step: the difference of two uniforms.
            let noise = dither.random::<f32>() - dither.random::<f32>();
            let scaled = (sample * gain * 32768.0 + noise).round();
            let value = scaled.clamp(-32768.0, 32767.0) as i16;
            if let Err(e) = w.write_sample(value) {
                return Err(failed.insert(e.to_string()).clone());
            }
        }
        Ok(())
    });
    if let Some(e) = failed {
        return Ok(Err(e));
    }
    decoded?;
    let writer = writer.ok_or("no audio could be decoded")?;
    Ok(writer.finalize().map_err(|e| e.to_string()))
}
