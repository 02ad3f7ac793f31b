//! The disk side of a transfer: the network side copies each chunk into
//! one of a few reused buffers, and a blocking thread writes each full
//! buffer into the partial file while the network keeps reading.
//!
//! Why this shape: handing the network's chunks to the thread as they are
//! keeps them alive while the socket is read again, so hyper allocates a
//! fresh buffer for nearly every read and the kernel faults in and clears
//! ~50,000 new pages per 200 MB (measured: as much CPU as the copy it
//! saves). A copy into a recycled buffer lets hyper reuse its own, and
//! touches no new memory after the first few buffers. A buffered async
//! file would copy every byte twice and round-trip the blocking pool per
//! write.

use std::fs::File;
use std::io::Write;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// One write to the file: large enough that syscalls and hand-overs
/// between the threads are few (256 KiB took ~10% more CPU for 200 MB,
/// in twice the context switches).
const BUFFER_BYTES: usize = 1024 * 1024;
/// Buffers in all (filling, queued, being written): 4 MiB of memory, and a
/// slow disk slows the reading down instead of filling memory.
const BUFFERS: usize = 4;

/// The network side's handle: [`DiskWriter::write`], then
/// [`DiskWriter::finish`].
pub(super) struct DiskWriter {
    filling: Vec<u8>,
    allocated: usize,
    full: mpsc::Sender<Vec<u8>>,
    free: mpsc::Receiver<Vec<u8>>,
    thread: JoinHandle<Written>,
}

/// What the writing thread hands back: always the file (a failed transfer
/// keeps what arrived for a resume), and the write error if there was one.
pub(super) struct Written {
    pub file: File,
    pub error: Option<std::io::Error>,
}

impl DiskWriter {
    pub(super) fn start(mut file: File) -> DiskWriter {
        let (full, mut queue) = mpsc::channel::<Vec<u8>>(BUFFERS);
        let (give_back, free) = mpsc::channel::<Vec<u8>>(BUFFERS);
        let thread = tokio::task::spawn_blocking(move || {
            while let Some(mut buffer) = queue.blocking_recv() {
                if let Err(error) = file.write_all(&buffer) {
                    return Written {
                        file,
                        error: Some(error),
                    };
                }
                buffer.clear();
                // The network side may be gone (finished): nothing to do.
                let _ = give_back.try_send(buffer);
            }
            Written { file, error: None }
        });
        DiskWriter {
            filling: Vec::with_capacity(BUFFER_BYTES),
            allocated: 1,
            full,
            free,
            thread,
        }
    }

    /// Copies `bytes` towards the file; false when the writing thread has
    /// stopped (a write failed: [`DiskWriter::finish`] says why).
    pub(super) async fn write(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            let room = BUFFER_BYTES - self.filling.len();
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.filling.extend_from_slice(now);
            bytes = rest;
            if self.filling.len() == BUFFER_BYTES && !self.hand_over().await {
                return false;
            }
        }
        true
    }

    /// Queues the full buffer and takes an empty one: a returned one, a
    /// new one while fewer than [`BUFFERS`] exist, else waits for the disk.
    async fn hand_over(&mut self) -> bool {
        let next = match self.free.try_recv() {
            Ok(buffer) => buffer,
            Err(_) if self.allocated < BUFFERS => {
                self.allocated += 1;
                Vec::with_capacity(BUFFER_BYTES)
            }
            Err(_) => Vec::new(),
        };
        let full = std::mem::replace(&mut self.filling, next);
        if self.full.send(full).await.is_err() {
            return false;
        }
        if self.filling.capacity() == 0 {
            match self.free.recv().await {
                Some(buffer) => self.filling = buffer,
                None => return false,
            }
        }
        true
    }

    /// Writes what is left and waits until everything is written.
    pub(super) async fn finish(mut self) -> Written {
        if !self.filling.is_empty() {
            let last = std::mem::take(&mut self.filling);
            // If the thread stopped, its error is in what it returns.
            let _ = self.full.send(last).await;
        }
        drop(self.full);
        match self.thread.await {
            Ok(written) => written,
            // The thread only ends by returning; a panic in write_all is
            // not something std does.
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_arrive_in_order_across_buffers_and_the_file_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut writer = DiskWriter::start(File::create(&path).unwrap());
        // Chunks that do not divide the buffer size, plus one larger than
        // all the buffers together.
        let mut expected = Vec::new();
        for i in 0..300u32 {
            let chunk: Vec<u8> = (0..7001).map(|j| (i * 31 + j) as u8).collect();
            assert!(writer.write(&chunk).await);
            expected.extend_from_slice(&chunk);
        }
        let big: Vec<u8> = (0..BUFFER_BYTES * BUFFERS * 2 + 5)
            .map(|j| j as u8)
            .collect();
        assert!(writer.write(&big).await);
        expected.extend_from_slice(&big);
        let written = writer.finish().await;
        assert!(written.error.is_none());
        assert_eq!(
            written.file.metadata().unwrap().len(),
            expected.len() as u64
        );
        assert!(std::fs::read(&path).unwrap() == expected);
    }

    #[tokio::test]
    async fn a_failed_write_stops_the_writer_and_says_why() {
        // /dev/full refuses every write with ENOSPC.
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let mut writer = DiskWriter::start(full);
        let chunk = vec![0u8; 64 * 1024];
        let mut accepted = 0;
        while writer.write(&chunk).await {
            accepted += 1;
            assert!(accepted < 1000, "the writer never stopped");
        }
        let written = writer.finish().await;
        assert_eq!(
            written.error.map(|e| e.raw_os_error()),
            Some(Some(28)),
            "ENOSPC"
        );
    }
}
