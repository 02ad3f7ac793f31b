//! Discarding a take: its downloaded file and its loudness-matched copies
//! are deleted, the row stays (it was paid for) marked discarded, and `d`
//! can fetch the file again. Nothing else is ever deleted: only the path the
//! row names, and copies whose names carry that file's content hash.

use crate::audio::matched::matched_copy_name;
use crate::store::{Store, TaskRecord};
use std::path::{Path, PathBuf};

/// Marks task `id` discarded (deleting its files) or keeps it again.
/// `matched_dir` holds the loudness-matched copies the dashboard plays.
pub fn set_discarded(
    store: &Store,
    id: i64,
    discard: bool,
    matched_dir: Option<&Path>,
) -> Result<TaskRecord, String> {
    let before = store.get(id).map_err(|e| e.to_string())?;
    if !discard {
        return store.set_discarded(id, false).map_err(|e| e.to_string());
    }
    // Found before anything changes: the copies are named by the file's
    // content, which is about to go.
    let file = before.local_path.as_deref().map(PathBuf::from);
    let copies = match (&file, matched_dir) {
        (Some(file), Some(dir)) => matched_copies(file, dir),
        _ => Vec::new(),
    };
    // The row first: should a delete fail, the history still says what the
    // user chose, and the file left over is only disk space.
    let after = store.set_discarded(id, true).map_err(|e| e.to_string())?;
    for path in file.iter().chain(&copies) {
        match std::fs::remove_file(path) {
            Ok(()) => tracing::info!("discarded #{id}: deleted {}", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(format!(
                    "#{id} is discarded but {} could not be deleted: {e}",
                    path.display()
                ));
            }
        }
    }
    Ok(after)
}

/// The matched copies of `file` in `dir`, at any gain.
fn matched_copies(file: &Path, dir: &Path) -> Vec<PathBuf> {
    // The name at one gain gives the prefix every gain shares.
    let Ok(name) = matched_copy_name(file, 0.0) else {
        return Vec::new();
    };
    let Some(prefix) = name.strip_suffix("+0.00dB.wav") else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(prefix) && name.ends_with("dB.wav")
        })
        .map(|e| e.path())
        .collect()
}
