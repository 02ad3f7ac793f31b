//! Captions and chapters for an assembled piece: SRT and WebVTT with one
//! cue per sentence (a sentence too long for two lines of 42 characters
//! is shown as several cues), and an FFmetadata chapters file.
//!
//! A sentence's time inside its chunk comes from the chunk's own pauses
//! (the silences the assembler found in it), matched to where the
//! sentence boundaries fall by character count; without enough pauses,
//! from the character count alone.

use super::split::Chunk;

/// Characters on one caption line, and lines in one cue.
pub const LINE_CHARS: usize = 42;
pub const CUE_LINES: usize = 2;

/// A chunk where it landed in the output, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Timed<'a> {
    pub chunk: &'a Chunk,
    /// Its speech starts and ends here.
    pub start: f64,
    pub end: f64,
    /// Silences inside it (start, end), in output time.
    pub pauses: &'a [(f64, f64)],
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub lines: Vec<String>,
}

/// Every cue of the piece, in order, none overlapping the next.
pub fn cues(timed: &[Timed<'_>]) -> Vec<Cue> {
    let mut out: Vec<Cue> = Vec::new();
    for t in timed {
        let chars: Vec<char> = t.chunk.text.chars().collect();
        for (range, (start, end)) in t.chunk.sentences.iter().zip(sentence_times(t, chars.len())) {
            let text: String = chars[range.clone()].iter().collect();
            for mut cue in sentence_cues(&text, start, end) {
                if let Some(last) = out.last() {
                    cue.start = cue.start.max(last.end);
                }
                cue.end = cue.end.max(cue.start);
                out.push(cue);
            }
        }
    }
    out
}

/// Each sentence's (start, end) in output time.
fn sentence_times(t: &Timed<'_>, total_chars: usize) -> Vec<(f64, f64)> {
    let sentences = &t.chunk.sentences;
    let length = (t.end - t.start).max(0.0);
    let at = |char_index: usize| t.start + length * char_index as f64 / total_chars.max(1) as f64;
    // Where each boundary falls by character count: between the end of
    // one sentence and the start of the next.
    let expected: Vec<f64> = sentences
        .windows(2)
        .map(|w| (at(w[0].end) + at(w[1].start)) / 2.0)
        .collect();
    let inside: Vec<(f64, f64)> = t
        .pauses
        .iter()
        .copied()
        .filter(|(a, b)| *a >= t.start && *b <= t.end && b > a)
        .collect();
    let mut bounds: Vec<(f64, f64)> = Vec::with_capacity(expected.len());
    if inside.len() >= expected.len() {
        let mut next = 0;
        for (j, want) in expected.iter().enumerate() {
            let last_allowed = inside.len() - (expected.len() - j);
            let best = (next..=last_allowed)
                .min_by(|&a, &b| {
                    let d = |p: usize| ((inside[p].0 + inside[p].1) / 2.0 - want).abs();
                    d(a).total_cmp(&d(b))
                })
                .unwrap_or(next);
            bounds.push(inside[best]);
            next = best + 1;
        }
    } else {
        bounds = expected.iter().map(|&x| (x, x)).collect();
    }
    let mut out = Vec::with_capacity(sentences.len());
    let mut start = t.start;
    for (a, b) in &bounds {
        out.push((start, *a));
        start = *b;
    }
    out.push((start, t.end));
    out
}

/// One sentence as cues of at most two lines each, the time shared by
/// characters.
fn sentence_cues(text: &str, start: f64, end: f64) -> Vec<Cue> {
    let lines = wrap(text, LINE_CHARS);
    let groups: Vec<Vec<String>> = lines.chunks(CUE_LINES).map(<[String]>::to_vec).collect();
    let total: usize = groups.iter().flatten().map(|l| l.chars().count()).sum();
    let mut out = Vec::with_capacity(groups.len());
    let mut at = start;
    let mut done = 0;
    for lines in groups {
        done += lines.iter().map(|l| l.chars().count()).sum::<usize>();
        let until = start + (end - start) * done as f64 / total.max(1) as f64;
        out.push(Cue {
            start: at,
            end: until,
            lines,
        });
        at = until;
    }
    out
}

/// Lines of at most `width` characters, broken at spaces (a longer word
/// is broken where it must).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut line_chars = 0;
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if line_chars > 0 {
                lines.push(std::mem::take(&mut line));
                line_chars = 0;
            }
            lines.push(word.drain(..width).collect());
        }
        let needed = word.len() + usize::from(line_chars > 0);
        if line_chars + needed > width && line_chars > 0 {
            lines.push(std::mem::take(&mut line));
            line_chars = 0;
        }
        if line_chars > 0 {
            line.push(' ');
            line_chars += 1;
        }
        line.extend(word.iter());
        line_chars += word.len();
    }
    if line_chars > 0 {
        lines.push(line);
    }
    lines
}

fn stamp(seconds: f64, separator: char) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

pub fn srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (n, cue) in cues.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n",
            n + 1,
            stamp(cue.start, ','),
            stamp(cue.end, ',')
        ));
        for line in &cue.lines {
            out.push_str(&line.replace("-->", "->"));
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

pub fn vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for cue in cues {
        out.push_str(&format!(
            "{} --> {}\n",
            stamp(cue.start, '.'),
            stamp(cue.end, '.')
        ));
        for line in &cue.lines {
            let escaped = line
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            out.push_str(&escaped);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// An FFmetadata file (`ffmpeg -i audio -i chapters.txt -map_metadata 1`)
/// with a chapter from each heading's chunk to the next heading or `total`.
pub fn chapters(timed: &[Timed<'_>], total: f64) -> String {
    let marks: Vec<(f64, &str)> = timed
        .iter()
        .filter_map(|t| t.chunk.chapter.as_deref().map(|name| (t.start, name)))
        .collect();
    let mut out = String::from(";FFMETADATA1\n");
    for (i, (start, name)) in marks.iter().enumerate() {
        let end = marks.get(i + 1).map_or(total, |(s, _)| *s).max(*start);
        out.push_str(&format!(
            "\n[CHAPTER]\nTIMEBASE=1/1000\nSTART={}\nEND={}\ntitle={}\n",
            (start * 1000.0).round() as u64,
            (end * 1000.0).round() as u64,
            escape_metadata(name)
        ));
    }
    out
}

fn escape_metadata(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '=' | ';' | '#' | '\\' | '\n') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pieces::split::split;

    #[test]
    fn sentences_take_their_times_from_the_pauses() {
        let script = split("One two three. Four five six seven eight nine ten. End.");
        let chunk = &script.chunks[0];
        // The short pause inside the second sentence (a comma) is passed over.
        let pauses = [(1.5, 1.9), (3.0, 3.1), (5.2, 5.6)];
        let t = Timed {
            chunk,
            start: 0.2,
            end: 6.0,
            pauses: &pauses,
        };
        let c = cues(&[t]);
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].start, c[0].end), (0.2, 1.5));
        assert_eq!((c[1].start, c[1].end), (1.9, 5.2));
        assert_eq!((c[2].start, c[2].end), (5.6, 6.0));
        // No pauses: by characters.
        let t = Timed { pauses: &[], ..t };
        let c = cues(&[t]);
        assert!(c.windows(2).all(|w| w[0].end <= w[1].start));
        assert!((c[0].end - (0.2 + 5.8 * 14.5 / 55.0)).abs() < 1e-9);
    }

    #[test]
    fn long_sentences_become_cues_of_two_short_lines() {
        let text = "word ".repeat(60) + "end.";
        let script = split(&text);
        let t = Timed {
            chunk: &script.chunks[0],
            start: 0.0,
            end: 30.0,
            pauses: &[],
        };
        let c = cues(&[t]);
        assert!(c.len() >= 4);
        for cue in &c {
            assert!(cue.lines.len() <= CUE_LINES);
            assert!(cue.lines.iter().all(|l| l.chars().count() <= LINE_CHARS));
        }
        assert_eq!(c.last().map(|c| c.end), Some(30.0));
        let srt = srt(&c);
        assert!(srt.starts_with("1\n00:00:00,000 --> "));
        assert!(vtt(&c).starts_with("WEBVTT\n\n00:00:00.000 --> "));
        assert_eq!(
            wrap(&"x".repeat(50), 42),
            vec!["x".repeat(42), "x".repeat(8)]
        );
    }

    #[test]
    fn chapters_run_from_heading_to_heading() {
        let script = split("# A = 1\nText.\n# B\nMore.");
        let timed: Vec<Timed<'_>> = script
            .chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| Timed {
                chunk,
                start: i as f64,
                end: i as f64 + 0.5,
                pauses: &[],
            })
            .collect();
        let meta = chapters(&timed, 4.0);
        assert_eq!(
            meta,
            ";FFMETADATA1\n\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=2000\ntitle=A \\= 1\n\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=2000\nEND=4000\ntitle=B\n"
        );
    }
}
