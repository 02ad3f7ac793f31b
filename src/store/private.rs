//! The store holds what a task cost and what it asked for: it is the
//! owner's alone, whatever the umask. The file is created mode 600 (SQLite
//! gives its `-wal` and `-shm` the same mode), its directory, when klang
//! makes it, mode 700, and a store left readable by others by an older
//! klang is closed down to 600 when opened.

use std::fs::{OpenOptions, Permissions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Makes `path`'s directory (mode 700 if klang makes it) and the store
/// file (mode 600), and takes group and other access away from an existing
/// store and its `-wal` and `-shm`. Failures are left for SQLite's own
/// open to report.
pub(super) fn prepare(path: &Path) {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.exists()
    {
        crate::config::private_dir(parent);
    }
    let _ = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path);
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = Path::new(&file);
        if let Ok(meta) = std::fs::symlink_metadata(file)
            && meta.is_file()
            && meta.permissions().mode() & 0o077 != 0
        {
            let mode = meta.permissions().mode() & 0o700;
            let _ = std::fs::set_permissions(file, Permissions::from_mode(mode));
        }
    }
}
