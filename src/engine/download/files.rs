//! The file-system side of a download: the locked `.part` file, placing
//! the finished file under a name that is never taken already, and tidying
//! up what an earlier attempt left.

use super::{DownloadError, MAX_NAME_ATTEMPTS, numbered, one_line};
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Opens (or creates) the partial file without truncating it, and locks it
/// so two klang processes never write the same one.
pub(super) fn open_part(path: &Path, dir: &Path) -> Result<File, DownloadError> {
    // Whoever can write to `dir` could plant a symlink under our name and
    // make us write elsewhere; refuse to follow one.
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && !meta.is_file()
    {
        return Err(DownloadError::Io {
            dir: shown_dir(dir),
            message: format!(
                "{} is not a regular file; remove it and retry",
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
        });
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    // And refuse one planted between that check and this open.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let file = options.open(path).map_err(|e| io_error(dir, &e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(DownloadError::InProgress {
            dir: shown_dir(dir),
        }),
        // Some file systems cannot lock; downloading unlocked beats not
        // downloading at all.
        Err(std::fs::TryLockError::Error(e)) => {
            tracing::debug!("cannot lock partial download: {e}");
            Ok(file)
        }
    }
}

/// Gives the finished partial file its real name without ever replacing an
/// existing file, except `broken` (the task's earlier file, which is not
/// audio): that one is renamed over when the name comes to it, else
/// removed once the new file is in. Then removes the partial name.
pub(super) fn place(
    part: File,
    part_path: &Path,
    dir: &Path,
    name: &str,
    broken: Option<&Path>,
) -> Result<PathBuf, DownloadError> {
    let placed = place_new(part, part_path, dir, name, broken)?;
    if let Some(broken) = broken
        && broken != placed
    {
        match std::fs::remove_file(broken) {
            Ok(()) => sync_dir(dir),
            Err(e) => tracing::debug!("could not remove the broken earlier file: {e}"),
        }
    }
    Ok(placed)
}

fn place_new(
    part: File,
    part_path: &Path,
    dir: &Path,
    name: &str,
    broken: Option<&Path>,
) -> Result<PathBuf, DownloadError> {
    part.sync_all().map_err(|e| io_error(dir, &e))?;
    for n in 1..=MAX_NAME_ATTEMPTS {
        let candidate = dir.join(numbered(name, n));
        if broken == Some(candidate.as_path()) {
            // Atomic: the name holds the broken file or the new one,
            // never nothing.
            std::fs::rename(part_path, &candidate).map_err(|e| io_error(dir, &e))?;
            drop(part);
            sync_dir(dir);
            return Ok(candidate);
        }
        // A hard link fails if the target exists, atomically: no window
        // in which another writer's file could be replaced.
        match std::fs::hard_link(part_path, &candidate) {
            Ok(()) => {
                drop(part);
                if let Err(e) = std::fs::remove_file(part_path) {
                    tracing::warn!("could not remove the partial download: {e}");
                }
                sync_dir(dir);
                return Ok(candidate);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => {
                // No hard links here (FAT, some network shares): reserve the
                // name with an exclusive create, then rename over our own
                // empty placeholder.
                tracing::debug!("hard link failed ({e}); using rename");
                match OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&candidate)
                {
                    Ok(placeholder) => {
                        drop(placeholder);
                        drop(part);
                        if let Err(e) = std::fs::rename(part_path, &candidate) {
                            let _ = std::fs::remove_file(&candidate);
                            return Err(io_error(dir, &e));
                        }
                        sync_dir(dir);
                        return Ok(candidate);
                    }
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(io_error(dir, &e)),
                }
            }
        }
    }
    Err(DownloadError::Io {
        dir: shown_dir(dir),
        message: format!("too many files named like {name}; move some away and retry"),
    })
}

/// Partial files of this task for other URLs (a link that expired half-way
/// and was replaced) can never be resumed once the task has its file; remove
/// them, unless another process holds one.
pub(super) fn remove_stale_parts(dir: &Path, id: i64) {
    let prefix = format!(".klang-{id}-");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(&prefix) {
            continue;
        }
        let path = entry.path();
        // A validator whose partial file is gone is litter.
        if name.ends_with(".validator") {
            if !path.with_extension("part").exists() {
                let _ = std::fs::remove_file(&path);
            }
            continue;
        }
        if !name.ends_with(".part") {
            continue;
        }
        let is_file = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
        let unlocked = is_file
            && OpenOptions::new()
                .write(true)
                .open(&path)
                .is_ok_and(|f| f.try_lock().is_ok());
        if unlocked {
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::debug!("could not remove a stale partial download: {e}");
            }
            let _ = std::fs::remove_file(path.with_extension("validator"));
        }
    }
}

/// Makes the new directory entry durable; best effort, and a no-op where
/// directories cannot be opened.
pub(super) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// An empty partial file is only litter.
pub(super) async fn remove_if_empty(path: &Path) {
    if tokio::fs::metadata(path).await.is_ok_and(|m| m.len() == 0) {
        let _ = tokio::fs::remove_file(path).await;
    }
}

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DownloadError> + Send + 'static,
) -> Result<T, DownloadError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(DownloadError::Network(format!("internal task failed: {e}"))))
}

pub(super) fn shown_dir(dir: &Path) -> String {
    crate::sanitize::terminal_safe(&dir.display().to_string()).replace('\n', " ")
}

/// A disk error, with what the user can do about it.
pub(super) fn io_error(dir: &Path, e: &std::io::Error) -> DownloadError {
    let message = match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            "the disk is full; free some space and retry".to_string()
        }
        ErrorKind::PermissionDenied => {
            "permission denied; fix the folder's permissions or choose another folder".to_string()
        }
        ErrorKind::ReadOnlyFilesystem => {
            "the file system is read-only; choose another folder".to_string()
        }
        ErrorKind::NotADirectory => "part of the path is a file; choose another folder".to_string(),
        _ => format!(
            "{}; check that the folder is writable and has free space",
            one_line(&e.to_string())
        ),
    };
    DownloadError::Io {
        dir: shown_dir(dir),
        message,
    }
}
