//! Streaming a response body into the partial file, within limits: a size
//! cap, and a minimum rate over a window (curl's `--speed-limit` and
//! `--speed-time`), so a host that drips a byte every few seconds cannot
//! hold a download open forever. The file's first bytes are checked
//! against the audio signatures before more is written: an error page
//! served with 200 is refused and not kept under an audio name.

use super::files::{blocking, io_error};
use super::request::Answer;
use super::writer::{DiskWriter, Written};
use super::{DownloadError, network_error};
use crate::audio::sniff::{HEAD_BYTES, not_audio};
use futures::StreamExt;
use std::path::Path;
use std::time::Duration;
use tokio::time::Instant;

/// Progress is reported at most this often (by time or by bytes), plus a
/// first and a final call.
const PROGRESS_BYTES: u64 = 64 * 1024;
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// A transfer that moves fewer than `min_bytes_per_sec` on average over a
/// whole `window` is abandoned (the partial file stays for a resume).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StallRule {
    pub min_bytes_per_sec: u64,
    pub window: Duration,
}

impl Default for StallRule {
    /// 1 KiB/s over 30 s: a real file host is thousands of times faster; a
    /// slow mobile link still passes.
    fn default() -> Self {
        StallRule {
            min_bytes_per_sec: 1024,
            window: Duration::from_secs(30),
        }
    }
}

/// Counts bytes per window for a [`StallRule`].
struct StallWatch {
    rule: StallRule,
    window_end: Instant,
    bytes: u64,
}

impl StallWatch {
    fn new(rule: StallRule) -> StallWatch {
        StallWatch {
            rule,
            window_end: Instant::now() + rule.window,
            bytes: 0,
        }
    }

    fn needed(&self) -> u64 {
        (self.rule.min_bytes_per_sec as f64 * self.rule.window.as_secs_f64()) as u64
    }

    /// At the end of a window: an error when too little arrived, else a
    /// fresh window.
    fn close_window(&mut self) -> Result<(), DownloadError> {
        if self.bytes < self.needed() {
            return Err(DownloadError::Network(format!(
                "the file host sent {} bytes in {} s, under the minimum of {} bytes/s; klang stopped and can resume later",
                self.bytes,
                self.rule.window.as_secs_f64(),
                self.rule.min_bytes_per_sec
            )));
        }
        self.window_end = Instant::now() + self.rule.window;
        self.bytes = 0;
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    pub max_bytes: u64,
    pub stall: StallRule,
}

/// Where the body goes, and what the host said it is.
#[derive(Clone, Copy, Debug)]
pub(super) struct Target<'a> {
    pub dir: &'a Path,
    pub part_path: &'a Path,
    pub content_type: Option<&'a str>,
}

/// Collects the file's first [`HEAD_BYTES`] (what a resumed file already
/// holds, then what arrives) and judges them once.
struct Sniffer<'a> {
    head: Vec<u8>,
    content_type: Option<&'a str>,
    judged: bool,
}

impl<'a> Sniffer<'a> {
    /// The head of what `part` holds below `start`.
    fn new(part: &std::fs::File, start: u64, content_type: Option<&'a str>) -> Sniffer<'a> {
        let mut head = vec![0; (start as usize).min(HEAD_BYTES)];
        let held = read_head(part, &mut head);
        head.truncate(held);
        Sniffer {
            head,
            content_type,
            judged: false,
        }
    }

    /// Takes the next bytes; judges once the head is full.
    fn feed(&mut self, bytes: &[u8]) -> Result<(), DownloadError> {
        if self.judged {
            return Ok(());
        }
        let room = HEAD_BYTES - self.head.len();
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
        if self.head.len() < HEAD_BYTES {
            return Ok(());
        }
        self.judge()
    }

    /// The body ended (whole): judges a file shorter than the head.
    fn judge(&mut self) -> Result<(), DownloadError> {
        if self.judged {
            return Ok(());
        }
        self.judged = true;
        match not_audio(&self.head, self.content_type) {
            Some(what) => Err(DownloadError::NotAudio { what: what.into() }),
            None => Ok(()),
        }
    }
}

/// Reads what it can of `head.len()` bytes at the file's start.
fn read_head(part: &std::fs::File, head: &mut [u8]) -> usize {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let mut held = 0;
        while held < head.len() {
            match part.read_at(&mut head[held..], held as u64) {
                Ok(0) | Err(_) => break,
                Ok(n) => held += n,
            }
        }
        held
    }
    #[cfg(not(unix))]
    {
        let _ = (part, head);
        0
    }
}

/// Writes the body after `answer.start` and checks it is whole and audio.
/// Returns the file (written, not yet synced) and the bytes it now holds.
/// On failure what arrived is kept for a resume, except when it cannot be
/// trusted (too large, more than announced, not audio).
pub(super) async fn stream_into(
    answer: Answer,
    part: std::fs::File,
    target: Target<'_>,
    limits: Limits,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<(std::fs::File, u64), DownloadError> {
    let Target {
        dir,
        part_path,
        content_type,
    } = target;
    let Answer {
        response,
        start,
        total,
    } = answer;
    let mut sniffer = Sniffer::new(&part, start, content_type);
    let mut writer = DiskWriter::start(part);
    let mut written = start;
    let streamed = copy(
        response,
        &mut writer,
        &mut sniffer,
        &mut written,
        total,
        limits,
        progress,
    )
    .await
    .and_then(|()| sniffer.judge());
    // Whatever was queued is written even on failure: it is what the next
    // attempt resumes from.
    let Written { file: part, error } = writer.finish().await;
    // A failed write explains a stopped transfer better than anything else.
    let streamed = match error {
        Some(e) => Err(io_error(dir, &e)),
        None => streamed,
    };
    if let Err(e) = streamed {
        if matches!(
            e,
            DownloadError::TooLarge { .. } | DownloadError::NotAudio { .. }
        ) {
            drop(part);
            let _ = tokio::fs::remove_file(part_path).await;
            let _ = tokio::fs::remove_file(part_path.with_extension("validator")).await;
        } else {
            // Best effort: the error being returned matters more.
            let _ = blocking(move || {
                let _ = part.sync_data();
                Ok(())
            })
            .await;
        }
        return Err(e);
    }
    if let Some(expected) = total
        && written != expected
    {
        if written > expected {
            // More than announced: the partial data cannot be trusted for a
            // resume.
            drop(part);
            let _ = tokio::fs::remove_file(part_path).await;
        }
        return Err(DownloadError::Network(format!(
            "the file host sent {written} of {expected} bytes"
        )));
    }
    Ok((part, written))
}

/// The read loop: chunks to the disk writer, within the size cap and the
/// stall rule, with throttled progress; nothing past the head is written
/// before the head is judged audio. Per chunk: one copy into the writer's
/// buffer, no new timer.
async fn copy(
    response: reqwest::Response,
    writer: &mut DiskWriter,
    sniffer: &mut Sniffer<'_>,
    written: &mut u64,
    total: Option<u64>,
    limits: Limits,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<(), DownloadError> {
    let mut body = response.bytes_stream();
    let mut stall = StallWatch::new(limits.stall);
    let window = tokio::time::sleep_until(stall.window_end);
    tokio::pin!(window);
    let mut reported = (*written, Instant::now());
    progress(*written, total);
    loop {
        let next = tokio::select! {
            biased;
            next = body.next() => next,
            () = &mut window => {
                stall.close_window()?;
                window.as_mut().reset(stall.window_end);
                continue;
            }
        };
        let chunk = match next {
            None => return Ok(()),
            Some(Err(e)) => return Err(network_error(e)),
            Some(Ok(chunk)) => chunk,
        };
        let len = chunk.len() as u64;
        if written.saturating_add(len) > limits.max_bytes {
            return Err(DownloadError::TooLarge {
                limit: limits.max_bytes,
            });
        }
        sniffer.feed(&chunk)?;
        if !writer.write(&chunk).await {
            // The writer stopped on an error; stream_into reports it.
            return Ok(());
        }
        *written += len;
        stall.bytes += len;
        let now = Instant::now();
        if now >= stall.window_end {
            stall.close_window()?;
            window.as_mut().reset(stall.window_end);
        }
        if *written - reported.0 >= PROGRESS_BYTES || now - reported.1 >= PROGRESS_INTERVAL {
            progress(*written, total);
            reported = (*written, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_is_judged_once_whole_however_it_arrives_and_a_resume_counts_what_is_held() {
        let part = tempfile::tempfile().unwrap();
        let page = b"<!DOCTYPE html><html><body>the link has expired, sign in again</body></html>";
        let mut sniffer = Sniffer::new(&part, 0, Some("audio/mpeg"));
        let mut refused = None;
        for (i, chunk) in page.chunks(3).enumerate() {
            if let Err(e) = sniffer.feed(chunk) {
                refused = Some((i, e));
                break;
            }
        }
        let (at, error) = refused.expect("refused");
        assert_eq!(at, HEAD_BYTES / 3, "judged as the head filled");
        assert_eq!(
            error,
            DownloadError::NotAudio {
                what: "an HTML page".into()
            }
        );
        // A body shorter than the head is judged when it ends.
        let mut short = Sniffer::new(&part, 0, Some("application/json"));
        assert!(short.feed(b"{}").is_ok());
        assert!(matches!(short.judge(), Err(DownloadError::NotAudio { .. })));
        // A resume: the held bytes are the head's start.
        use std::io::Write;
        let mut held = tempfile::tempfile().unwrap();
        held.write_all(b"ID3\x04\x00").unwrap();
        let mut resumed = Sniffer::new(&held, 5, None);
        assert!(resumed.feed(&[0u8; 100]).is_ok());
        assert!(resumed.judge().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_with_too_few_bytes_is_a_stall_and_enough_opens_a_new_one() {
        let rule = StallRule {
            min_bytes_per_sec: 100,
            window: Duration::from_secs(10),
        };
        let mut watch = StallWatch::new(rule);
        watch.bytes = 1000;
        tokio::time::advance(rule.window).await;
        assert!(watch.close_window().is_ok(), "1000 bytes in 10 s is enough");
        assert_eq!(watch.bytes, 0);
        assert_eq!(watch.window_end, Instant::now() + rule.window);
        watch.bytes = 999;
        tokio::time::advance(rule.window).await;
        let err = watch.close_window().unwrap_err();
        assert!(err.to_string().contains("under the minimum"), "{err}");
    }
}
