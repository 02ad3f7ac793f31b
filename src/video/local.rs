//! The check of a clip on disk (`--video-file`): the same limits as a URL,
//! read the same way (head, then the `moov` wherever it is), and a SHA-256
//! of the whole file so a restart can tell whether it changed.

use super::locate::{HEAD_BYTES, Ranges, find_boxes};
use super::{Refusal, VideoFacts, boxes, facts, within_limits};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A checked clip on disk.
#[derive(Clone, Debug)]
pub struct LocalVideo {
    /// Absolute.
    pub path: PathBuf,
    /// The name it is served under.
    pub name: String,
    pub facts: VideoFacts,
    /// Hex SHA-256 of the whole file.
    pub sha256: String,
}

struct Disk<'a>(&'a std::fs::File);

impl Ranges for Disk<'_> {
    async fn read(&mut self, start: u64, cap: usize) -> Result<Vec<u8>, Refusal> {
        read_at(self.0, start, cap)
    }
}

fn read_at(file: &std::fs::File, start: u64, cap: usize) -> Result<Vec<u8>, Refusal> {
    let mut buf = vec![0u8; cap];
    let mut filled = 0;
    while filled < cap {
        match file.read_at(&mut buf[filled..], start + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Refusal::new(format!("cannot read the video file: {e}"))),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// Checks and hashes `path` (blocking: run it off the async workers).
pub fn check_file(path: &Path) -> Result<LocalVideo, Refusal> {
    let shown = crate::sanitize::single_line(&path.display().to_string()).into_owned();
    let cannot =
        |e: std::io::Error| Refusal::new(format!("cannot open the video file {shown}: {e}"));
    let path = std::path::absolute(path).map_err(cannot)?;
    // A FIFO or a device is refused before anything waits on it.
    let file = crate::input_file::open_regular(&path).map_err(cannot)?;
    let bytes = file.metadata().map_err(cannot)?.len();
    if bytes > super::MAX_BYTES {
        return Err(Refusal::new(format!(
            "video is {}; the provider takes at most 100 MB",
            facts::megabytes(bytes)
        )));
    }
    let head = read_at(&file, 0, HEAD_BYTES)?;
    if !boxes::has_signature(&head) {
        return Err(Refusal::new(format!("{shown} is not an MP4 or MOV video")));
    }
    let found = futures::executor::block_on(find_boxes(&mut Disk(&file), head, bytes))?;
    let facts = facts::parse(found.ftyp.as_deref(), &found.moov, bytes)
        .map_err(|e| Refusal::new(format!("{shown} is not a valid MP4/MOV file: {e}")))?;
    within_limits(&facts)?;
    // The handle checked above (pread left its offset at the start), not
    // whatever is at the path by now.
    let sha256 = hash_reader(&file).map_err(cannot)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "video.mp4".into());
    Ok(LocalVideo {
        path,
        name,
        facts,
        sha256,
    })
}

/// Hex SHA-256 of the file at `path`, which must be a regular file.
pub fn hash(path: &Path) -> std::io::Result<String> {
    hash_reader(crate::input_file::open_regular(path)?)
}

/// Hex SHA-256 of everything `reader` gives, read a megabyte at a time.
pub fn hash_reader(mut reader: impl Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
