//! The splitter: a script becomes chunks the TTS model takes in one call.
//!
//! - A chunk holds at most [`MAX_CHARS`] Unicode scalar values (what Rust
//!   calls a `char`, what the provider counts).
//! - Chunks end at sentence ends: `. ! ? …` followed by closing quotes or
//!   brackets and a space (or the end); `。！？；…` in Chinese, no space
//!   needed. Abbreviations (Mr. Dr. St. No. e.g. i.e. etc. vs. and single
//!   initials), decimals (3.5) and URLs (a period not followed by a space)
//!   do not end a sentence.
//! - Only a sentence longer than the limit is cut inside: after the last
//!   `, ; : ，、` that fits, else at the last space, else at the limit.
//! - Sentences are packed greedily within a paragraph; a blank line, a
//!   heading and a pause start a new chunk, so an edit changes only the
//!   chunks of its own paragraph.
//!
//! Pure: no I/O, linear in the length of the script.

use super::markdown::{Block, Spoken, blocks};
use std::ops::Range;

/// The most characters one TTS call takes.
pub const MAX_CHARS: usize = 1000;

/// What comes before a chunk when the pieces are joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "ms")]
pub enum Join {
    /// The first chunk: nothing.
    Start,
    /// The next sentences of the same paragraph: `--gap`.
    Sentence,
    /// A new paragraph or heading: `--paragraph-gap`.
    Paragraph,
    /// An explicit `[pause N ms]`: exactly that.
    Pause(u32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// What is sent (at most [`MAX_CHARS`] characters).
    pub text: String,
    /// The bytes of the source it came from.
    pub span: Range<usize>,
    pub join: Join,
    /// A heading's chapter starts with this chunk.
    pub chapter: Option<String>,
    /// Its sentences, as char ranges of `text` (a cut piece of a long
    /// sentence is one).
    pub sentences: Vec<Range<usize>>,
}

impl Chunk {
    pub fn chars(&self) -> usize {
        self.text.chars().count()
    }
}

/// A script split into chunks, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    pub chunks: Vec<Chunk>,
}

impl Script {
    pub fn characters(&self) -> usize {
        self.chunks.iter().map(Chunk::chars).sum()
    }
}

pub fn split(source: &str) -> Script {
    let mut chunks = Vec::new();
    let mut join = Join::Start;
    let mut chapter: Option<String> = None;
    for block in blocks(source) {
        match block {
            Block::Break => {
                if join == Join::Sentence {
                    join = Join::Paragraph;
                }
            }
            Block::Pause(ms) => {
                join = match join {
                    Join::Pause(before) => Join::Pause(before.saturating_add(ms)),
                    _ => Join::Pause(ms),
                };
            }
            Block::Chapter(name) => {
                chapter = Some(name);
                if join == Join::Sentence {
                    join = Join::Paragraph;
                }
            }
            Block::Text(text) => {
                for (n, range) in pack(&text).into_iter().enumerate() {
                    let mut chunk = make_chunk(&text, range);
                    chunk.join = if n == 0 { join } else { Join::Sentence };
                    if chunk.join == Join::Start && !chunks.is_empty() {
                        chunk.join = Join::Paragraph;
                    }
                    chunk.chapter = chapter.take();
                    chunks.push(chunk);
                }
                join = Join::Sentence;
            }
        }
    }
    Script { chunks }
}

/// One chunk of `text[range]` (char indices), with its sentences.
fn make_chunk(text: &[Spoken], piece: Packed) -> Chunk {
    let Packed { range, sentences } = piece;
    let slice = &text[range.clone()];
    let span = match (slice.first(), slice.last()) {
        (Some(a), Some(b)) => a.at..b.at + b.ch.len_utf8(),
        _ => 0..0,
    };
    Chunk {
        text: slice.iter().map(|s| s.ch).collect(),
        span,
        join: Join::Sentence,
        chapter: None,
        sentences: sentences
            .into_iter()
            .map(|s| s.start - range.start..s.end - range.start)
            .collect(),
    }
}

struct Packed {
    range: Range<usize>,
    sentences: Vec<Range<usize>>,
}

/// Greedy packing of one paragraph's sentences into chunks.
fn pack(text: &[Spoken]) -> Vec<Packed> {
    let chars: Vec<char> = text.iter().map(|s| s.ch).collect();
    let mut out: Vec<Packed> = Vec::new();
    let mut current: Option<Packed> = None;
    for sentence in sentences(&chars) {
        if sentence.len() > MAX_CHARS {
            out.extend(current.take());
            let mut parts = cut_long(&chars, sentence);
            let last = parts.pop();
            out.extend(parts.into_iter().map(|r| Packed {
                range: r.clone(),
                sentences: vec![r],
            }));
            current = last.map(|r| Packed {
                range: r.clone(),
                sentences: vec![r],
            });
            continue;
        }
        let fits = current
            .as_ref()
            .is_some_and(|c| sentence.end - c.range.start <= MAX_CHARS);
        if let Some(c) = current.as_mut().filter(|_| fits) {
            c.range.end = sentence.end;
            c.sentences.push(sentence);
        } else {
            out.extend(current.take());
            current = Some(Packed {
                range: sentence.clone(),
                sentences: vec![sentence],
            });
        }
    }
    out.extend(current);
    out
}

const CLOSERS: &[char] = &[
    '"', '\'', '”', '’', ')', ']', '}', '»', '」', '』', '）', '》', '】', '〉',
];
const CJK_ENDS: &[char] = &['。', '！', '？', '；'];
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "no", "vs", "etc", "e.g", "i.e", "prof", "sr", "jr", "cf",
    "fig", "approx", "inc", "ltd", "co", "mt", "vol", "p", "pp",
];

/// The sentences of a paragraph, as char ranges without the spaces
/// between them.
pub fn sentences(chars: &[char]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = sentence_end(chars, i) {
            push_trimmed(chars, start..end, &mut out);
            start = end;
            i = end;
        } else {
            i += 1;
        }
    }
    push_trimmed(chars, start..chars.len(), &mut out);
    out
}

fn push_trimmed(chars: &[char], mut r: Range<usize>, out: &mut Vec<Range<usize>>) {
    while r.start < r.end && chars[r.start].is_whitespace() {
        r.start += 1;
    }
    while r.end > r.start && chars[r.end - 1].is_whitespace() {
        r.end -= 1;
    }
    if !r.is_empty() {
        out.push(r);
    }
}

/// Where the sentence ends if the punctuation at `i` ends one.
fn sentence_end(chars: &[char], i: usize) -> Option<usize> {
    let c = chars[i];
    let terminal = |c: char| matches!(c, '.' | '!' | '?' | '…') || CJK_ENDS.contains(&c);
    if !terminal(c) {
        return None;
    }
    let mut j = i + 1;
    while j < chars.len() && terminal(chars[j]) {
        j += 1;
    }
    while j < chars.len() && CLOSERS.contains(&chars[j]) {
        j += 1;
    }
    let cjk = chars[i..j].iter().any(|c| CJK_ENDS.contains(c));
    let at_break = j == chars.len() || chars[j].is_whitespace();
    if cjk {
        return Some(j);
    }
    // "…" followed by a CJK character ends a Chinese sentence.
    if c == '…' && chars.get(j).is_some_and(|n| is_cjk(*n)) {
        return Some(j);
    }
    if !at_break {
        return None;
    }
    if c == '.' && j == i + 1 + closers_after(chars, i + 1) && is_abbreviation(chars, i) {
        return None;
    }
    Some(j)
}

fn closers_after(chars: &[char], from: usize) -> usize {
    chars[from..]
        .iter()
        .take_while(|c| CLOSERS.contains(c))
        .count()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// The word before the period at `dot` is an abbreviation or an initial.
fn is_abbreviation(chars: &[char], dot: usize) -> bool {
    let mut start = dot;
    while start > 0
        && !chars[start - 1].is_whitespace()
        && !matches!(chars[start - 1], '(' | '[' | '"' | '“' | '‘' | '\'')
    {
        start -= 1;
    }
    let word: String = chars[start..dot].iter().collect::<String>().to_lowercase();
    // An initial (J. R. R. Tolkien), but not "I." ending a sentence.
    if word.chars().count() == 1 && chars[start].is_uppercase() && chars[start] != 'I' {
        return true;
    }
    ABBREVIATIONS.contains(&word.as_str())
}

/// A sentence longer than the limit, cut into pieces that fit: after the
/// last clause mark that fits, else at the last space, else at the limit.
fn cut_long(chars: &[char], sentence: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = sentence.start;
    while sentence.end - start > MAX_CHARS {
        let limit = start + MAX_CHARS;
        let window = &chars[start..limit];
        let clause = window
            .iter()
            .rposition(|c| matches!(c, ',' | ';' | ':' | '，' | '、'))
            .map(|p| start + p + 1);
        let space = window
            .iter()
            .rposition(|c| c.is_whitespace())
            .map(|p| start + p);
        let end = clause
            .filter(|&e| e > start)
            .or(space.filter(|&e| e > start))
            .unwrap_or(limit);
        push_trimmed(chars, start..end, &mut out);
        start = end;
        while start < sentence.end && chars[start].is_whitespace() {
            start += 1;
        }
    }
    push_trimmed(chars, start..sentence.end, &mut out);
    out
}

#[cfg(test)]
mod tests;
