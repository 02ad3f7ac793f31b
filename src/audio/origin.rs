//! Where a file klang writes came from, carried inside it so it survives
//! the file leaving klang: in a WAV a BWF `bext` chunk (EBU Tech 3285
//! version 2: what DAWs and library tools such as Soundminer show) and an
//! iXML chunk with the model and its parameters; in a FLAC the same as
//! Vorbis comments. The bytes are made here; `render::wav` and
//! `render::encode` put them in place.

use chrono::{DateTime, Utc};

/// Where a file came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    /// The prompt or the text spoken.
    pub description: String,
    /// The task id, or `piece-<id>` for an assembled piece.
    pub reference: String,
    /// The model's API name (`kling-sound-effects`).
    pub model: String,
    /// The request's parameters (no callback URL: it may hold a secret).
    pub params: serde_json::Value,
    /// When the audio was made.
    pub created: DateTime<Utc>,
}

/// The integrated loudness, loudness range and true peak of what was
/// written, for the `bext` loudness fields (version 2).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Loudness {
    pub integrated_lufs: Option<f64>,
    pub range_lu: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
}

/// `bext` field sizes (EBU Tech 3285).
const DESCRIPTION: usize = 256;
const ORIGINATOR: usize = 32;
const REFERENCE: usize = 32;
/// Bytes before the loudness fields: description, originator, reference,
/// date (10), time (8), TimeReference (8), Version (2), UMID (64).
pub const BEXT_LOUDNESS_OFFSET: usize = DESCRIPTION + ORIGINATOR + REFERENCE + 10 + 8 + 8 + 2 + 64;
/// Five 16-bit loudness fields, then 180 reserved bytes.
const BEXT_FIXED: usize = BEXT_LOUDNESS_OFFSET + 10 + 180;
/// What a loudness field holds when it was not measured.
const UNSET: i16 = 0x7fff;

/// The longest prefix of `s` that fits in `bytes`, cut on a character
/// boundary (a multi-byte character is never split).
pub fn cut_to(s: &str, bytes: usize) -> &str {
    if s.len() <= bytes {
        return s;
    }
    let mut end = bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `s` cut to `n` bytes and padded with NULs (a field shorter than its
/// size ends with a NUL, as the standard asks).
fn field(out: &mut Vec<u8>, s: &str, n: usize) {
    let text = cut_to(s, n).as_bytes();
    out.extend_from_slice(text);
    out.resize(out.len() + (n - text.len()), 0);
}

/// Hundredths of a unit, as the `bext` loudness fields hold them.
fn hundredths(value: Option<f64>) -> i16 {
    match value {
        Some(v) if v.is_finite() => (v * 100.0).round().clamp(-32_768.0, 32_766.0) as i16,
        _ => UNSET,
    }
}

/// The five loudness fields: integrated, range, true peak, and the
/// momentary and short-term maxima (not measured: unset).
pub fn bext_loudness(l: &Loudness) -> [u8; 10] {
    let mut out = [0u8; 10];
    let values = [
        hundredths(l.integrated_lufs),
        hundredths(l.range_lu),
        hundredths(l.true_peak_dbtp),
        UNSET,
        UNSET,
    ];
    for (slot, v) in out.chunks_exact_mut(2).zip(values) {
        slot.copy_from_slice(&v.to_le_bytes());
    }
    out
}

/// The body of a `bext` chunk (without its id and size). `coding` is the
/// CodingHistory line, e.g. `A=PCM,F=48000,W=24,M=mono,T=klang`.
pub fn bext(origin: &Origin, coding: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(BEXT_FIXED + coding.len() + 2);
    field(&mut out, &origin.description, DESCRIPTION);
    field(&mut out, "klang", ORIGINATOR);
    field(&mut out, &origin.reference, REFERENCE);
    field(&mut out, &origin.created.format("%Y-%m-%d").to_string(), 10);
    field(&mut out, &origin.created.format("%H-%M-%S").to_string(), 8);
    // TimeReference: the first sample is at 0.
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.resize(out.len() + 64, 0); // no UMID
    out.extend_from_slice(&bext_loudness(&Loudness::default()));
    out.resize(BEXT_FIXED, 0);
    out.extend_from_slice(coding.as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// `s` with the five XML special characters escaped and control
/// characters (which XML 1.0 refuses) left out.
fn xml_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The body of an iXML chunk: the description as the NOTE, the model, the
/// reference and the parameters (JSON) as klang's own elements, which
/// readers that do not know them skip.
pub fn ixml(origin: &Origin) -> Vec<u8> {
    let params = origin.params.to_string();
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BWFXML>\n<IXML_VERSION>2.10</IXML_VERSION>\n<PROJECT>klang</PROJECT>\n<NOTE>{}</NOTE>\n<USER>model={}; reference={}</USER>\n<KLANG>\n<MODEL>{}</MODEL>\n<REFERENCE>{}</REFERENCE>\n<CREATED>{}</CREATED>\n<PARAMS>{}</PARAMS>\n</KLANG>\n</BWFXML>\n",
        xml_escaped(&origin.description),
        xml_escaped(&origin.model),
        xml_escaped(&origin.reference),
        xml_escaped(&origin.model),
        xml_escaped(&origin.reference),
        origin
            .created
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        xml_escaped(&params),
    );
    text.into_bytes()
}

/// The longest value a Vorbis comment here holds: a FLAC metadata block is
/// at most 16 MiB, and a script read aloud can be long.
const COMMENT_VALUE_MAX: usize = 16 * 1024;

/// The comments of a FLAC's VORBIS_COMMENT block: the origin's, then
/// `extra` (e.g. LOOPSTART).
pub fn vorbis_comments(origin: Option<&Origin>, extra: &[(&str, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(o) = origin {
        let mut add = |k: &str, v: &str| {
            out.push((k.to_string(), cut_to(v, COMMENT_VALUE_MAX).to_string()));
        };
        // ffprobe shows it as `comment`, as it shows a WAV's bext
        // Description.
        add("DESCRIPTION", &o.description);
        add("ENCODED_BY", "klang");
        add("ORGANIZATION", "klang");
        add("KLANG_REFERENCE", &o.reference);
        add(
            "DATE",
            &o.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        add("KLANG_MODEL", &o.model);
        add("KLANG_PARAMS", &o.params.to_string());
    }
    out.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    out
}

/// The body of a FLAC VORBIS_COMMENT metadata block (no framing bit).
pub fn vorbis_comment_block(comments: &[(String, String)]) -> Vec<u8> {
    let vendor = b"klang";
    let mut out = Vec::new();
    let put = |out: &mut Vec<u8>, bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    };
    put(&mut out, vendor);
    out.extend_from_slice(&(comments.len() as u32).to_le_bytes());
    for (k, v) in comments {
        put(&mut out, format!("{k}={v}").as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn origin(description: &str) -> Origin {
        Origin {
            description: description.into(),
            reference: "task_0123456789abcdef0123456789abcdef".into(),
            model: "kling-sound-effects".into(),
            params: serde_json::json!({"prompt": "a <door> & \"wind\"", "duration": 5}),
            created: Utc.with_ymd_and_hms(2026, 12, 7, 21, 5, 9).unwrap(),
        }
    }

    #[test]
    fn bext_fields_sit_where_the_standard_puts_them() {
        let b = bext(
            &origin("rain on a tin roof"),
            "A=PCM,F=48000,W=24,M=mono,T=klang",
        );
        assert_eq!(&b[..18], b"rain on a tin roof");
        assert_eq!(b[18], 0);
        assert_eq!(&b[256..261], b"klang");
        // The reference is cut to its 32 bytes.
        assert_eq!(&b[288..320], b"task_0123456789abcdef0123456789a");
        assert_eq!(&b[320..330], b"2026-12-07");
        assert_eq!(&b[330..338], b"21-05-09");
        assert_eq!(&b[338..346], &[0; 8], "TimeReference 0");
        assert_eq!(u16::from_le_bytes([b[346], b[347]]), 2);
        assert_eq!(
            &b[BEXT_LOUDNESS_OFFSET..BEXT_LOUDNESS_OFFSET + 2],
            &[0xff, 0x7f]
        );
        assert!(b[602..].starts_with(b"A=PCM,F=48000"));
        assert!(b.ends_with(b"\r\n"));
    }

    #[test]
    fn a_long_description_is_cut_on_a_character_boundary() {
        // 255 ASCII bytes then a 2-byte character: it does not fit.
        let text = format!("{}é and more", "a".repeat(255));
        let b = bext(&origin(&text), "");
        assert_eq!(&b[..255], "a".repeat(255).as_bytes());
        assert_eq!(b[255], 0);
        assert_eq!(cut_to("héllo", 2), "h");
        assert_eq!(cut_to("héllo", 3), "hé");
    }

    #[test]
    fn ixml_escapes_what_would_break_the_xml() {
        let x = String::from_utf8(ixml(&origin("a <b> & c"))).unwrap();
        assert!(x.contains("<NOTE>a &lt;b&gt; &amp; c</NOTE>"), "{x}");
        assert!(x.contains("&lt;door&gt; &amp; \\&quot;wind"), "{x}");
        assert!(x.contains("<MODEL>kling-sound-effects</MODEL>"));
    }

    #[test]
    fn loudness_fields_are_hundredths_or_unset() {
        let l = bext_loudness(&Loudness {
            integrated_lufs: Some(-23.456),
            range_lu: Some(4.0),
            true_peak_dbtp: None,
        });
        assert_eq!(i16::from_le_bytes([l[0], l[1]]), -2346);
        assert_eq!(i16::from_le_bytes([l[2], l[3]]), 400);
        assert_eq!(i16::from_le_bytes([l[4], l[5]]), 0x7fff);
    }

    #[test]
    fn a_vorbis_comment_block_counts_its_comments() {
        let comments = vorbis_comments(Some(&origin("rain")), &[("LOOPSTART", "10".into())]);
        let block = vorbis_comment_block(&comments);
        assert_eq!(&block[..9], b"\x05\0\0\0klang");
        assert_eq!(u32::from_le_bytes(block[9..13].try_into().unwrap()), 8);
        let text = String::from_utf8_lossy(&block);
        assert!(text.contains("DESCRIPTION=rain"));
        assert!(text.contains("KLANG_REFERENCE=task_0123"));
        assert!(text.contains("LOOPSTART=10"));
    }
}
