//! What a file's first bytes say it is: the signatures of the audio formats
//! a result can be in, and otherwise what the body looks like (an HTML
//! error page, JSON, text), so a download that is not audio is refused
//! before it is kept under an audio name.

/// How many leading bytes [`audio_signature`] and [`not_audio`] look at.
pub const HEAD_BYTES: usize = 64;

/// The audio format the bytes start with, if they start like one.
pub fn audio_signature(head: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"ID3") {
        return Some("MP3");
    }
    // An MPEG audio frame (MP3) or ADTS (AAC): 11 set sync bits.
    if let [0xFF, second, ..] = head
        && second & 0xE0 == 0xE0
    {
        return Some("MPEG audio");
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Some("WAV");
    }
    if at(0, b"fLaC") {
        return Some("FLAC");
    }
    if at(0, b"OggS") {
        return Some("Ogg");
    }
    if at(4, b"ftyp") {
        return Some("MP4");
    }
    if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        return Some("AIFF");
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some("WebM");
    }
    None
}

/// Why a body is not audio, as "an HTML page" in "answered with an HTML
/// page, not audio"; None when it is audio, or binary data the host labels
/// as audio (a format klang has no signature for).
pub fn not_audio(head: &[u8], content_type: Option<&str>) -> Option<&'static str> {
    if audio_signature(head).is_some() {
        return None;
    }
    let mime = content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let text = head
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .trim_ascii_start();
    let lower = text.to_ascii_lowercase();
    let starts = |prefix: &[u8]| lower.starts_with(prefix);
    if starts(b"<!doctype html") || starts(b"<html") || starts(b"<head") || starts(b"<body") {
        return Some("an HTML page");
    }
    if starts(b"{") || starts(b"[") {
        return Some("JSON");
    }
    if starts(b"<") {
        return Some("an XML document");
    }
    match mime.as_str() {
        "text/html" | "application/xhtml+xml" => return Some("an HTML page"),
        "application/json" => return Some("JSON"),
        "text/xml" | "application/xml" => return Some("an XML document"),
        _ => {}
    }
    if head.is_empty() {
        return Some("an empty body");
    }
    if mime.starts_with("text/")
        || head
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        return Some("text");
    }
    if mime.starts_with("audio/") {
        return None;
    }
    Some("data in no audio format klang knows (MP3, WAV, FLAC, Ogg, MP4)")
}

/// The first [`HEAD_BYTES`] of the file at `path` (fewer if it is shorter);
/// an error for anything but a regular file (a FIFO would block the open).
pub fn file_head(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    crate::input_file::open_regular(path)?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_formats_are_known_by_their_first_bytes() {
        let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
        wav.extend_from_slice(&[0; 8]);
        let cases: [(&[u8], &str); 8] = [
            (b"ID3\x04\x00\x00\x00\x00\x00\x00", "MP3"),
            (&[0xFF, 0xFB, 0x90, 0x64], "MPEG audio"),
            (&[0xFF, 0xF1, 0x50, 0x80], "MPEG audio"),
            (&wav, "WAV"),
            (b"fLaC\x00\x00\x00\x22", "FLAC"),
            (b"OggS\x00\x02", "Ogg"),
            (b"\x00\x00\x00\x20ftypM4A \x00\x00", "MP4"),
            (b"FORM\x00\x00\x10\x00AIFFCOMM", "AIFF"),
        ];
        for (head, kind) in cases {
            assert_eq!(audio_signature(head), Some(kind), "{head:?}");
            assert_eq!(not_audio(head, Some("text/html")), None, "{head:?}");
        }
    }

    #[test]
    fn pages_json_and_text_are_named() {
        let page = b"\n  <!DOCTYPE html><html><body>Access denied</body></html>";
        assert_eq!(not_audio(page, Some("audio/mpeg")), Some("an HTML page"));
        assert_eq!(not_audio(b"{\"code\":403}", None), Some("JSON"));
        assert_eq!(
            not_audio(b"\xEF\xBB\xBF[1, 2]", Some("audio/mpeg")),
            Some("JSON")
        );
        assert_eq!(
            not_audio(b"<?xml version=\"1.0\"?><Error>", None),
            Some("an XML document")
        );
        assert_eq!(not_audio(b"Forbidden", None), Some("text"));
        assert_eq!(not_audio(b"", Some("audio/mpeg")), Some("an empty body"));
        assert_eq!(
            not_audio(&[0x00, 0x01, 0x80], Some("application/octet-stream")),
            Some("data in no audio format klang knows (MP3, WAV, FLAC, Ogg, MP4)")
        );
        // Binary data the host calls audio: a format without a signature
        // here is given the benefit of the doubt.
        assert_eq!(not_audio(&[0x00, 0x01, 0x80], Some("audio/x-caf")), None);
    }
}
