//! Batch files: many create requests from one JSON Lines or CSV file.
//!
//! This module reads, checks, prices and keys the lines; sending them goes
//! through the engine's submit like every other task (budgets included).
//! Each line's key is its file's canonical path, its line number and its
//! request in canonical form, hashed: running the same file again finds the
//! tasks already created from it instead of paying twice, while a line
//! whose text was changed counts as new.

mod parse;

pub use parse::{FIELDS, Format, Line, LineError, VIDEO_FILE, parse};

use crate::api::Model;
use crate::store::BatchTag;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The most lines one file may hold (line numbers in file names are
/// padded to this many digits).
pub const MAX_LINES: usize = 99_999;

/// Width of the zero-padded line number in downloaded file names.
pub const LINE_DIGITS: usize = 5;

/// A checked file, ready to price or send.
#[derive(Clone, Debug)]
pub struct BatchFile {
    pub lines: Vec<Line>,
    /// The file's canonical path, part of every line's key.
    pub canonical: String,
}

/// Why a file cannot run: unreadable, or bad lines (each named).
#[derive(Debug)]
pub enum LoadError {
    Io(String),
    Lines(Vec<LineError>),
}

impl BatchFile {
    pub fn load(path: &Path, format: Option<Format>) -> Result<BatchFile, LoadError> {
        let format = format.or_else(|| Format::from_path(path)).ok_or_else(|| {
            LoadError::Io(format!(
                "{}: cannot tell the format from the extension; name it .jsonl or .csv, or pass --format",
                path.display()
            ))
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoadError::Io(format!("cannot read {}: {e}", path.display())))?;
        let canonical = std::fs::canonicalize(path)
            .map_err(|e| LoadError::Io(format!("cannot resolve {}: {e}", path.display())))?;
        let mut lines = parse(&text, format).map_err(LoadError::Lines)?;
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
        if lines.len() > MAX_LINES {
            return Err(LoadError::Io(format!(
                "{} has {} lines; at most {MAX_LINES} per file: split it",
                path.display(),
                lines.len()
            )));
        }
        Ok(BatchFile {
            lines,
            canonical: canonical.to_string_lossy().into_owned(),
        })
    }

    /// The key and line number stored with the task made from `line`.
    pub fn tag(&self, line: &Line) -> BatchTag {
        let body = serde_json::to_string(&line.request).unwrap_or_default();
        let mut hash = Sha256::new();
        hash.update(self.canonical.as_bytes());
        hash.update([0]);
        hash.update(line.number.to_le_bytes());
        hash.update([0]);
        hash.update(body.as_bytes());
        if let Some(file) = &line.video_file {
            hash.update([0]);
            hash.update(file.to_string_lossy().as_bytes());
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
