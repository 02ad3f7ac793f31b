//! Where the sound of an AAC track in MP4 starts and ends. An AAC encoder
//! puts priming samples (usually 1024) before the first real one and pads
//! the last packet; the container says what to play through its edit list
//! (`moov/trak/edts/elst`) or, from iTunes, an `iTunSMPB` tag. symphonia
//! 0.6 parses `elst` but does not apply it, and sets no delay or padding
//! on MP4 tracks (isomp4's `TrackState::make`), so its decode is 1024
//! frames early and a few hundred long: this reads the boxes itself and
//! the decode step cuts the samples (see `decode.rs`).

use std::io::{Read, Seek, SeekFrom};

/// The largest `moov` read into memory; a real one is kilobytes.
const MAX_MOOV_BYTES: u64 = 32 << 20;

/// What to play of the decoded samples: skip the first frames, then keep
/// at most `keep` (each a count and the timescale it is counted in; 0 for
/// frames at the decoded rate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Edit {
    pub skip: (u64, u32),
    pub keep: Option<(u64, u32)>,
}

impl Edit {
    /// The edit in frames at `rate`.
    pub fn frames(&self, rate: u32) -> (u64, Option<u64>) {
        let at_rate = |(count, scale): (u64, u32)| match scale {
            0 => count,
            scale => (u128::from(count) * u128::from(rate) / u128::from(scale)) as u64,
        };
        (at_rate(self.skip), self.keep.map(at_rate))
    }
}

/// The first audio track's edit, or `None` when the file is not MP4, has
/// no usable edit, or cannot be read (then the decode is left as is).
pub(crate) fn read_edit<R: Read + Seek>(file: &mut R) -> Option<Edit> {
    let moov = find_top_level(file, b"moov")?;
    let movie_scale = child(&moov, b"mvhd").and_then(|b| timescale(b, 12, 20))?;
    let track = children(&moov)
        .filter(|(kind, _)| kind == b"trak")
        .map(|(_, body)| body)
        .find(|trak| handler(trak).as_ref() == Some(b"soun"))?;
    let media_scale = child(track, b"mdia")
        .and_then(|m| child(m, b"mdhd"))
        .and_then(|b| timescale(b, 12, 20))?;
    let from_elst = child(track, b"edts")
        .and_then(|e| child(e, b"elst"))
        .and_then(|elst| first_edit(elst, movie_scale, media_scale));
    let from_itunes = itunsmpb(&moov);
    match (from_elst, from_itunes) {
        // Older iTunes files carry a do-nothing edit list and the real
        // figures in the tag.
        (Some(e), Some(i)) if e.skip.0 == 0 => Some(i),
        (Some(e), _) => Some(e),
        (None, i) => i,
    }
}

/// The body of the first top-level box of `kind`, read into memory.
fn find_top_level<R: Read + Seek>(file: &mut R, kind: &[u8; 4]) -> Option<Vec<u8>> {
    let mut at = 0u64;
    loop {
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut header = [0u8; 8];
        file.read_exact(&mut header).ok()?;
        let (size32, found) = header.split_at(4);
        let mut size = u64::from(u32::from_be_bytes(size32.try_into().ok()?));
        let mut header_len = 8;
        if size == 1 {
            let mut large = [0u8; 8];
            file.read_exact(&mut large).ok()?;
            size = u64::from_be_bytes(large);
            header_len = 16;
        }
        if found == kind {
            let body_len = if size == 0 {
                MAX_MOOV_BYTES
            } else {
                size.checked_sub(header_len)?
            };
            if body_len > MAX_MOOV_BYTES && size != 0 {
                return None;
            }
            let mut body = Vec::new();
            file.take(body_len).read_to_end(&mut body).ok()?;
            return Some(body);
        }
        if size < header_len {
            return None;
        }
        at = at.checked_add(size)?;
    }
}

/// The boxes directly inside `body`, as (type, body); stops at the first
/// malformed one.
fn children(body: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = body;
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            1 => (16, usize::try_from(be_u64(rest, 8)?).ok()?),
            0 => (8, rest.len()),
            n => (8, n),
        };
        let inner = rest.get(header..size)?;
        rest = &rest[size..];
        Some((kind, inner))
    })
}

fn child<'a>(body: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(body).find(|(k, _)| k == kind).map(|(_, b)| b)
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The timescale of an `mvhd` or `mdhd` (a full box: version 0 keeps it
/// at byte `v0`, version 1 at `v1`).
fn timescale(full_box: &[u8], v0: usize, v1: usize) -> Option<u32> {
    let at = if *full_box.first()? == 1 { v1 } else { v0 };
    be_u32(full_box, at).filter(|&s| s > 0)
}

/// The `hdlr` handler type of a track ("soun" for audio).
fn handler(trak: &[u8]) -> Option<[u8; 4]> {
    let hdlr = child(child(trak, b"mdia")?, b"hdlr")?;
    hdlr.get(8..12)?.try_into().ok()
}

/// The first edit that plays media (an empty edit, media time -1, only
/// delays the start and is skipped).
fn first_edit(elst: &[u8], movie_scale: u32, media_scale: u32) -> Option<Edit> {
    let version = *elst.first()?;
    let count = be_u32(elst, 4)? as usize;
    let entry_len = if version == 1 { 20 } else { 12 };
    (0..count.min(64)).find_map(|i| {
        let at = 8 + i * entry_len;
        let (duration, media_time) = if version == 1 {
            (be_u64(elst, at)?, be_u64(elst, at + 8)? as i64)
        } else {
            (
                u64::from(be_u32(elst, at)?),
                i64::from(be_u32(elst, at + 4)? as i32),
            )
        };
        let skip = u64::try_from(media_time).ok()?;
        Some(Edit {
            skip: (skip, media_scale),
            keep: (duration > 0).then_some((duration, movie_scale)),
        })
    })
}

/// iTunes' gapless tag, `moov/udta/meta/ilst/----` named "iTunSMPB":
/// hex words, the second the priming samples, the fourth the real length.
fn itunsmpb(moov: &[u8]) -> Option<Edit> {
    let meta = child(child(moov, b"udta")?, b"meta")?;
    // `meta` is a full box in MP4 (4 bytes of version and flags), a plain
    // one in QuickTime files.
    let ilst = child(meta.get(4..)?, b"ilst").or_else(|| child(meta, b"ilst"))?;
    let text = children(ilst)
        .filter(|(kind, _)| kind == b"----")
        .find(|(_, tag)| child(tag, b"name").and_then(|n| n.get(4..)) == Some(b"iTunSMPB"))
        .and_then(|(_, tag)| child(tag, b"data"))
        .and_then(|data| std::str::from_utf8(data.get(8..)?).ok())?;
    let words: Vec<u64> = text
        .split_whitespace()
        .map(|w| u64::from_str_radix(w, 16).ok())
        .collect::<Option<_>>()?;
    let (delay, length) = (*words.get(1)?, *words.get(3)?);
    // The tag counts frames at the decoded rate, whatever the timescale.
    Some(Edit {
        skip: (delay, 0),
        keep: (length > 0).then_some((length, 0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn full(version: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![version, 0, 0, 0];
        out.extend_from_slice(body);
        out
    }

    fn header_box(kind: &[u8; 4], scale: u32) -> Vec<u8> {
        let mut body = vec![0u8; 8];
        body.extend_from_slice(&scale.to_be_bytes());
        body.extend_from_slice(&[0u8; 4]);
        boxed(kind, &full(0, &body))
    }

    fn track(handler_type: &[u8; 4], elst: Option<(u32, i32)>) -> Vec<u8> {
        let mut hdlr = vec![0u8; 4];
        hdlr.extend_from_slice(handler_type);
        let mdia = [header_box(b"mdhd", 44_100), boxed(b"hdlr", &full(0, &hdlr))].concat();
        let mut trak = boxed(b"mdia", &mdia);
        if let Some((duration, media_time)) = elst {
            let mut entries = 1u32.to_be_bytes().to_vec();
            entries.extend_from_slice(&duration.to_be_bytes());
            entries.extend_from_slice(&media_time.to_be_bytes());
            entries.extend_from_slice(&[0, 1, 0, 0]);
            trak.extend(boxed(b"edts", &boxed(b"elst", &full(0, &entries))));
        }
        boxed(b"trak", &trak)
    }

    fn file(moov_inner: &[u8]) -> Cursor<Vec<u8>> {
        let mut bytes = boxed(b"ftyp", b"M4A mp42");
        bytes.extend(boxed(b"mdat", &[0u8; 100]));
        bytes.extend(boxed(b"moov", moov_inner));
        Cursor::new(bytes)
    }

    #[test]
    fn the_audio_tracks_edit_list_gives_priming_and_length() {
        let moov = [
            header_box(b"mvhd", 1000),
            track(b"vide", Some((9000, 0))),
            track(b"soun", Some((4000, 1024))),
        ]
        .concat();
        let edit = read_edit(&mut file(&moov)).unwrap();
        assert_eq!(edit.frames(44_100), (1024, Some(176_400)));
    }

    #[test]
    fn itunes_tag_wins_over_an_empty_edit() {
        let name = boxed(b"name", &full(0, b"iTunSMPB"));
        let mut data = vec![0u8; 8];
        data.extend_from_slice(b" 00000000 00000840 000001CC 000000000002B110");
        let tag = boxed(b"----", &[name, boxed(b"data", &data)].concat());
        let udta = boxed(b"udta", &boxed(b"meta", &full(0, &boxed(b"ilst", &tag))));
        let moov = [
            header_box(b"mvhd", 600),
            track(b"soun", Some((2400, 0))),
            udta,
        ]
        .concat();
        let edit = read_edit(&mut file(&moov)).unwrap();
        assert_eq!(edit.frames(44_100), (0x840, Some(0x2B110)));
    }

    #[test]
    fn not_mp4_or_damaged_gives_nothing() {
        assert_eq!(read_edit(&mut Cursor::new(b"ID3\x04junk".to_vec())), None);
        assert_eq!(read_edit(&mut Cursor::new(Vec::new())), None);
        let mut cut = file(
            &[
                header_box(b"mvhd", 1000),
                track(b"soun", Some((4000, 1024))),
            ]
            .concat(),
        )
        .into_inner();
        cut.truncate(cut.len() - 10);
        assert_eq!(read_edit(&mut Cursor::new(cut)), None);
        // No audio track.
        let moov = [header_box(b"mvhd", 1000), track(b"vide", Some((1, 0)))].concat();
        assert_eq!(read_edit(&mut file(&moov)), None);
    }
}
