//! What is not spoken: markup (`<i>`, `<font ...>`, WebVTT's `<c.x>`,
//! `<v Name>` and timestamps, ASS override blocks `{\...}` that SRT files
//! carry too, HTML entities), the dialogue dash, and the speaker label
//! ("JOHN:", or the `<v>` voice), which is returned apart.

/// A cue's lines (SRT or WebVTT) as spoken text and its speaker.
pub(super) fn cue_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> (String, Option<String>) {
    let mut speaker = None;
    let mut parts = Vec::new();
    for line in lines {
        let (text, voice) = markup(line);
        let (label, rest) = split_label(&text);
        // The first name found speaks the cue; a second speaker in the same
        // cue ("- JOHN: Hi. / - MARY: Hello.") loses the label, not the words.
        speaker = speaker.or(voice).or(label);
        parts.push(rest.to_string());
    }
    (spoken(&parts.join(" ")), speaker)
}

/// An ASS Dialogue's Text field as spoken text, and a label found in it.
pub(super) fn ass_text(text: &str) -> (String, Option<String>) {
    let mut out = String::with_capacity(text.len());
    // `\p1` .. `\p0` draws a vector shape: its "text" is drawing commands.
    let mut drawing = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '{'
            && let Some(close) = rest.find('}')
        {
            if let Some(level) = drawing_level(&rest[1..close]) {
                drawing = level != 0;
            }
            rest = &rest[close + 1..];
            continue;
        }
        if c == '\\' && matches!(rest.as_bytes().get(1), Some(b'N' | b'n' | b'h')) {
            out.push(' ');
            rest = &rest[2..];
            continue;
        }
        if !drawing {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    let (label, words) = split_label(&out);
    (spoken(words), label)
}

/// The last `\pN` in an override block, if any.
fn drawing_level(block: &str) -> Option<u32> {
    block
        .split('\\')
        .filter_map(|tag| tag.strip_prefix('p'))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|n| n.parse().ok())
        .next_back()
}

/// `line` without markup and entities, and the `<v>` voice named in it.
fn markup(line: &str) -> (String, Option<String>) {
    let mut out = String::with_capacity(line.len());
    let mut voice = None;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                if let Some(close) = rest.find('>')
                    && is_tag(&rest[1..close])
                {
                    let tag = &rest[1..close];
                    if voice.is_none() {
                        voice = voice_of(tag);
                    }
                    rest = &rest[close + 1..];
                    continue;
                }
            }
            '{' if rest[1..].starts_with('\\') => {
                if let Some(close) = rest.find('}') {
                    rest = &rest[close + 1..];
                    continue;
                }
            }
            '&' => {
                if let Some((decoded, len)) = entity(rest) {
                    out.push(decoded);
                    rest = &rest[len..];
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    (out, voice)
}

/// Whether `<inside>` is markup: `</x>`, `<x ...>` starting with a letter,
/// or a WebVTT timestamp `<00:01.500>`. "a < b > c" and "<3" are words.
fn is_tag(inside: &str) -> bool {
    let name = inside.strip_prefix('/').unwrap_or(inside);
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => !inside.contains('<'),
        Some(c) if c.is_ascii_digit() => {
            inside.contains(':')
                && inside
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
        }
        _ => false,
    }
}

/// "John Smith" from `v John Smith` or `v.loud John Smith`.
fn voice_of(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix('v')?;
    if !rest.starts_with([' ', '\t', '.']) {
        return None;
    }
    let name = rest.split_once([' ', '\t'])?.1.trim();
    (!name.is_empty()).then(|| spoken(name))
}

/// An HTML entity at the start of `s`: the character and the length taken.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.get(..12).unwrap_or(s).find(';')?;
    let name = &s[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "lrm" | "rlm" => ' ',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

/// The dialogue dash and a speaker label at the start of `line`: "- JOHN:
/// Hi" gives ("JOHN", "Hi"). A label is up to 32 characters of capitals,
/// digits, spaces and `.'-&` with at least one capital and no small
/// letter, then a colon (or a full-width one) and a space or the end: so
/// "Note: this" and "10:30" stay words.
fn split_label(line: &str) -> (Option<String>, &str) {
    let line = line.trim_start();
    let line = match line.strip_prefix(['-', '\u{2013}', '\u{2014}']) {
        Some(rest) if !rest.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
            rest.trim_start()
        }
        _ => line,
    };
    let Some((name, rest)) = line.split_once([':', '\u{FF1A}']) else {
        return (None, line);
    };
    let name = name.trim();
    let is_label = (1..=32).contains(&name.chars().count())
        && name.chars().any(char::is_uppercase)
        && !name.chars().any(char::is_lowercase)
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '\'' | '-' | '&'))
        && (rest.is_empty() || rest.starts_with(char::is_whitespace));
    if is_label {
        (Some(name.to_string()), rest.trim_start())
    } else {
        (None, line)
    }
}

/// Whitespace and control characters folded into single spaces.
fn spoken(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> (String, Option<String>) {
        cue_lines(text.lines())
    }

    #[test]
    fn markup_goes_and_words_stay() {
        assert_eq!(
            lines("<i>Hello</i>, <font color=\"#ff0000\">world</font>!").0,
            "Hello, world!"
        );
        assert_eq!(lines("{\\an8}<b>Up</b> here").0, "Up here");
        assert_eq!(lines("<c.yellow>one</c> <00:00:01.500>two").0, "one two");
        assert_eq!(lines("a < b and c > d, <3").0, "a < b and c > d, <3");
        assert_eq!(
            lines("Tom &amp; Jerry &lt;3 &#233;t&#xE9;").0,
            "Tom & Jerry <3 été"
        );
        assert_eq!(lines("{not a tag} stays").0, "{not a tag} stays");
        assert_eq!(lines("two\nlines\u{1b}[31m").0, "two lines [31m");
    }

    #[test]
    fn speaker_labels_are_taken_out() {
        assert_eq!(lines("JOHN: Hi."), ("Hi.".into(), Some("JOHN".into())));
        assert_eq!(
            lines("- MARY ANN: Yes?\n- DR. O'NEIL: No."),
            ("Yes? No.".into(), Some("MARY ANN".into()))
        );
        assert_eq!(
            lines("<v.loud John Smith>Hey</v>"),
            ("Hey".into(), Some("John Smith".into()))
        );
        assert_eq!(
            lines("Note: this is spoken"),
            ("Note: this is spoken".into(), None)
        );
        assert_eq!(lines("At 10:30 sharp"), ("At 10:30 sharp".into(), None));
        assert_eq!(lines("-5 degrees"), ("-5 degrees".into(), None));
        assert_eq!(lines("- Go!"), ("Go!".into(), None));
        assert_eq!(lines("JOHN:"), (String::new(), Some("JOHN".into())));
    }

    #[test]
    fn ass_override_blocks_and_drawings_are_not_spoken() {
        assert_eq!(
            ass_text("{\\an8\\b1}Hello,{\\b0}\\Nworld\\hagain\\n!").0,
            "Hello, world again !"
        );
        assert_eq!(ass_text("{\\p1}m 0 0 l 100 0 100 100{\\p0}Said").0, "Said");
        assert_eq!(ass_text("{a comment}Kept {\\i1}words").0, "Kept words");
        assert_eq!(
            ass_text("BOB: {\\i1}there"),
            ("there".into(), Some("BOB".into()))
        );
    }
}
