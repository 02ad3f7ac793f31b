//! Bytes to text. A BOM decides (UTF-8, UTF-16 LE or BE); then valid UTF-8
//! is UTF-8; then UTF-16 without a BOM is recognised by its zero bytes
//! (subtitle text is mostly ASCII digits and punctuation, so every other
//! byte is 0); anything else is guessed by chardetng, Firefox's detector
//! for unlabelled legacy text (CP1252, GBK, Big5, Shift_JIS, ...), and
//! decoded by encoding_rs, which replaces what does not decode.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use std::borrow::Cow;

pub(super) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static str,
    /// Some bytes did not decode and read as U+FFFD.
    pub had_errors: bool,
}

pub(super) fn decode(bytes: &[u8]) -> Decoded<'_> {
    let encoding = which(bytes);
    let (text, had_errors) = match Encoding::for_bom(bytes) {
        Some((_, bom)) => encoding.decode_without_bom_handling(&bytes[bom..]),
        None => encoding.decode_without_bom_handling(bytes),
    };
    Decoded {
        text,
        encoding: encoding.name(),
        had_errors,
    }
}

fn which(bytes: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return encoding;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    if let Some(utf16) = utf16_without_bom(bytes) {
        return utf16;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// UTF-16 LE or BE when, in the first 4 KiB, most odd (LE) or even (BE)
/// bytes are zero and almost none of the others are.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    if head.len() < 8 {
        return None;
    }
    let zeros_at = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    let half = head.len() / 2;
    if odd * 10 >= half * 7 && even * 20 < half {
        Some(UTF_16LE)
    } else if even * 10 >= half * 7 && odd * 20 < half {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if big_endian {
                [0xFE, 0xFF]
            } else {
                [0xFF, 0xFE]
            });
        }
        for unit in text.encode_utf16() {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn a_bom_decides_and_is_not_part_of_the_text() {
        let d = decode(b"\xEF\xBB\xBF1\n");
        assert_eq!((d.encoding, d.text.as_ref()), ("UTF-8", "1\n"));
        let d = decode(&[0xFF, 0xFE, b'1', 0, b'\n', 0]);
        assert_eq!((d.encoding, d.text.as_ref()), ("UTF-16LE", "1\n"));
        let d = decode(&[0xFE, 0xFF, 0, b'1', 0, b'\n']);
        assert_eq!((d.encoding, d.text.as_ref()), ("UTF-16BE", "1\n"));
    }

    #[test]
    fn utf16_without_a_bom_is_told_by_its_zero_bytes() {
        let text = "1\n00:00:01,000 --> 00:00:02,000\nÇa va ?\n";
        for big_endian in [false, true] {
            let bytes = utf16(text, big_endian, false);
            let d = decode(&bytes);
            assert_eq!(d.text, text);
            assert!(!d.had_errors);
        }
    }

    #[test]
    fn legacy_bytes_are_guessed() {
        let (cp1252, _, _) =
            encoding_rs::WINDOWS_1252.encode("Le café était très naïf, « dit-il » — “vraiment”.\n");
        let d = decode(&cp1252);
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.text.contains("café était très naïf"), "{}", d.text);
        let (gbk, _, _) = encoding_rs::GBK.encode("你好，世界。今天天气很好，我们去公园散步吧。\n");
        let d = decode(&gbk);
        assert_eq!(d.encoding, "GBK");
        assert!(d.text.contains("今天天气很好"), "{}", d.text);
    }
}
