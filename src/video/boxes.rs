//! Where an MP4/MOV file keeps its `ftyp` and `moov` boxes, found by
//! walking the top-level box headers only (8 or 16 bytes each).
//!
//! Written here rather than taken from a crate on purpose: the parsers
//! (symphonia's isomp4, `mp4`, `mp4parse`) read a whole seekable file, and
//! over HTTP that would mean fetching up to 100 MB to learn a length. This
//! walk only says which byte ranges to fetch (the head, and the `moov` box
//! wherever it sits, often after `mdat` at the end); symphonia then parses
//! the fetched boxes (see `facts.rs`). It reads nothing inside a box.

/// One top-level box header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BoxHeader {
    pub kind: [u8; 4],
    /// Absolute offset of the box in the file.
    pub start: u64,
    /// The whole box, header included; `None`: it runs to the end of the file.
    pub size: Option<u64>,
}

impl BoxHeader {
    pub fn end(&self, file_len: u64) -> u64 {
        self.size.map_or(file_len, |s| self.start.saturating_add(s))
    }
}

/// The kinds a file may start with: `ftyp` (MP4, and MOV since 2000), or
/// an older QuickTime file's first box.
const FIRST_KINDS: [&[u8; 4]; 6] = [b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"];

/// The header at `at` within `window` (which starts at absolute `base`):
/// `Ok(None)` when the window ends before the header does.
pub(crate) fn header_at(window: &[u8], base: u64, at: u64) -> Result<Option<BoxHeader>, String> {
    let Some(offset) = at.checked_sub(base).and_then(|o| usize::try_from(o).ok()) else {
        return Ok(None);
    };
    let Some(head) = window.get(offset..offset.saturating_add(8)) else {
        return Ok(None);
    };
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let kind = [head[4], head[5], head[6], head[7]];
    let size = match size32 {
        0 => None,
        1 => {
            let Some(large) = window.get(offset + 8..offset + 16) else {
                return Ok(None);
            };
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(large);
            Some(u64::from_be_bytes(bytes))
        }
        n => Some(u64::from(n)),
    };
    let header_len = if size32 == 1 { 16 } else { 8 };
    if size.is_some_and(|s| s < header_len) {
        return Err(format!(
            "a box at byte {at} claims {} bytes, less than its own header",
            size.unwrap_or(0)
        ));
    }
    if !kind.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return Err(format!("the data at byte {at} is not an MP4/MOV box"));
    }
    Ok(Some(BoxHeader {
        kind,
        start: at,
        size,
    }))
}

/// True when the file starts like an MP4 or MOV.
pub(crate) fn has_signature(head: &[u8]) -> bool {
    matches!(header_at(head, 0, 0), Ok(Some(h)) if FIRST_KINDS.contains(&&h.kind))
}

/// The container the `ftyp` brand names: `qt  ` is QuickTime (MOV).
pub(crate) fn is_quicktime(ftyp: Option<&[u8]>) -> bool {
    match ftyp {
        Some(b) => b.get(8..12) == Some(b"qt  "),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: usize) -> Vec<u8> {
        let mut b = ((body + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend(std::iter::repeat_n(0u8, body));
        b
    }

    #[test]
    fn headers_are_read_across_windows_and_large_sizes() {
        let mut file = boxed(b"ftyp", 12);
        file.extend(boxed(b"mdat", 100));
        assert!(has_signature(&file));
        let first = header_at(&file, 0, 0).unwrap().unwrap();
        assert_eq!(first.size, Some(20));
        let second = header_at(&file, 0, 20).unwrap().unwrap();
        assert_eq!(&second.kind, b"mdat");
        assert_eq!(second.end(1000), 128);
        // Past the window: not known yet.
        assert_eq!(header_at(&file, 0, 128).unwrap(), None);
        // A window that starts later.
        assert_eq!(header_at(&file[20..], 20, 20).unwrap(), Some(second));
        let mut large = 1u32.to_be_bytes().to_vec();
        large.extend_from_slice(b"mdat");
        large.extend_from_slice(&(1u64 << 33).to_be_bytes());
        assert_eq!(
            header_at(&large, 0, 0).unwrap().unwrap().size,
            Some(1 << 33)
        );
        assert!(!has_signature(b"<!doctype html><html>"));
        assert!(header_at(&[0, 0, 0, 4, b'm', b'o', b'o', b'v'], 0, 0).is_err());
    }
}
