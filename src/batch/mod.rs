//! Batch files: many create requests from one JSON Lines or CSV file.
//!
//! This module reads, checks, prices and keys the lines; sending them goes
//! through the engine's submit like every other task (budgets included).
//! Each line's key is its file's canonical path, its line number and its
//! request in canonical form, hashed: running the same file again finds the
//! tasks already created from it instead of paying twice, while a line
//! whose text was changed counts as new.

mod parse;
mod read;

pub use parse::{FIELDS, Format, Line, LineError, VIDEO_FILE, parse, parse_reader};

use crate::api::Model;
use crate::store::BatchTag;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The most lines one file may hold (line numbers in file names are
/// padded to this many digits).
pub const MAX_LINES: usize = 99_999;

/// The largest batch file klang reads, 64 MiB: more than [`MAX_LINES`]
/// lines of real requests take. A larger one is refused before it is read,
/// so a huge or endless file cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Width of the zero-padded line number in downloaded file names.
pub const LINE_DIGITS: usize = 5;

fn too_large(path: &Path, size: u64) -> LoadError {
    LoadError::Io(format!(
        "{} is {:.1} MiB; a batch file may be at most {} MiB: split it",
        path.display(),
        size as f64 / f64::from(1 << 20),
        MAX_FILE_BYTES >> 20
    ))
}

/// A checked file, ready to price or send.
#[derive(Clone, Debug)]
pub struct BatchFile {
    pub lines: Vec<Line>,
    /// The file's canonical path, part of every line's key (as the OS's
    /// bytes: two names that differ only where they are not UTF-8 are two
    /// files).
    pub canonical: PathBuf,
}

/// Why a file cannot run: unreadable, or bad lines (each named).
#[derive(Debug)]
pub enum LoadError {
    Io(String),
    Lines(Vec<LineError>),
}

impl BatchFile {
    /// Reads and checks the file at `path`: a regular file (a FIFO or a
    /// device is refused before anything waits on it) of at most
    /// [`MAX_FILE_BYTES`] (refused before reading), read a line at a time.
    pub fn load(path: &Path, format: Option<Format>) -> Result<BatchFile, LoadError> {
        let cannot_read =
            |e: std::io::Error| LoadError::Io(format!("cannot read {}: {e}", path.display()));
        let file = crate::input_file::open_regular(path).map_err(cannot_read)?;
        let size = file.metadata().map_err(cannot_read)?.len();
        if size > MAX_FILE_BYTES {
            return Err(too_large(path, size));
        }
        let format = format.or_else(|| Format::from_path(path)).ok_or_else(|| {
            LoadError::Io(format!(
                "{}: cannot tell the format from the extension; name it .jsonl or .csv, or pass --format",
                path.display()
            ))
        })?;
        let canonical = std::fs::canonicalize(path)
            .map_err(|e| LoadError::Io(format!("cannot resolve {}: {e}", path.display())))?;
        // A file that grows while it is read stops one byte past the cap.
        let mut reader = std::io::BufReader::new(file.take(MAX_FILE_BYTES + 1));
        let parsed = parse_reader(&mut reader, format);
        if reader.get_ref().limit() == 0 {
            return Err(too_large(path, MAX_FILE_BYTES + 1));
        }
        let mut lines = parsed.map_err(LoadError::Lines)?;
        // A clip's path is relative to the batch file, wherever klang runs.
        let dir = canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for line in &mut lines {
            if let Some(file) = &mut line.video_file {
                *file = dir.join(&*file);
            }
        }
        Ok(BatchFile { lines, canonical })
    }

    /// The key and line number stored with the task made from `line`.
    pub fn tag(&self, line: &Line) -> BatchTag {
        let body = serde_json::to_string(&line.request).unwrap_or_default();
        let mut hash = Sha256::new();
        hash.update(self.canonical.as_os_str().as_bytes());
        hash.update([0]);
        hash.update(line.number.to_le_bytes());
        hash.update([0]);
        hash.update(body.as_bytes());
        if let Some(file) = &line.video_file {
            hash.update([0]);
            hash.update(file.as_os_str().as_bytes());
        }
        let key: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        BatchTag {
            key,
            line: line.number as i64,
        }
    }
}

/// Count and cost for one model, or overall.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Tally {
    pub count: u64,
    pub cost_usd: f64,
}

impl Tally {
    fn add(&mut self, cost: f64) {
        self.count += 1;
        self.cost_usd += cost;
    }
}

/// Per model (in `Model::ALL` order, models with no line left out) and total.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Price {
    pub per_model: Vec<(Model, Tally)>,
    pub total: Tally,
}

pub fn price<'a>(lines: impl IntoIterator<Item = &'a Line>) -> Price {
    let mut per = [Tally::default(); 3];
    let mut total = Tally::default();
    for line in lines {
        let model = line.request.model();
        let cost = model.price_usd();
        if let Some(i) = Model::ALL.iter().position(|m| *m == model) {
            per[i].add(cost);
        }
        total.add(cost);
    }
    Price {
        per_model: Model::ALL
            .into_iter()
            .zip(per)
            .filter(|(_, t)| t.count > 0)
            .collect(),
        total,
    }
}

#[cfg(test)]
mod tests;
