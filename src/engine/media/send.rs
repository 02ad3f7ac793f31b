//! Sending a clip: a block of [`BLOCK`] bytes at a time, each read whole
//! and checked against the hash the clip's block had at submit before any
//! of it leaves. A block that no longer matches ends the answer there and
//! says so in the task.

use super::route::MediaState;
use super::verify::{BLOCK, Verified, Why, block_matches};
use crate::store::MediaFile;
use axum::body::Bytes;
use std::io::SeekFrom;
use std::sync::Arc;

/// One answer's bytes still to send, a checked block at a time.
pub(super) struct Sending {
    pub(super) state: Arc<MediaState>,
    pub(super) clip: MediaFile,
    /// None while a block is being read (or after a failure).
    pub(super) verified: Option<Verified>,
    pub(super) pos: u64,
    /// One past the last byte to send.
    pub(super) end: u64,
}

impl Sending {
    /// The next piece of the answer, from one block read whole and checked
    /// against its hash; None when all is sent.
    pub(super) async fn next_chunk(&mut self) -> Option<Result<Bytes, Why>> {
        if self.pos >= self.end {
            return None;
        }
        let verified = self.verified.take()?;
        let (pos, len) = (self.pos, self.clip.bytes);
        let read = tokio::task::spawn_blocking(move || {
            let mut verified = verified;
            let block = read_block(&mut verified.file, pos, len);
            (verified, block)
        })
        .await;
        let (verified, block) = match read {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!("reading a served clip: {e}");
                return Some(Err(Why::Gone));
            }
        };
        let index = pos / BLOCK;
        let start = index * BLOCK;
        let good = block
            .as_ref()
            .is_ok_and(|b| block_matches(&verified.blocks, index, b));
        let block = match block {
            Ok(block) if good => block,
            _ => {
                self.changed(&verified);
                return Some(Err(Why::Changed));
            }
        };
        let block_end = start + block.len() as u64;
        let until = self.end.min(block_end);
        let chunk = Bytes::from(block).slice((pos - start) as usize..(until - start) as usize);
        self.pos = until;
        self.verified = Some(verified);
        Some(Ok(chunk))
    }

    /// Says (once) that the file changed under an answer.
    fn changed(&self, verified: &Verified) {
        let cache = &self.state.engine.media_cache;
        if let Some(text) = cache.changed_while_sending(&self.clip, verified.print) {
            tracing::warn!("{text}");
            self.state.engine.media_problem(self.clip.task, &text);
        }
    }
}

/// The whole block of a file of `len` bytes that holds byte `pos`.
fn read_block(file: &mut std::fs::File, pos: u64, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek};
    let start = pos / BLOCK * BLOCK;
    let size = BLOCK.min(len.saturating_sub(start));
    file.seek(SeekFrom::Start(start))?;
    let mut block = vec![0u8; usize::try_from(size).unwrap_or(0)];
    file.read_exact(&mut block)?;
    Ok(block)
}
