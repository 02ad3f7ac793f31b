//! SRT and WebVTT: blocks of an optional index (SRT) or identifier (VTT),
//! a timing line `start --> end [settings]`, and the text lines up to a
//! blank line. Read leniently: a missing or wrong index is ignored (the
//! timing line is what makes a cue), a missing blank line before the next
//! index and timing ends the cue, and times may have one to three digits
//! of fraction after `,` or `.`, hours or not.

use super::{Format, RawCue, Scanned, clean};

pub(super) fn scan(text: &str, format: Format) -> Scanned {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).trim())
        .collect();
    let timing_at = |i: usize| lines.get(i).and_then(|l| timing(l));
    let mut scanned = Scanned::default();
    let mut strays = 0;
    let mut i = 0;
    if format == Format::Vtt {
        // "WEBVTT" and its header lines, up to the first blank line.
        let header = lines.iter().position(|l| !l.is_empty()).unwrap_or(0);
        i = block_end(&lines, header);
    }
    while i < lines.len() {
        let line = lines[i];
        if line.is_empty() {
            i += 1;
        } else if let Some((start_ms, end_ms)) = timing(line) {
            let mut end = i + 1;
            while end < lines.len()
                && !lines[end].is_empty()
                && timing_at(end).is_none()
                && !(is_index(lines[end]) && timing_at(end + 1).is_some())
            {
                end += 1;
            }
            let (text, speaker) = clean::cue_lines(lines[i + 1..end].iter().copied());
            if end_ms < start_ms {
                scanned.warnings.push(format!(
                    "line {}: the cue ends before it starts; read as ending where it starts",
                    i + 1
                ));
            }
            scanned.cues.push(RawCue {
                start_ms,
                end_ms: end_ms.max(start_ms),
                text,
                speaker,
                line: i + 1,
            });
            i = end;
        } else if lines.get(i + 1).is_some_and(|l| l.contains("-->")) {
            // An index or identifier, whatever it says. (Above a timing
            // line that does not parse, that line is the one to name.)
            i += 1;
        } else if format == Format::Vtt && is_vtt_block(line) {
            i = block_end(&lines, i);
        } else {
            scanned.stray(i + 1, line, &mut strays);
            i += 1;
        }
    }
    scanned.finish(strays)
}

/// The index of the blank line (or the end) after the block at `i`.
fn block_end(lines: &[&str], i: usize) -> usize {
    lines[i..]
        .iter()
        .position(|l| l.is_empty())
        .map_or(lines.len(), |p| i + p)
}

/// WebVTT's comment, style and region blocks, not spoken.
fn is_vtt_block(line: &str) -> bool {
    line == "NOTE"
        || line.starts_with("NOTE ")
        || line.starts_with("NOTE\t")
        || line == "STYLE"
        || line == "REGION"
}

fn is_index(line: &str) -> bool {
    !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit())
}

/// `00:01:02,345 --> 00:01:04,000 align:start` as (62345, 64000).
pub(super) fn timing(line: &str) -> Option<(u64, u64)> {
    let (start, rest) = line.split_once("-->")?;
    let end = rest.split_whitespace().next()?;
    Some((timestamp(start.trim())?, timestamp(end)?))
}

/// `HH:MM:SS,mmm`, `H:MM:SS.mmm` or `MM:SS.mmm` (a fraction of one to
/// three digits, or none) in milliseconds.
pub(super) fn timestamp(s: &str) -> Option<u64> {
    let (clock, fraction) = match s.rfind([',', '.']) {
        Some(at) => (&s[..at], &s[at + 1..]),
        None => (s, ""),
    };
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis = match fraction.len() {
        0 => 0,
        n => fraction.parse::<u64>().ok()? * 10u64.pow(3 - n as u32),
    };
    let fields: Vec<u64> = clock
        .split(':')
        .map(|f| {
            if (1..=3).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) {
                f.parse().ok()
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    let (hours, minutes, seconds) = match fields[..] {
        [h, m, s] => (h, m, s),
        [m, s] => (0, m, s),
        _ => return None,
    };
    if minutes >= 60 || seconds >= 60 {
        return None;
    }
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_their_spellings() {
        assert_eq!(timestamp("01:02:03,456"), Some(3_723_456));
        assert_eq!(timestamp("1:02:03.456"), Some(3_723_456));
        assert_eq!(timestamp("02:03.5"), Some(123_500));
        assert_eq!(timestamp("00:00:07"), Some(7_000));
        assert_eq!(timestamp("00:61:00,000"), None);
        assert_eq!(timestamp("00:00:01,0000"), None);
        assert_eq!(timestamp("aa:00:01,000"), None);
        assert_eq!(
            timing("00:00:01.000 --> 00:00:02.500 align:start position:10%"),
            Some((1000, 2500))
        );
        assert_eq!(timing("00:00:01,000 -> 00:00:02,000"), None);
    }

    #[test]
    fn cues_without_blank_lines_or_indices_are_told_apart() {
        let s = scan(
            "1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:03,000 --> 00:00:04,000\nTwo\n00:00:05,000 --> 00:00:06,000\nThree\n\nstray\n",
            Format::Srt,
        );
        let texts: Vec<_> = s.cues.iter().map(|c| (c.text.as_str(), c.line)).collect();
        assert_eq!(texts, [("One", 2), ("Two", 5), ("Three", 7)]);
        assert_eq!(s.first_stray, Some((10, "stray".into())));
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    }

    #[test]
    fn vtt_header_notes_and_styles_are_not_cues() {
        let s = scan(
            "WEBVTT - a film\nKind: captions\n\nSTYLE\n::cue { color: red }\n\nNOTE a comment\nover two lines\n\nintro\n00:01.000 --> 00:02.000\nHi\n",
            Format::Vtt,
        );
        assert_eq!(s.cues.len(), 1);
        assert_eq!(s.cues[0].text, "Hi");
        assert!(s.first_stray.is_none());
        let s = scan("\n\nWEBVTT\n\n00:01.000 --> 00:02.000\nHi\n", Format::Vtt);
        assert_eq!((s.cues.len(), s.warnings.len()), (1, 0), "{:?}", s.warnings);
    }
}
