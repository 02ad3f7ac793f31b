//! Whether the file on disk is still the clip that was submitted. Hashing
//! 100 MB on every ranged request would be slow, so a verdict is kept per
//! task for the file's identity (device, inode, size, modification time):
//! the file is hashed again only when one of those changes. The bytes
//! served come from the same open file that was hashed.

use crate::store::MediaFile;
use std::collections::HashMap;
use std::io::Seek;
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fingerprint {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Same(Fingerprint),
    Changed(Fingerprint),
    Unreadable,
}

/// Why a clip is not served.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Already said for this state of the file.
    Said,
    /// Newly found: say it (one line).
    New(String),
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
    pub(crate) fn open(&self, clip: &MediaFile) -> Result<std::fs::File, Refused> {
        let shown = clip.path.display();
        let unreadable = |e: std::io::Error| {
            format!(
                "#{}: its video {shown} cannot be read ({e}), so klang cannot serve it to the provider: put the file back",
                clip.task
            )
        };
        let opened = std::fs::File::open(&clip.path).and_then(|f| Ok((f.metadata()?, f)));
        let (meta, mut file) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                let before = self.verdicts().insert(clip.task, Verdict::Unreadable);
                return Err(match before {
                    Some(Verdict::Unreadable) => Refused::Said,
                    _ => Refused::New(unreadable(e)),
                });
            }
        };
        let print = Fingerprint::of(&meta);
        match self.verdicts().get(&clip.task) {
            Some(Verdict::Same(p)) if *p == print => return Ok(file),
            Some(Verdict::Changed(p)) if *p == print => return Err(Refused::Said),
            _ => {}
        }
        let same = print.len == clip.bytes
            && match crate::video::hash_reader(&file) {
                Ok(hash) => hash == clip.sha256,
                Err(e) => {
                    self.verdicts().insert(clip.task, Verdict::Unreadable);
                    return Err(Refused::New(unreadable(e)));
                }
            };
        if !same {
            self.verdicts().insert(clip.task, Verdict::Changed(print));
            return Err(Refused::New(format!(
                "#{}: its video {shown} changed since it was submitted (its SHA-256 differs), so klang does not serve it: the provider would dub another clip than the one sent; submit it again",
                clip.task
            )));
        }
        self.verdicts().insert(clip.task, Verdict::Same(print));
        file.rewind().map_err(|e| Refused::New(unreadable(e)))?;
        Ok(file)
    }

    /// What is wrong with `clip` on disk, if anything and not said before.
    pub(crate) fn check_path(&self, clip: &MediaFile) -> Option<String> {
        match self.open(clip) {
            Ok(_) | Err(Refused::Said) => None,
            Err(Refused::New(text)) => Some(text),
        }
    }
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
        let Err(Refused::New(text)) = cache.open(&clip) else {
            panic!("a changed file is served")
        };
        assert!(text.contains("changed since it was submitted"), "{text}");
        assert_eq!(cache.open(&clip).unwrap_err(), Refused::Said);

        std::fs::remove_file(&path).unwrap();
        let Err(Refused::New(text)) = cache.open(&clip) else {
            panic!("a missing file is served")
        };
        assert!(text.contains("cannot be read"), "{text}");
        assert_eq!(cache.check_path(&clip), None);

        // Put back as it was: served again.
        std::fs::write(&path, b"the clip as submitted").unwrap();
        assert!(cache.open(&clip).is_ok());
    }
}
