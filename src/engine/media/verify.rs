//! Whether the file on disk is still the clip that was submitted, checked
//! on every request. Opening never blocks (non-blocking, then `fstat`: a
//! FIFO or a device swapped in for the clip is refused, not read). The
//! first request hashes the whole file, a block of [`BLOCK`] bytes at a
//! time, and keeps each block's hash when the whole matches the hash taken
//! at submit; every response then checks each block against its hash just
//! before sending it (see `route.rs`), so an edit that keeps the size and
//! the modification time is caught too: changed bytes are never sent under
//! the clip's ETag. The whole file is hashed again only when its identity
//! (device, inode, size, modification time) changes.

use crate::store::MediaFile;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Bytes per block checked before it is sent.
pub(crate) const BLOCK: u64 = 1 << 20;

/// SHA-256 of each [`BLOCK`] of the clip as submitted.
pub(crate) type Blocks = Arc<Vec<[u8; 32]>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_ns: i64,
}

impl Fingerprint {
    fn of(meta: &std::fs::Metadata) -> Fingerprint {
        Fingerprint {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_ns: meta.mtime_nsec(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Same(Fingerprint, Blocks),
    Changed(Fingerprint),
    Unreadable,
    NotAFile,
}

/// Why a clip is not served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// Gone or unreadable.
    Gone,
    /// Not the bytes that were submitted, or not a regular file any more.
    Changed,
}

/// A refusal.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Already said for this state of the file.
    Said(Why),
    /// Newly found: say it (one line).
    New(Why, String),
}

/// The clip, open at its start, with what each block must hash to.
#[derive(Debug)]
pub(crate) struct Verified {
    pub file: std::fs::File,
    pub blocks: Blocks,
    pub print: Fingerprint,
}

/// Opens `path` for reading without blocking (a FIFO with no writer would
/// block a plain open forever) and refuses anything but a regular file,
/// judged on the open file itself (`fstat`), not on the path.
pub(crate) fn open_regular(path: &Path) -> std::io::Result<(std::fs::File, std::fs::Metadata)> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok((file, meta))
}

/// Hex SHA-256 of the whole of `reader`, and of each [`BLOCK`] of it.
fn hash_blocks(mut reader: impl Read) -> std::io::Result<(String, Vec<[u8; 32]>)> {
    let mut whole = Sha256::new();
    let mut blocks = Vec::new();
    let mut buf = vec![0u8; BLOCK as usize];
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled == 0 {
            break;
        }
        whole.update(&buf[..filled]);
        blocks.push(Sha256::digest(&buf[..filled]).into());
        if filled < buf.len() {
            break;
        }
    }
    let hex = whole
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, blocks))
}

/// Verdicts per task, shared by the media route and the check at start.
#[derive(Default)]
pub struct MediaCache {
    verdicts: Mutex<HashMap<i64, Verdict>>,
}

impl MediaCache {
    fn verdicts(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Verdict>> {
        self.verdicts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens `clip` if it is still the file that was submitted, positioned
    /// at its start. Blocking (may hash the file).
    pub(crate) fn open(&self, clip: &MediaFile) -> Result<Verified, Refused> {
        let shown = clip.path.display();
        let unreadable = |e: std::io::Error| {
            format!(
                "#{}: its video {shown} cannot be read ({e}), so klang cannot serve it to the provider: put the file back",
                clip.task
            )
        };
        let (mut file, meta) = match open_regular(&clip.path) {
            Ok(opened) => opened,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                let before = self.verdicts().insert(clip.task, Verdict::NotAFile);
                if before == Some(Verdict::NotAFile) {
                    return Err(Refused::Said(Why::Changed));
                }
                return Err(Refused::New(
                    Why::Changed,
                    format!(
                        "#{}: its video {shown} is no longer a regular file (a FIFO, a device or a directory took its place), so klang does not serve it: put the clip back",
                        clip.task
                    ),
                ));
            }
            Err(e) => {
                let before = self.verdicts().insert(clip.task, Verdict::Unreadable);
                return Err(match before {
                    Some(Verdict::Unreadable) => Refused::Said(Why::Gone),
                    _ => Refused::New(Why::Gone, unreadable(e)),
                });
            }
        };
        let print = Fingerprint::of(&meta);
        match self.verdicts().get(&clip.task) {
            Some(Verdict::Same(p, blocks)) if *p == print => {
                let blocks = blocks.clone();
                return Ok(Verified {
                    file,
                    blocks,
                    print,
                });
            }
            Some(Verdict::Changed(p)) if *p == print => return Err(Refused::Said(Why::Changed)),
            _ => {}
        }
        let hashed = if print.len == clip.bytes {
            match hash_blocks(&file) {
                Ok((hash, blocks)) => (hash == clip.sha256).then_some(blocks),
                Err(e) => {
                    self.verdicts().insert(clip.task, Verdict::Unreadable);
                    return Err(Refused::New(Why::Gone, unreadable(e)));
                }
            }
        } else {
            None
        };
        let Some(blocks) = hashed else {
            self.verdicts().insert(clip.task, Verdict::Changed(print));
            return Err(Refused::New(Why::Changed, changed_text(clip)));
        };
        let blocks = Arc::new(blocks);
        self.verdicts()
            .insert(clip.task, Verdict::Same(print, blocks.clone()));
        file.rewind()
            .map_err(|e| Refused::New(Why::Gone, unreadable(e)))?;
        Ok(Verified {
            file,
            blocks,
            print,
        })
    }

    /// A block read while sending did not hash as submitted: the file
    /// changed in place. Later requests are refused until the file changes
    /// again. The text to say, unless said already.
    pub(crate) fn changed_while_sending(
        &self,
        clip: &MediaFile,
        print: Fingerprint,
    ) -> Option<String> {
        let before = self.verdicts().insert(clip.task, Verdict::Changed(print));
        match before {
            Some(Verdict::Changed(_)) => None,
            _ => Some(changed_text(clip)),
        }
    }

    /// What is wrong with `clip` on disk, if anything and not said before.
    pub(crate) fn check_path(&self, clip: &MediaFile) -> Option<String> {
        match self.open(clip) {
            Ok(_) | Err(Refused::Said(_)) => None,
            Err(Refused::New(_, text)) => Some(text),
        }
    }
}

fn changed_text(clip: &MediaFile) -> String {
    format!(
        "#{}: its video {} changed since it was submitted (its SHA-256 differs), so klang does not serve it: the provider would dub another clip than the one sent; submit it again",
        clip.task,
        clip.path.display()
    )
}

/// Whether `block` (number `index` of the clip) is as submitted.
pub(crate) fn block_matches(blocks: &Blocks, index: u64, block: &[u8]) -> bool {
    let want = usize::try_from(index).ok().and_then(|i| blocks.get(i));
    let got: [u8; 32] = Sha256::digest(block).into();
    want.is_some_and(|w| *w == got)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(path: std::path::PathBuf, bytes: &[u8]) -> MediaFile {
        MediaFile {
            task: 7,
            token_sha256: String::new(),
            path,
            name: "c.mp4".into(),
            sha256: crate::video::hash_reader(bytes).unwrap(),
            bytes: bytes.len() as u64,
            content_type: "video/mp4".into(),
        }
    }

    #[test]
    fn a_changed_or_missing_file_is_refused_once_and_the_same_one_served() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.mp4");
        std::fs::write(&path, b"the clip as submitted").unwrap();
        let clip = clip(path.clone(), b"the clip as submitted");
        let cache = MediaCache::default();
        assert!(cache.open(&clip).is_ok());
        assert!(cache.open(&clip).is_ok());

        std::fs::write(&path, b"the clip as edited later").unwrap();
        let Err(Refused::New(Why::Changed, text)) = cache.open(&clip) else {
            panic!("a changed file is served")
        };
        assert!(text.contains("changed since it was submitted"), "{text}");
        assert_eq!(cache.open(&clip).unwrap_err(), Refused::Said(Why::Changed));

        std::fs::remove_file(&path).unwrap();
        let Err(Refused::New(Why::Gone, text)) = cache.open(&clip) else {
            panic!("a missing file is served")
        };
        assert!(text.contains("cannot be read"), "{text}");
        assert_eq!(cache.check_path(&clip), None);

        // Put back as it was: served again.
        std::fs::write(&path, b"the clip as submitted").unwrap();
        assert!(cache.open(&clip).is_ok());
    }
}
