//! From plain text or Markdown to what is spoken: paragraphs of plain text,
//! each character remembering the byte of the source it came from, with
//! the explicit pauses and the headings (chapters) between them.
//!
//! Blank lines, headings, rules and code fences end a paragraph. Lines of
//! one paragraph are joined by one space; runs of whitespace become one.
//! Markup is not spoken: heading hashes, list bullets and numbers, quote
//! marks, emphasis, inline code ticks, link targets, HTML tags and fenced
//! code blocks are left out; a link is spoken as its text.

/// One character of spoken text and the byte offset in the source it
/// stands for (a joining space stands for the line break).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spoken {
    pub ch: char,
    pub at: usize,
}

/// What the source holds, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Spoken text (never empty, no leading or trailing space).
    Text(Vec<Spoken>),
    /// `[pause 800ms]`: exactly this silence, in milliseconds.
    Pause(u32),
    /// A blank line, rule or fence: the next text starts a new paragraph.
    Break,
    /// A heading: a chapter starts with the text that follows (the
    /// heading's own text comes next as a `Text` block of its own).
    Chapter(String),
}

/// The longest pause one `[pause …]` may ask for (one minute).
pub const MAX_PAUSE_MS: u32 = 60_000;

pub fn blocks(source: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut para: Vec<Spoken> = Vec::new();
    let mut fence: Option<&str> = None;
    let mut offset = 0;
    for raw in source.split_inclusive('\n') {
        let line_at = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if let Some(marker) = fence {
            if trimmed.starts_with(marker) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            flush(&mut para, &mut out);
            out.push(Block::Break);
            fence = Some(&trimmed[..3]);
            continue;
        }
        if trimmed.is_empty() || is_rule(trimmed) {
            flush(&mut para, &mut out);
            out.push(Block::Break);
            continue;
        }
        if let Some(title) = heading(trimmed) {
            flush(&mut para, &mut out);
            out.push(Block::Break);
            let mut text = Vec::new();
            inline(title, offset_in(source, title), &mut text, &mut out);
            let name: String = text.iter().map(|s| s.ch).collect();
            out.push(Block::Chapter(collapse(&name)));
            flush(&mut text, &mut out);
            out.push(Block::Break);
            continue;
        }
        let body = strip_block_prefix(trimmed);
        if !para.is_empty() {
            para.push(Spoken {
                ch: ' ',
                at: line_at,
            });
        }
        inline(body, offset_in(source, body), &mut para, &mut out);
    }
    flush(&mut para, &mut out);
    out
}

/// Where `part`, a slice of `whole`, starts in it.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// Ends the paragraph so far as one `Text` block (whitespace collapsed).
fn flush(para: &mut Vec<Spoken>, out: &mut Vec<Block>) {
    let mut text: Vec<Spoken> = Vec::with_capacity(para.len());
    for s in para.drain(..) {
        if s.ch.is_whitespace() {
            if text.last().is_some_and(|l| l.ch != ' ') {
                text.push(Spoken { ch: ' ', at: s.at });
            }
        } else {
            text.push(s);
        }
    }
    while text.last().is_some_and(|l| l.ch == ' ') {
        text.pop();
    }
    if !text.is_empty() {
        out.push(Block::Text(text));
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `---`, `***`, `___`, `===` (three or more, spaces allowed).
fn is_rule(line: &str) -> bool {
    let marks: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    marks.len() >= 3
        && ['-', '*', '_', '='].contains(&marks[0])
        && marks.iter().all(|c| *c == marks[0])
}

/// The text of an ATX heading (`# Title`, up to six hashes).
fn heading(line: &str) -> Option<&str> {
    let hashes = line.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &line[hashes..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some(rest.trim().trim_end_matches('#').trim_end())
}

/// A line without its quote marks and list bullet or number.
fn strip_block_prefix(mut line: &str) -> &str {
    loop {
        let before = line;
        if let Some(rest) = line.strip_prefix('>') {
            line = rest.trim_start();
        }
        for bullet in ["- ", "* ", "+ "] {
            if let Some(rest) = line.strip_prefix(bullet) {
                line = rest.trim_start();
            }
        }
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=9).contains(&digits)
            && let Some(rest) = line[digits..]
                .strip_prefix(". ")
                .or_else(|| line[digits..].strip_prefix(") "))
        {
            line = rest.trim_start();
        }
        if line == before {
            return line;
        }
    }
}

/// Appends the spoken characters of one line's inline Markdown, starting
/// at byte `at` of the source. A pause ends the text so far.
fn inline(s: &str, at: usize, para: &mut Vec<Spoken>, out: &mut Vec<Block>) {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (b, c) = chars[i];
        let here = at + b;
        match c {
            '\\' if chars
                .get(i + 1)
                .is_some_and(|(_, n)| n.is_ascii_punctuation()) =>
            {
                let (nb, n) = chars[i + 1];
                para.push(Spoken { ch: n, at: at + nb });
                i += 2;
            }
            '[' => {
                if let Some((ms, len)) = pause(&s[b..]) {
                    flush(para, out);
                    out.push(Block::Pause(ms));
                    i = skip_bytes(&chars, i, b + len);
                } else if let Some((text, len)) = link(&s[b..]) {
                    inline(text, here + 1, para, out);
                    i = skip_bytes(&chars, i, b + len);
                } else {
                    para.push(Spoken { ch: c, at: here });
                    i += 1;
                }
            }
            '!' if s[b..].starts_with("![") && link(&s[b + 1..]).is_some() => {
                if let Some((text, len)) = link(&s[b + 1..]) {
                    inline(text, here + 2, para, out);
                    i = skip_bytes(&chars, i, b + 1 + len);
                }
            }
            '`' => i += 1,
            '*' | '~' => {
                let run = chars[i..].iter().take_while(|(_, x)| *x == c).count();
                let prev = i.checked_sub(1).map(|p| chars[p].1);
                let next = chars.get(i + run).map(|(_, x)| *x);
                let spaced =
                    prev.is_none_or(char::is_whitespace) && next.is_none_or(char::is_whitespace);
                if spaced || (c == '~' && run == 1) {
                    for k in 0..run {
                        para.push(Spoken {
                            ch: c,
                            at: here + k,
                        });
                    }
                }
                i += run;
            }
            '_' => {
                let run = chars[i..].iter().take_while(|(_, x)| *x == '_').count();
                let prev = i.checked_sub(1).map(|p| chars[p].1);
                let next = chars.get(i + run).map(|(_, x)| *x);
                let inside_word = prev.is_some_and(char::is_alphanumeric)
                    && next.is_some_and(char::is_alphanumeric);
                if inside_word {
                    for k in 0..run {
                        para.push(Spoken {
                            ch: '_',
                            at: here + k,
                        });
                    }
                }
                i += run;
            }
            '<' => match tag(&s[b..]) {
                Some((inner, len)) => {
                    if inner.starts_with("http://")
                        || inner.starts_with("https://")
                        || inner.starts_with("mailto:")
                    {
                        inline(inner, here + 1, para, out);
                    }
                    i = skip_bytes(&chars, i, b + len);
                }
                None => {
                    para.push(Spoken { ch: c, at: here });
                    i += 1;
                }
            },
            _ => {
                para.push(Spoken { ch: c, at: here });
                i += 1;
            }
        }
    }
}

/// The index of the first char at or after byte `end`.
fn skip_bytes(chars: &[(usize, char)], from: usize, end: usize) -> usize {
    let mut i = from;
    while i < chars.len() && chars[i].0 < end {
        i += 1;
    }
    i
}

/// `[pause 800ms]` or `[pause 1.5s]` at the start of `s`: the milliseconds
/// and the bytes it takes.
pub fn pause(s: &str) -> Option<(u32, usize)> {
    let close = s.find(']')?;
    let inner = s[1..close].trim();
    let (word, amount) = inner.split_once(char::is_whitespace)?;
    if !word.eq_ignore_ascii_case("pause") {
        return None;
    }
    let amount = amount.trim().to_ascii_lowercase();
    let ms = if let Some(n) = amount.strip_suffix("ms") {
        n.trim().parse::<f64>().ok()?
    } else if let Some(n) = amount.strip_suffix('s') {
        n.trim().parse::<f64>().ok()? * 1000.0
    } else {
        return None;
    };
    if !(ms.is_finite() && (0.0..=f64::from(MAX_PAUSE_MS)).contains(&ms)) {
        return None;
    }
    Some((ms.round() as u32, close + 1))
}

/// `[text](target)` or `[text][ref]` at the start of `s`: the text and
/// the bytes the whole link takes.
fn link(s: &str) -> Option<(&str, usize)> {
    let mut depth = 0usize;
    let mut close = None;
    for (b, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(b);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close?;
    let text = &s[1..close];
    let rest = &s[close + 1..];
    let shut = if rest.starts_with('(') {
        ')'
    } else if rest.starts_with('[') {
        ']'
    } else {
        return None;
    };
    let end = rest.find(shut)?;
    Some((text, close + 1 + end + 1))
}

/// An HTML tag or autolink `<…>` at the start of `s` (no space in an
/// autolink, a letter, `/` or `!` first): what is inside, and its bytes.
fn tag(s: &str) -> Option<(&str, usize)> {
    let first = s[1..].chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '/' || first == '!') {
        return None;
    }
    let end = s.find('>')?;
    let inner = &s[1..end];
    if inner.contains('<') {
        return None;
    }
    Some((inner, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<String> {
        blocks(source)
            .into_iter()
            .filter_map(|b| match b {
                Block::Text(t) => Some(t.iter().map(|s| s.ch).collect()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn markup_is_not_spoken() {
        let src = "# The *Title*\n\n- **Bold** and _em_ with `code`, see [the site](https://x.example/a_b).\n- snake_case stays; 2 * 3 stays\n> quoted <br> line <https://k.example>\n\n```\nlet x = 1;\n```\n1. Numbered ![alt text](i.png)\n";
        assert_eq!(
            texts(src),
            vec![
                "The Title",
                "Bold and em with code, see the site. snake_case stays; 2 * 3 stays quoted line https://k.example",
                "Numbered alt text",
            ]
        );
    }

    #[test]
    fn offsets_point_into_the_source() {
        let src = "Hello *you*\nthere.";
        let Some(Block::Text(t)) = blocks(src).into_iter().next() else {
            panic!("text");
        };
        for s in &t {
            if s.ch != ' ' {
                assert!(src[s.at..].starts_with(s.ch), "{s:?}");
            }
        }
    }

    #[test]
    fn pauses_and_chapters_are_blocks() {
        let b = blocks("# One\nA. [pause 800ms] B.\n[PAUSE 1.5s]\n");
        assert_eq!(b[0], Block::Break);
        assert_eq!(b[1], Block::Chapter("One".into()));
        assert!(matches!(b[2], Block::Text(_)));
        assert!(b.contains(&Block::Pause(800)));
        assert!(b.contains(&Block::Pause(1500)));
        assert_eq!(pause("[pause 2m]"), None);
        assert_eq!(pause("[pause 61s]"), None);
    }
}
