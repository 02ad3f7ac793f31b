//! Finds and fetches a file's `ftyp` and `moov` boxes through ranged reads
//! (HTTP or a local file), never reading more than a few MB: the head, then
//! a window wherever the next top-level box starts (a `moov` written after
//! `mdat` sits at the end), then the `moov` itself if it did not fit.

use super::Refusal;
use super::boxes::header_at;

/// Read first: holds `ftyp` and, in a file written for streaming, `moov`.
pub(crate) const HEAD_BYTES: usize = 256 * 1024;
/// Read at each later box the head did not reach.
const WINDOW_BYTES: usize = 256 * 1024;
/// A 20 s clip's index is well under this; a larger one is not checked.
const MOOV_MAX: u64 = 2 * 1024 * 1024;
/// Windows after the head, at most (`mdat`, perhaps `free`, then `moov`).
const MAX_WINDOWS: u32 = 3;

/// Ranged reads of one file.
pub(crate) trait Ranges {
    /// Up to `cap` bytes from `start` (fewer only at the end of the file).
    async fn read(&mut self, start: u64, cap: usize) -> Result<Vec<u8>, Refusal>;
}

pub(crate) struct Found {
    pub ftyp: Option<Vec<u8>>,
    pub moov: Vec<u8>,
}

fn invalid(why: impl std::fmt::Display) -> Refusal {
    Refusal::new(format!("the video is not a valid MP4/MOV file: {why}"))
}

/// The bytes of `[start, end)` if `window` (at `base`) holds them.
fn slice(window: &[u8], base: u64, start: u64, end: u64) -> Option<Vec<u8>> {
    let from = usize::try_from(start.checked_sub(base)?).ok()?;
    let to = usize::try_from(end.checked_sub(base)?).ok()?;
    window.get(from..to).map(<[u8]>::to_vec)
}

/// Walks the top-level boxes from the start of the file (`head` holds its
/// first bytes) until `moov`, reading windows from `source` as needed.
pub(crate) async fn find_boxes<R: Ranges>(
    source: &mut R,
    head: Vec<u8>,
    file_len: u64,
) -> Result<Found, Refusal> {
    let (mut window, mut base, mut at) = (head, 0u64, 0u64);
    let mut ftyp = None;
    let mut windows = 0;
    let mut fresh = true;
    while at < file_len {
        let Some(header) = header_at(&window, base, at).map_err(invalid)? else {
            if !fresh && windows < MAX_WINDOWS {
                windows += 1;
                window = source.read(at, WINDOW_BYTES).await?;
                base = at;
                fresh = true;
                continue;
            }
            return Err(if fresh {
                invalid(format!("it ends inside a box header at byte {at}"))
            } else {
                Refusal::new(
                    "its index (moov box) is too far from the start and the end to check; --no-check sends it anyway",
                )
            });
        };
        fresh = false;
        let end = header.end(file_len);
        if end > file_len {
            let kind = String::from_utf8_lossy(&header.kind).into_owned();
            return Err(invalid(format!("it ends inside its {kind} box")));
        }
        match &header.kind {
            b"ftyp" if at == 0 => {
                ftyp =
                    Some(slice(&window, base, at, end).ok_or_else(|| invalid("a huge ftyp box"))?);
            }
            b"moov" => {
                let len = end - at;
                if len > MOOV_MAX {
                    return Err(Refusal::new(format!(
                        "its index (moov box) is {len} bytes, too large to check; --no-check sends it anyway"
                    )));
                }
                let moov = match slice(&window, base, at, end) {
                    Some(bytes) => bytes,
                    None => source.read(at, len as usize).await?,
                };
                if moov.len() as u64 != len {
                    return Err(invalid("the file ends inside its moov box"));
                }
                return Ok(Found { ftyp, moov });
            }
            _ => {}
        }
        if end <= at {
            return Err(invalid(format!("an empty box at byte {at}")));
        }
        at = end;
    }
    Err(invalid("it has no index (moov box)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Bytes(Vec<u8>, Vec<(u64, usize)>);

    impl Ranges for Bytes {
        async fn read(&mut self, start: u64, cap: usize) -> Result<Vec<u8>, Refusal> {
            self.1.push((start, cap));
            let from = (start as usize).min(self.0.len());
            let to = from.saturating_add(cap).min(self.0.len());
            Ok(self.0[from..to].to_vec())
        }
    }

    fn boxed(kind: &[u8; 4], body: usize) -> Vec<u8> {
        let mut b = ((body + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend(std::iter::repeat_n(7u8, body));
        b
    }

    fn find(file: Vec<u8>) -> (Result<Found, Refusal>, Vec<(u64, usize)>) {
        let len = file.len() as u64;
        let head = file[..file.len().min(HEAD_BYTES)].to_vec();
        let mut source = Bytes(file, vec![]);
        let found = futures::executor::block_on(find_boxes(&mut source, head, len));
        (found, source.1)
    }

    #[test]
    fn moov_at_the_end_is_read_from_the_tail_only() {
        let mut file = boxed(b"ftyp", 12);
        file.extend(boxed(b"mdat", 3_000_000));
        let moov_at = file.len() as u64;
        file.extend(boxed(b"moov", 500));
        let (found, reads) = find(file);
        let found = found.unwrap();
        assert_eq!(found.moov.len(), 508);
        assert_eq!(found.ftyp.unwrap().len(), 20);
        assert_eq!(reads, vec![(moov_at, WINDOW_BYTES)]);
    }

    #[test]
    fn moov_at_the_start_needs_no_more_reads_and_junk_is_refused() {
        let mut file = boxed(b"ftyp", 12);
        file.extend(boxed(b"moov", 100));
        file.extend(boxed(b"mdat", 1000));
        let (found, reads) = find(file);
        assert_eq!(found.unwrap().moov.len(), 108);
        assert!(reads.is_empty());
        let mut no_moov = boxed(b"ftyp", 12);
        no_moov.extend(boxed(b"mdat", 100));
        assert!(find(no_moov).0.is_err());
        let mut truncated = boxed(b"ftyp", 12);
        truncated.extend(&boxed(b"moov", 100)[..50]);
        let len = truncated.len();
        let (found, _) = find(truncated);
        assert!(found.is_err(), "{len}");
    }
}
