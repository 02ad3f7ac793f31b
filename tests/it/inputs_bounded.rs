//! Inputs that cannot hang klang or exhaust its memory, with the real
//! binary in a private home: a FIFO or a device where a file is expected
//! (`analyze`, `--video-file`, a batch file, a batch line's `video_file`),
//! random bytes given to the decoder, a batch file far over the size cap
//! and one that is not UTF-8. Each ends with an exit code and one line;
//! none may hang, so each run has a generous deadline after which the
//! child is killed and the test fails (a deadline, not a timing figure).

use crate::common;

use common::home::{Home, stderr};
use klang::sandbox::SANDBOX_KEY;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// Far more than any of these needs; only a hang reaches it.
const HANG: Duration = Duration::from_secs(30);

/// Runs klang with `args`, killing it (and failing) if it outlives [`HANG`].
async fn run_bounded(home: &Home, args: &[&str]) -> Output {
    let child = home
        .cmd(Some(SANDBOX_KEY))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("klang starts");
    // kill_on_drop: a timeout drops the child, which kills it.
    match tokio::time::timeout(HANG, child.wait_with_output()).await {
        Ok(out) => out.expect("klang ran"),
        Err(_) => panic!("klang {args:?} still ran after {HANG:?}: it hangs"),
    }
}

/// The one line on stderr.
fn one_line(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    err.trim_end().to_string()
}

fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn analyze_refuses_a_device_and_a_fifo_and_gives_up_on_random_bytes() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();

    let out = run_bounded(&home, &["analyze", "/dev/urandom"]).await;
    assert_eq!(out.status.code(), Some(1));
    let line = one_line(&out);
    assert!(
        line.contains("/dev/urandom") && line.contains("not a regular file (a character device)"),
        "{line}"
    );

    let pipe = fifo(dir.path(), "take.mp3");
    let out = run_bounded(&home, &["analyze", pipe.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    let line = one_line(&out);
    assert!(line.contains("not a regular file (a FIFO)"), "{line}");

    // A regular file of 64 MB of noise, named like audio: refused without
    // being read to its end.
    let noise = dir.path().join("noise.mp3");
    let mut bytes = vec![0u8; 64 << 20];
    rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
    std::fs::write(&noise, &bytes).unwrap();
    drop(bytes);
    let out = run_bounded(&home, &["analyze", noise.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = one_line(&out);
    assert!(line.contains("cannot decode"), "{line}");
}

#[tokio::test]
async fn a_fifo_as_video_file_is_refused_before_anything_is_sent() {
    let sb = common::sandbox(100, 100).await;
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let pipe = fifo(dir.path(), "walk.mp4");
    let listen = format!("127.0.0.1:{}", free_port());
    let base = sb.base_url();
    let args = [
        "--base-url",
        &base,
        "--callback-listen",
        &listen,
        "submit",
        "v2a",
        "--video-file",
        pipe.to_str().unwrap(),
    ];
    let out = run_bounded(&home, &args).await;
    assert_eq!(out.status.code(), Some(2));
    let line = one_line(&out);
    assert!(
        line.contains("not a regular file (a FIFO)") && line.contains("nothing was sent"),
        "{line}"
    );
    assert_eq!(sb.stats().creates, 0);
}

#[tokio::test]
async fn a_fifo_batch_file_and_a_fifo_video_file_line_are_refused() {
    let sb = common::sandbox(100, 100).await;
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let base = sb.base_url();

    let pipe = fifo(dir.path(), "lines.jsonl");
    let out = run_bounded(&home, &["batch", pipe.to_str().unwrap(), "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(2));
    let line = one_line(&out);
    assert!(line.contains("not a regular file (a FIFO)"), "{line}");

    let out = run_bounded(&home, &["batch", "/dev/zero", "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(2));
    let line = one_line(&out);
    assert!(
        line.contains("not a regular file (a character device)"),
        "{line}"
    );

    // A line whose clip is a FIFO: that line is named, nothing is sent.
    fifo(dir.path(), "walk.mp4");
    let lines = dir.path().join("clips.jsonl");
    std::fs::write(
        &lines,
        "{\"model\": \"v2a\", \"video_file\": \"walk.mp4\", \"sound_effect_prompt\": \"steps\"}\n",
    )
    .unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let args = [
        "--base-url",
        &base,
        "--callback-listen",
        &listen,
        "batch",
        lines.to_str().unwrap(),
        "--dry-run",
    ];
    let out = run_bounded(&home, &args).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("line 1: video_file:") && err.contains("not a regular file (a FIFO)"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(sb.stats().creates, 0);
}

#[tokio::test]
async fn a_two_gigabyte_sparse_batch_file_is_refused_before_it_is_read() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.jsonl");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(2 << 30).unwrap();
    drop(file);
    let out = run_bounded(&home, &["batch", big.to_str().unwrap(), "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(2));
    let line = one_line(&out);
    assert!(
        line.contains("2048.0 MiB") && line.contains("at most 64 MiB"),
        "{line}"
    );
}

#[tokio::test]
async fn a_batch_line_that_is_not_utf8_is_named_with_its_byte_offset() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let first = "{\"model\":\"sfx\",\"prompt\":\"rain\",\"duration\":3}\n";
    let mut bytes = first.as_bytes().to_vec();
    bytes.extend_from_slice(b"{\"model\":\"sfx\",\"prompt\":\"caf\xe9\",\"duration\":3}\n");
    let bad_at = first.len() + "{\"model\":\"sfx\",\"prompt\":\"caf".len();

    let jsonl = dir.path().join("lines.jsonl");
    std::fs::write(&jsonl, &bytes).unwrap();
    let out = run_bounded(&home, &["batch", jsonl.to_str().unwrap(), "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let want = format!("line 2: encoding: byte 0xe9 at byte offset {bad_at} is not UTF-8");
    assert!(err.contains(&want), "{err}");

    let csv = dir.path().join("lines.csv");
    let header = "model,prompt,duration\n";
    let mut bytes = header.as_bytes().to_vec();
    bytes.extend_from_slice(b"sfx,rain,3\nsfx,caf\xe9,3\n");
    std::fs::write(&csv, &bytes).unwrap();
    let out = run_bounded(&home, &["batch", csv.to_str().unwrap(), "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let bad_at = header.len() + "sfx,rain,3\nsfx,caf".len();
    let want = format!("line 3: encoding: byte 0xe9 at byte offset {bad_at} is not UTF-8");
    assert!(err.contains(&want), "{err}");
}
