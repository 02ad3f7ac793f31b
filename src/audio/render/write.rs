//! Where a render goes (`crate::atomic_file`): a new temporary file in the
//! target directory, under a random hidden name, created exclusively (a
//! symlink planted there is never followed), encoded into as the samples
//! come, then given the first free name of `name`, `name-2`, ... without
//! replacing anything (a symlink at the name is skipped as taken, never
//! followed). A reader never sees half a file; a failure leaves no
//! temporary file behind.

use crate::atomic_file;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// The file formats a render writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    Wav,
    Flac,
}

impl Container {
    pub fn extension(self) -> &'static str {
        match self {
            Container::Wav => "wav",
            Container::Flac => "flac",
        }
    }
}

/// A new, empty temporary file in `dir` (`crate::atomic_file`'s).
pub fn temp_in(dir: &Path, what: &str) -> Result<NamedTempFile, String> {
    atomic_file::temp_in(dir, what).map_err(|e| format!("cannot write in {}: {e}", dir.display()))
}

/// Syncs `temp` and gives it the first free name of `name`, `name-2`, ...
/// in `dir`, the directory it was made in.
pub fn persist_numbered(temp: NamedTempFile, dir: &Path, name: &str) -> Result<PathBuf, String> {
    temp.as_file()
        .sync_all()
        .map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))?;
    atomic_file::persist_numbered(temp, dir, name).map(|(_, path)| path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_render_skips_a_planted_symlink_and_keeps_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("take.wav")).unwrap();
        let mut temp = temp_in(dir.path(), "render").unwrap();
        temp.write_all(b"new").unwrap();
        let path = persist_numbered(temp, dir.path(), "take.wav").unwrap();
        assert_eq!(path, dir.path().join("take-2.wav"));
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            3,
            "no part left"
        );
    }
}
