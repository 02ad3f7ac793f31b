//! Subtitle files read for `klang dub`: SRT, WebVTT and ASS/SSA, in UTF-8
//! (with or without a BOM), UTF-16 with a BOM, or a legacy encoding guessed
//! from the bytes (CP1252, GBK, Big5, ...: see [`decode`]). Each cue keeps
//! only what is spoken: styling and the speaker label go (the label to
//! [`Cue::speaker`], which picks the voice). Files come as people make
//! them, so missing or wrong indices, cues out of order (sorted) and
//! overlapping cues (kept) are tolerated, with a warning where the result
//! may surprise. Nothing here knows the terminal or the API.

mod ass;
mod clean;
mod decode;
mod timed;

use std::io::Read;
use std::path::Path;

/// The largest subtitle file read, 16 MiB like a speak script: a film's
/// subtitles are about 100 KB, so anything larger is not subtitles (or is
/// `/dev/zero`) and is refused before it fills the memory.
pub const MAX_BYTES: u64 = 16 << 20;

/// One line to speak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cue {
    /// 1-based, in time order, counting only the cues kept.
    pub number: usize,
    pub start_ms: u64,
    pub end_ms: u64,
    /// What is spoken: styling and the speaker label gone, line breaks (and
    /// ASS `\N`) as one space.
    pub text: String,
    /// "JOHN" from "JOHN: ...", "- JOHN: ...", `<v John>` or ASS's Name.
    pub speaker: Option<String>,
    /// 1-based line of the source where the cue's timing is.
    pub line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Srt,
    Vtt,
    Ass,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Srt => "SRT",
            Format::Vtt => "WebVTT",
            Format::Ass => "ASS",
        }
    }
}

/// A parsed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subtitles {
    /// In start-time order.
    pub cues: Vec<Cue>,
    pub format: Format,
    /// encoding_rs's name: "UTF-8", "UTF-16LE", "windows-1252", "GBK", ...
    pub encoding: &'static str,
    /// One line each, for the user: what was tolerated.
    pub warnings: Vec<String>,
    /// Cues with nothing left to speak once styling and labels are gone.
    pub skipped_empty: usize,
}

/// Why a file gives nothing to speak: one line saying what and what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubtitleError {
    #[error("cannot read {path}: {reason}; give an SRT, WebVTT or ASS file")]
    Read { path: String, reason: String },
    #[error("{path}: larger than {} MiB, which is not a subtitle file; give an SRT, WebVTT or ASS file", MAX_BYTES >> 20)]
    TooLarge { path: String },
    #[error(
        "no cue parses: line {line} is not a cue: {excerpt:?}; give an SRT, WebVTT or ASS file with timed cues"
    )]
    NoCue { line: usize, excerpt: String },
    #[error("nothing to speak: {why}")]
    NothingToSpeak { why: String },
}

/// Reads and parses `path`: a regular file only (a FIFO or a device would
/// hang the read), at most [`MAX_BYTES`].
pub fn read(path: &Path) -> Result<Subtitles, SubtitleError> {
    let name = path.display().to_string();
    let cannot = |e: std::io::Error| SubtitleError::Read {
        path: crate::sanitize::single_line(&name).into_owned(),
        reason: e.to_string(),
    };
    let too_large = || SubtitleError::TooLarge {
        path: crate::sanitize::single_line(&name).into_owned(),
    };
    let file = crate::input_file::open_regular(path).map_err(cannot)?;
    if file.metadata().map_err(cannot)?.len() > MAX_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    parse(&bytes)
}

/// Parses a whole file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Subtitles, SubtitleError> {
    let decoded = decode::decode(bytes);
    let mut warnings = Vec::new();
    if decoded.had_errors {
        warnings.push(format!(
            "some bytes are not {}: they read as \u{FFFD}; save the file as UTF-8 if words look wrong",
            decoded.encoding
        ));
    }
    let text = decoded.text.as_ref();
    if text.trim().is_empty() {
        return Err(SubtitleError::NothingToSpeak {
            why: "the file is empty; give an SRT, WebVTT or ASS file with cues".into(),
        });
    }
    let format = sniff(text);
    let scanned = match format {
        Format::Ass => ass::scan(text),
        Format::Srt | Format::Vtt => timed::scan(text, format),
    };
    warnings.extend(scanned.warnings);
    if scanned.cues.is_empty() {
        return Err(match scanned.first_stray {
            Some((line, excerpt)) => SubtitleError::NoCue { line, excerpt },
            None => SubtitleError::NothingToSpeak {
                why: format!(
                    "the {} file has no cues; give a file with timed cues",
                    format.label()
                ),
            },
        });
    }
    let found = scanned.cues.len();
    let (cues, more_warnings) = order(scanned.cues);
    warnings.extend(more_warnings);
    let skipped_empty = found - cues.len();
    if cues.is_empty() {
        return Err(SubtitleError::NothingToSpeak {
            why: format!("all {found} cues are empty once styling and speaker labels are removed"),
        });
    }
    Ok(Subtitles {
        cues,
        format,
        encoding: decoded.encoding,
        warnings,
        skipped_empty,
    })
}

/// A cue as scanned, before the empty ones go and the rest are numbered.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RawCue {
    start_ms: u64,
    end_ms: u64,
    text: String,
    speaker: Option<String>,
    line: usize,
}

/// What a format's scanner found.
#[derive(Debug, Default)]
struct Scanned {
    cues: Vec<RawCue>,
    warnings: Vec<String>,
    /// The first line that is neither a cue nor allowed around cues, with
    /// its start (for the error when no cue parses).
    first_stray: Option<(usize, String)>,
}

impl Scanned {
    /// Notes a line that is not a cue: the first is kept for the error, and
    /// the count for one warning at the end (see [`Scanned::finish`]).
    fn stray(&mut self, line: usize, text: &str, strays: &mut usize) {
        *strays += 1;
        if self.first_stray.is_none() {
            let excerpt: String = crate::sanitize::single_line(text.trim())
                .chars()
                .take(60)
                .collect();
            self.first_stray = Some((line, excerpt));
        }
    }

    fn finish(mut self, strays: usize) -> Scanned {
        if strays > 0
            && !self.cues.is_empty()
            && let Some((line, excerpt)) = &self.first_stray
        {
            self.warnings.push(format!(
                "{strays} line(s) outside any cue were ignored (the first: line {line}, {excerpt:?})"
            ));
        }
        self
    }
}

/// Which format the text is: WebVTT starts with "WEBVTT"; ASS/SSA has a
/// `[Script Info]` or `[Events]` section; anything else is read as SRT.
fn sniff(text: &str) -> Format {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    if first.is_some_and(|l| l.starts_with("WEBVTT")) {
        return Format::Vtt;
    }
    let is_ass = text.lines().take(2000).any(|l| {
        let l = l.trim().to_ascii_lowercase();
        l == "[script info]" || l == "[events]"
    });
    if is_ass { Format::Ass } else { Format::Srt }
}

/// Drops the cues with nothing to say, sorts the rest by start (stable:
/// cues starting together keep their order), numbers them, and warns
/// about disorder and overlaps, once each.
fn order(raw: Vec<RawCue>) -> (Vec<Cue>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut kept: Vec<RawCue> = raw.into_iter().filter(|c| !c.text.is_empty()).collect();
    if let Some(w) = kept.windows(2).find(|w| w[1].start_ms < w[0].start_ms) {
        warnings.push(format!(
            "cues are out of order (line {} starts before the cue above it): sorted by start time",
            w[1].line
        ));
        kept.sort_by_key(|c| c.start_ms);
    }
    let overlapping: Vec<&RawCue> = kept
        .windows(2)
        .filter(|w| w[1].start_ms < w[0].end_ms)
        .map(|w| &w[0])
        .collect();
    if let Some(first) = overlapping.first() {
        warnings.push(format!(
            "{} cue(s) run into the next one (the first at line {}): kept as they are",
            overlapping.len(),
            first.line
        ));
    }
    let cues = kept
        .into_iter()
        .enumerate()
        .map(|(i, c)| Cue {
            number: i + 1,
            start_ms: c.start_ms,
            end_ms: c.end_ms,
            text: c.text,
            speaker: c.speaker,
            line: c.line,
        })
        .collect();
    (cues, warnings)
}
