//! The disk side of a transfer: a blocking thread that writes each chunk
//! the network delivers straight into the partial file. The chunks are
//! handed over, not copied (a buffered async file copies every byte twice
//! on its way to the kernel), and the network keeps reading while the disk
//! writes. A few chunks in flight bound the memory: a slow disk slows the
//! reading down instead of filling memory.

use bytes::Bytes;
use std::fs::File;
use std::io::Write;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Chunks queued for the disk at most (hyper's chunks are at most about
/// 400 KiB, so a few MiB).
const CHUNKS_IN_FLIGHT: usize = 8;

/// The network side's handle: send chunks, then [`DiskWriter::finish`].
pub(super) struct DiskWriter {
    chunks: mpsc::Sender<Bytes>,
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
        let (chunks, mut queue) = mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
        let thread = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = queue.blocking_recv() {
                if let Err(error) = file.write_all(&chunk) {
                    return Written {
                        file,
                        error: Some(error),
                    };
                }
            }
            Written { file, error: None }
        });
        DiskWriter { chunks, thread }
    }

    /// Queues a chunk; false when the writing thread has stopped (a write
    /// failed: [`DiskWriter::finish`] says why).
    pub(super) async fn write(&self, chunk: Bytes) -> bool {
        self.chunks.send(chunk).await.is_ok()
    }

    /// Waits until every queued chunk is written.
    pub(super) async fn finish(self) -> Written {
        drop(self.chunks);
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
    async fn chunks_arrive_in_order_and_the_file_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let writer = DiskWriter::start(File::create(&path).unwrap());
        for i in 0..100u8 {
            assert!(writer.write(Bytes::from(vec![i; 1000])).await);
        }
        let written = writer.finish().await;
        assert!(written.error.is_none());
        assert_eq!(written.file.metadata().unwrap().len(), 100_000);
        let data = std::fs::read(&path).unwrap();
        assert!(
            data.chunks(1000)
                .enumerate()
                .all(|(i, c)| c.iter().all(|&b| b == i as u8))
        );
    }

    #[tokio::test]
    async fn a_failed_write_stops_the_writer_and_says_why() {
        // /dev/full refuses every write with ENOSPC.
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            return;
        };
        let writer = DiskWriter::start(full);
        let mut accepted = 0;
        while writer.write(Bytes::from_static(b"data")).await {
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
