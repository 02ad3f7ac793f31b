//! Where a render goes: a new temporary file in the target directory,
//! under a random hidden name, created exclusively (`tempfile`'s
//! `NamedTempFile::new_in`: `O_CREAT|O_EXCL`, which never follows a
//! symlink planted there), encoded into as the samples come, then given
//! the first free name of `name`, `name-2`, ... without replacing anything
//! (a symlink at the name is skipped as taken, never followed). A reader
//! never sees half a file; a failure leaves no temporary file behind.

use crate::engine::download::numbered;
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

/// A new, empty temporary file in `dir`, `.klang-<what>-XXXX.part`. Its
/// mode is 0666 less the umask, like any file the user creates, since it
/// becomes the output (`tempfile` alone would make it 0600).
pub fn temp_in(dir: &Path, what: &str) -> Result<NamedTempFile, String> {
    let prefix = format!(".klang-{what}-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".part").rand_bytes(16);
    #[cfg(unix)]
    builder
        .permissions(<std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o666));
    builder
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))
}

/// Syncs `temp` and gives it the first free name of `name`, `name-2`, ...
/// in `dir`, the directory it was made in.
pub fn persist_numbered(temp: NamedTempFile, dir: &Path, name: &str) -> Result<PathBuf, String> {
    temp.as_file()
        .sync_all()
        .map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))?;
    let mut temp = temp;
    for n in 1..=999 {
        let target = dir.join(numbered(name, n));
        match temp.persist_noclobber(&target) {
            Ok(_) => return Ok(target),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => temp = e.file,
            Err(e) => return Err(format!("cannot write {}: {}", target.display(), e.error)),
        }
    }
    Err(format!(
        "{} already has 999 files named like {name}: move some away",
        dir.display()
    ))
}

/// Gives `part` the first free name of `name`, `name-2`, ...: a hard link
/// fails when the name exists, so two renders at once never share one.
pub(crate) fn claim_name(part: &Path, dir: &Path, name: &str) -> Result<PathBuf, String> {
    for n in 1..=999 {
        let target = dir.join(numbered(name, n));
        match std::fs::hard_link(part, &target) {
            Ok(()) => return Ok(target),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // A file system without hard links: rename, having checked.
            Err(_) if !target.exists() => {
                return std::fs::rename(part, &target)
                    .map(|()| target.clone())
                    .map_err(|e| format!("cannot write {}: {e}", target.display()));
            }
            Err(e) => return Err(format!("cannot write {}: {e}", target.display())),
        }
    }
    Err(format!(
        "{} already has 999 files named like {name}: move some away",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_second_file_gets_a_new_name_and_no_part_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["one", "two"] {
            let mut temp = temp_in(dir.path(), "render").unwrap();
            temp.write_all(text.as_bytes()).unwrap();
            persist_numbered(temp, dir.path(), "take.wav").unwrap();
        }
        assert_eq!(names(dir.path()), ["take-2.wav", "take.wav"]);
        assert_eq!(std::fs::read(dir.path().join("take.wav")).unwrap(), b"one");
        drop(temp_in(dir.path(), "render").unwrap());
        assert_eq!(names(dir.path()).len(), 2, "a dropped temporary file goes");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_skipped_and_its_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("take.wav")).unwrap();
        let mut temp = temp_in(dir.path(), "render").unwrap();
        temp.write_all(b"new").unwrap();
        let path = persist_numbered(temp, dir.path(), "take.wav").unwrap();
        assert_eq!(path, dir.path().join("take-2.wav"));
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    }
}
