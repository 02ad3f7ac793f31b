//! Files klang writes where someone else may write too: a result folder,
//! the current directory, a cache. Anyone who can write to the folder could
//! plant a symlink at a name klang is known to use and make it overwrite
//! the file the link points to. So every output is written the same way:
//!
//! 1. [`temp_in`]: a new file under a random hidden name
//!    (`.klang-<what>-XXXXXXXXXXXXXXXX.part`) in the folder it will end up
//!    in, created exclusively (`O_CREAT|O_EXCL`, which never follows a
//!    symlink) by the `tempfile` crate; a planted link makes the create
//!    fail and another random name is tried;
//! 2. written through that handle (or by a child given that fresh path);
//! 3. given its real name with [`persist_numbered`] (never replacing
//!    anything: the name, else `name-2`, `name-3`, ...) or
//!    [`persist_replacing`] (an atomic rename over the name, for commands
//!    whose meaning is to replace, like `export --out`). Both replace or
//!    skip a symlink at the final name as a name; neither follows it.
//!
//! A reader never sees half a file, and the temporary file is removed when
//! anything fails on the way (it is dropped).

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Random characters in a temporary name: 62^16, not guessable in advance.
const RANDOM_CHARS: usize = 16;

/// How many numbered names [`persist_numbered`] tries before giving up.
pub const MAX_NUMBERED: u32 = 999;

/// A new, empty, exclusively created file in `dir` under a random hidden
/// name `.klang-<what>-XXXX.part`. Its mode is 0666 less the umask, like
/// any file the user creates, since it becomes the output.
pub fn temp_in(dir: &Path, what: &str) -> std::io::Result<NamedTempFile> {
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o666)
    };
    let prefix = format!(".klang-{what}-");
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(&prefix)
        .suffix(".part")
        .rand_bytes(RANDOM_CHARS);
    #[cfg(unix)]
    builder.permissions(mode);
    builder.tempfile_in(dir)
}

/// Gives `temp` the first free name of `name`, `name-2`, `name-3`, ... in
/// `dir` (the directory it was created in), never replacing a file, a
/// symlink or anything else there. Returns the file and its path. On an
/// error the temporary file is removed.
pub fn persist_numbered<F>(
    temp: NamedTempFile<F>,
    dir: &Path,
    name: &str,
) -> Result<(F, PathBuf), String> {
    let mut temp = temp;
    for n in 1..=MAX_NUMBERED {
        let target = dir.join(crate::file_names::numbered(name, n));
        match temp.persist_noclobber(&target) {
            Ok(file) => {
                sync_dir(dir);
                return Ok((file, target));
            }
            Err(e) if e.error.kind() == ErrorKind::AlreadyExists => temp = e.file,
            Err(e) => return Err(format!("cannot write {}: {}", target.display(), e.error)),
        }
    }
    Err(format!(
        "{} already has {MAX_NUMBERED} files named like {name}: move some away",
        dir.display()
    ))
}

/// Renames `temp` over `path` atomically: `path` holds the old file or the
/// new one, never half of one. A symlink at `path` is replaced, not
/// followed. `temp` must be in `path`'s directory.
pub fn persist_replacing<F>(temp: NamedTempFile<F>, path: &Path) -> std::io::Result<F> {
    let file = temp.persist(path).map_err(|e| e.error)?;
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(file)
}

/// Writes `bytes` as a new file `dir/name` (or `name-2`, ...), synced,
/// through a temporary file: for small outputs written in one go.
pub fn write_new(dir: &Path, what: &str, name: &str, bytes: &[u8]) -> Result<PathBuf, String> {
    let mut temp =
        temp_in(dir, what).map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    write_synced(&mut temp, bytes).map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
    persist_numbered(temp, dir, name).map(|(_, path)| path)
}

/// Writes `bytes` as `path`, replacing what is there atomically (a symlink
/// is replaced, not followed).
pub fn write_replacing(path: &Path, what: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent_dir(path);
    let mut temp = temp_in(dir, what)?;
    write_synced(&mut temp, bytes)?;
    persist_replacing(temp, path).map(drop)
}

/// The directory a relative `out.csv` lives in: `.`, not the empty path.
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn write_synced(temp: &mut NamedTempFile, bytes: &[u8]) -> std::io::Result<()> {
    temp.write_all(bytes)?;
    temp.as_file().sync_all()
}

/// Makes the new directory entry durable; best effort.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_file_skips_taken_names_and_symlinks_and_leaves_no_part() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        symlink(&victim, dir.path().join("out.txt")).unwrap();
        std::fs::write(dir.path().join("out-2.txt"), "older").unwrap();

        let written = write_new(dir.path(), "test", "out.txt", b"new").unwrap();

        assert_eq!(written, dir.path().join("out-3.txt"));
        assert_eq!(std::fs::read(&written).unwrap(), b"new");
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert!(
            std::fs::symlink_metadata(dir.path().join("out.txt"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            entries(dir.path()),
            ["out-2.txt", "out-3.txt", "out.txt", "victim"]
        );
    }

    #[test]
    fn replacing_replaces_a_symlink_instead_of_writing_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let out = dir.path().join("out.csv");
        symlink(&victim, &out).unwrap();

        write_replacing(&out, "test", b"a,b\n").unwrap();

        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        let meta = std::fs::symlink_metadata(&out).unwrap();
        assert!(meta.file_type().is_file());
        assert_eq!(std::fs::read(&out).unwrap(), b"a,b\n");
        assert_eq!(entries(dir.path()), ["out.csv", "victim"]);
    }

    #[test]
    fn temporary_names_are_random_hidden_and_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let a = temp_in(dir.path(), "mux").unwrap();
        let b = temp_in(dir.path(), "mux").unwrap();
        let name = a.path().file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".klang-mux-") && name.ends_with(".part"));
        assert_eq!(
            name.len(),
            ".klang-mux-".len() + RANDOM_CHARS + ".part".len()
        );
        assert_ne!(a.path(), b.path());
        drop((a, b));
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn a_relative_path_lives_in_the_current_directory() {
        assert_eq!(parent_dir(Path::new("out.csv")), Path::new("."));
        assert_eq!(parent_dir(Path::new("a/out.csv")), Path::new("a"));
    }
}
