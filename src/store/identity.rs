//! Is the store still the file at its path? A user (or a cleanup script)
//! can delete `tasks.db` while klang runs; SQLite keeps writing into the
//! deleted file and everything written is lost at exit. Before a paid create
//! klang checks that the path still names the file it opened.

use super::{Result, Store, StoreError};
use std::path::Path;

/// Device and inode: what names one file, whatever its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    #[cfg(unix)]
    pub(super) fn of(path: &Path) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    #[cfg(not(unix))]
    pub(super) fn of(path: &Path) -> Option<FileId> {
        std::fs::metadata(path)
            .ok()
            .map(|_| FileId { dev: 0, ino: 0 })
    }
}

impl Store {
    /// Ok when the path still names the file this store opened (same
    /// device and inode, still linked there); [`StoreError::Gone`] when it
    /// was deleted or replaced.
    pub fn ensure_at_path(&self) -> Result<()> {
        let Some(opened) = self.identity else {
            // Nothing to compare with (an in-memory or odd file system).
            return Ok(());
        };
        match FileId::of(&self.path) {
            Some(now) if now == opened => Ok(()),
            _ => Err(StoreError::Gone {
                path: self.path.display().to_string(),
            }),
        }
    }
}
