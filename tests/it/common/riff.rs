//! A test-side RIFF reader, independent of klang's writer: the chunks of a
//! WAV file in order, with their sizes checked against the file's, and the
//! fields of `bext` and `smpl` as the standards lay them out.

use std::path::Path;

/// Every chunk of the file at `path`: its id and body. Panics when a size
/// does not add up (the RIFF size must be the file's, each chunk padded
/// to an even length).
pub fn chunks(path: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).expect("the WAV reads");
    assert_eq!(&bytes[..4], b"RIFF", "{}", path.display());
    assert_eq!(&bytes[8..12], b"WAVE");
    let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff + 8, bytes.len(), "the RIFF size is the file's");
    let mut at = 12;
    let mut out = Vec::new();
    while at + 8 <= bytes.len() {
        let id = String::from_utf8_lossy(&bytes[at..at + 4]).into_owned();
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        assert!(at + 8 + size <= bytes.len(), "chunk {id} runs past the end");
        out.push((id, bytes[at + 8..at + 8 + size].to_vec()));
        at += 8 + size + size % 2;
    }
    assert_eq!(at, bytes.len(), "the chunks end where the file does");
    out
}

pub fn chunk(path: &Path, id: &str) -> Option<Vec<u8>> {
    chunks(path)
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, b)| b)
}

fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// The `bext` fields (EBU Tech 3285).
#[derive(Debug)]
pub struct Bext {
    pub description: String,
    pub originator: String,
    pub reference: String,
    pub date: String,
    pub time: String,
    pub time_reference: u64,
    pub version: u16,
    /// LoudnessValue, LoudnessRange, MaxTruePeakLevel (hundredths).
    pub loudness: [i16; 3],
}

pub fn bext(path: &Path) -> Bext {
    let b = chunk(path, "bext").expect("a bext chunk");
    assert!(b.len() >= 602, "bext is {} bytes", b.len());
    let i16_at = |at: usize| i16::from_le_bytes([b[at], b[at + 1]]);
    Bext {
        description: text(&b[..256]),
        originator: text(&b[256..288]),
        reference: text(&b[288..320]),
        date: text(&b[320..330]),
        time: text(&b[330..338]),
        time_reference: u64::from_le_bytes(b[338..346].try_into().unwrap()),
        version: u16::from_le_bytes([b[346], b[347]]),
        loudness: [i16_at(412), i16_at(414), i16_at(416)],
    }
}

/// The first loop of the `smpl` chunk: (start, end), frames, end inclusive.
pub fn smpl_loop(path: &Path) -> Option<(u32, u32)> {
    let s = chunk(path, "smpl")?;
    let u32_at = |at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap());
    assert!(u32_at(28) >= 1, "the smpl chunk holds a loop");
    Some((u32_at(36 + 8), u32_at(36 + 12)))
}

/// The format tags ffprobe reads (`-show_entries format_tags`), keys
/// lower-cased.
pub fn format_tags(path: &Path) -> std::collections::BTreeMap<String, String> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format_tags", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "ffprobe cannot read {}",
        path.display()
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    doc["format"]["tags"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_lowercase(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}
