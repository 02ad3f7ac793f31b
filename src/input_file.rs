//! Opening a file the user names (`analyze FILE`, `--video-file`, a batch
//! file, a batch line's `video_file`) without hanging on it. A plain
//! `open` of a FIFO waits for a writer that may never come, and reading a
//! character device such as `/dev/urandom` or `/dev/zero` never ends; a
//! check by path before the open (`Path::is_file`) can be raced. So the
//! file is opened non-blocking and its type checked on the open handle
//! (`fstat`): anything but a regular file is refused before one byte is
//! read.

use std::fs::File;
use std::io::{Error, ErrorKind};
use std::path::Path;

/// Opens `path` for reading if it is a regular file (a symlink to one is
/// fine); otherwise an error of kind `InvalidInput` whose text says what
/// it is, e.g. "not a regular file (a FIFO)".
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // O_NONBLOCK: the open of a FIFO with no writer returns at once. On a
    // regular file the flag changes nothing (Linux and the BSDs ignore it
    // for regular files), so the handle is used as it is.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    Err(Error::new(
        ErrorKind::InvalidInput,
        format!("not a regular file ({})", what_it_is(&kind)),
    ))
}

/// `a FIFO`, `a character device`, ...: for the refusal.
fn what_it_is(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_a_device_and_a_directory_are_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let refusal = |p: &Path| open_regular(p).unwrap_err().to_string();
        assert_eq!(refusal(&fifo), "not a regular file (a FIFO)");
        assert_eq!(
            refusal(Path::new("/dev/urandom")),
            "not a regular file (a character device)"
        );
        assert_eq!(refusal(dir.path()), "not a regular file (a directory)");
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut open_regular(&link).unwrap(), &mut text).unwrap();
        assert_eq!(text, "x");
    }
}
