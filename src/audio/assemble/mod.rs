//! Many short takes made into one program (`klang speak`): each chunk
//! decoded, its silent ends trimmed, joined to the next with the silence
//! the caller chose and 5 ms equal-power fades at every cut, levelled
//! (each chunk to the program's median gated speech loudness, then one
//! program gain to the target under the true-peak ceiling), and written
//! atomically as WAV or FLAC.
//!
//! Streaming in two passes: every chunk is measured (`scan.rs`, both cores
//! at once), the gains are chosen (`level.rs`), then every chunk is
//! decoded again and written (`join.rs`). Memory holds one chunk's decoder
//! and one encoder block, plus a few numbers per chunk (its gating blocks,
//! 10 a second): it does not grow with the chunks' audio. Knows nothing of
//! the store or the terminal. Blocking: run it on a worker thread.

mod join;
mod level;
mod scan;
mod timeline;

use super::AudioStats;
use super::render::OutputFormat;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) use scan::map_channels;
pub use scan::{Measured, PAUSE_MIN_MS, PAUSE_THRESHOLD_DBFS};
pub use timeline::{TimedInput, write_timeline};

/// One chunk, in program order.
#[derive(Clone, Debug, PartialEq)]
pub struct AssemblyInput {
    pub path: PathBuf,
    /// Silence before this chunk's speech (0 for the first): the gap, the
    /// paragraph gap or an explicit pause, already chosen by the caller.
    pub gap_before: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssemblyOptions {
    /// Integrated loudness of the whole program, LUFS (-16).
    pub target_lufs: f64,
    /// The highest true peak the program gain may reach, dBTP (-1.5).
    pub true_peak_dbtp: f64,
    pub format: OutputFormat,
    /// The fade at every cut (5 ms), equal-power.
    pub fade: Duration,
}

impl Default for AssemblyOptions {
    fn default() -> AssemblyOptions {
        AssemblyOptions {
            target_lufs: -16.0,
            true_peak_dbtp: -1.5,
            format: OutputFormat::default(),
            fade: Duration::from_millis(5),
        }
    }
}

/// Where one chunk landed in the output.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkPlacement {
    /// Where the chunk's trimmed speech starts and ends in the output.
    pub start: Duration,
    pub end: Duration,
    /// Silences inside the chunk (at least [`PAUSE_MIN_MS`]), on the output
    /// timeline, for caption timing.
    pub pauses: Vec<(Duration, Duration)>,
    /// The chunk's gated loudness as it came, LUFS (NaN when it could not
    /// be measured: under the gates).
    pub loudness_lufs: f64,
    /// The gain applied to it: its own gain to the median plus the program
    /// gain.
    pub gain_db: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssemblyReport {
    pub path: PathBuf,
    pub placements: Vec<ChunkPlacement>,
    /// The written file's figures, as `render` reports them.
    pub audio: AudioStats,
    /// The program gain, and whether the true-peak ceiling chose it.
    pub program_gain_db: f64,
    pub limited_by_true_peak: bool,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AssembleError {
    #[error("nothing to assemble: give at least one chunk")]
    Empty,
    #[error("{0}")]
    Settings(String),
    /// Chunks count from 1.
    #[error("chunk {number}: {reason}")]
    Chunk { number: usize, reason: String },
    #[error(
        "chunk {number} ({path}) is silent throughout (below -60 dBFS): take it again or leave it out"
    )]
    Silent { number: usize, path: String },
    #[error(
        "cannot write {path}: {message}; check that the folder exists, is writable and has room"
    )]
    Write { path: String, message: String },
}

/// Assembles `inputs` into `out` (replaced atomically if it exists: a
/// reader sees the old file or the new one; a symlink there is replaced,
/// never followed), the file carrying `origin`.
pub fn assemble(
    inputs: &[AssemblyInput],
    opts: &AssemblyOptions,
    out: &Path,
    origin: Option<&super::origin::Origin>,
) -> Result<AssemblyReport, AssembleError> {
    if inputs.is_empty() {
        return Err(AssembleError::Empty);
    }
    check(opts)?;
    let measured = measure_all(inputs)?;
    let refs: Vec<&scan::Measured> = measured.iter().collect();
    let levels = level::plan(&refs, opts.target_lufs, opts.true_peak_dbtp);
    join::write(inputs, &measured, &levels, opts, out, origin)
}

fn check(opts: &AssemblyOptions) -> Result<(), AssembleError> {
    opts.format.check().map_err(AssembleError::Settings)?;
    let bad = |what: String| Err(AssembleError::Settings(what));
    if !(opts.target_lufs.is_finite() && (-70.0..=0.0).contains(&opts.target_lufs)) {
        return bad(format!(
            "--normalize {}: a loudness target is from -70 to 0 LUFS (e.g. -16 for narration)",
            opts.target_lufs
        ));
    }
    if !(opts.true_peak_dbtp.is_finite() && (-20.0..=0.0).contains(&opts.true_peak_dbtp)) {
        return bad(format!(
            "true-peak ceiling {}: give -20 to 0 dBTP (e.g. -1.5)",
            opts.true_peak_dbtp
        ));
    }
    if opts.fade > Duration::from_secs(1) {
        return bad(format!("fade {:?}: at most 1 s", opts.fade));
    }
    Ok(())
}

/// Every file measured as [`assemble`] measures chunks (both cores at
/// once): its length, where its speech starts and ends, its loudness.
/// Blocking.
pub fn measure_chunks(paths: &[PathBuf]) -> Result<Vec<Measured>, AssembleError> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let inputs: Vec<AssemblyInput> = paths
        .iter()
        .map(|p| AssemblyInput {
            path: p.clone(),
            gap_before: Duration::ZERO,
        })
        .collect();
    measure_all(&inputs)
}

/// Every chunk measured, as it will sound in the program's channels (the
/// first chunk's), on as many threads as there are cores (at most 4):
/// each thread holds one decoder at a time.
fn measure_all(inputs: &[AssemblyInput]) -> Result<Vec<scan::Measured>, AssembleError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let first = measure_one(inputs, 0, None)?;
    let channels = Some(first.channels);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(inputs.len() - 1);
    let next = AtomicUsize::new(1);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= inputs.len() {
                return done;
            }
            let outcome = measure_one(inputs, i, channels);
            let failed = outcome.is_err();
            done.push((i, outcome));
            if failed {
                // The others stop at their next chunk.
                next.store(inputs.len(), Ordering::Relaxed);
                return done;
            }
        }
    };
    let mut results: Vec<(usize, Result<scan::Measured, AssembleError>)> =
        std::thread::scope(|s| {
            let handles: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
            let mut all = work();
            for h in handles {
                match h.join() {
                    Ok(mut part) => all.append(&mut part),
                    Err(_) => all.push((
                        0,
                        Err(AssembleError::Chunk {
                            number: 1,
                            reason: "the decoder failed".into(),
                        }),
                    )),
                }
            }
            all
        });
    results.sort_by_key(|(i, _)| *i);
    std::iter::once(Ok(first))
        .chain(results.into_iter().map(|(_, r)| r))
        .collect()
}

/// Chunk `i` measured (mapped to `channels`).
fn measure_one(
    inputs: &[AssemblyInput],
    i: usize,
    channels: Option<usize>,
) -> Result<scan::Measured, AssembleError> {
    let number = i + 1;
    let input = inputs.get(i).ok_or(AssembleError::Empty)?;
    match scan::measure(&input.path, channels) {
        Ok(Some(m)) => Ok(m),
        Ok(None) => Err(AssembleError::Silent {
            number,
            path: input.path.display().to_string(),
        }),
        Err(reason) => Err(AssembleError::Chunk { number, reason }),
    }
}
