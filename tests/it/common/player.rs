//! A stand-in audio player for tests that play: a real process on PATH.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A PATH directory holding a stand-in `mpv` that records its arguments,
/// then stays up (like a player) until it is killed.
pub fn stand_in_player() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("args.txt");
    let script = dir.path().join("mpv");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}.tmp'\nmv '{0}.tmp' '{0}'\nexec sleep 30\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, log)
}
