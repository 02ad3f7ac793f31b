//! Terminal-safe text. Prompts, fail messages, URLs and file names come from
//! users and from the server; written raw they could move the cursor, recolour
//! the screen, set the clipboard (OSC 52) or reorder what the user reads
//! (bidi overrides, "Trojan Source"). Every place that draws such text goes
//! through here first, and dangerous characters become visible instead of
//! disappearing, so the user sees that something odd was there.

use std::borrow::Cow;

/// What a C1 control, a bidi control or a lone DEL becomes.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Makes `s` safe to print: C0 controls become their visible "control
/// picture" (ESC shows as `␛`, CR as `␍`, BEL as `␇`), DEL becomes `␡`, C1
/// controls and bidi override/isolate/mark characters become `�`. Newlines
/// are kept (line-oriented output needs them) and tabs become one space.
/// Borrows when nothing needed changing, which is the common case.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    clean(s, false)
}

/// Like [`terminal_safe`] but for one line of a table or a title: newlines
/// become `⏎` as well.
pub fn single_line(s: &str) -> Cow<'_, str> {
    clean(s, true)
}

fn clean(s: &str, one_line: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_replacing(c, one_line)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if needs_replacing(c, one_line) {
                    replacement(c)
                } else {
                    c
                }
            })
            .collect(),
    )
}

fn needs_replacing(c: char, one_line: bool) -> bool {
    match c {
        '\n' => one_line,
        c if c.is_control() => true,
        c => is_bidi_control(c),
    }
}

fn replacement(c: char) -> char {
    match c {
        '\n' => '\u{23CE}',
        '\t' => ' ',
        // U+2400.. are the "control pictures": ␀ ␁ ... ␛ ... ␟.
        c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or(REPLACEMENT),
        '\u{7F}' => '\u{2421}',
        _ => REPLACEMENT,
    }
}

/// The URL as an OSC 8 hyperlink target, or `None` when it must not be one:
/// only http(s) URLs whose canonical form is printable ASCII without
/// spaces (the url crate percent-encodes everything else), so nothing in
/// the URL can end the escape sequence early or start another one.
pub fn hyperlink_target(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let target = parsed.as_str();
    (target.len() <= 2048 && target.bytes().all(|b| (0x21..=0x7e).contains(&b)))
        .then(|| target.to_string())
}

/// `text` (made terminal-safe) as an OSC 8 hyperlink to `url` when the URL
/// is a safe target; otherwise just the safe text.
pub fn hyperlink(url: &str, text: &str) -> String {
    let shown = single_line(text);
    match hyperlink_target(url) {
        Some(target) => format!("\x1b]8;;{target}\x1b\\{shown}\x1b]8;;\x1b\\"),
        None => shown.into_owned(),
    }
}

/// The URL as a clipboard should hold it: every byte a URL may not hold
/// raw (controls, spaces, DEL, anything outside ASCII, bidi controls
/// included) percent-encoded from its UTF-8, everything else as the server
/// sent it. Percent-decoding gives back the exact URL; pasting it runs
/// nothing and shows no hidden reordering.
pub fn url_for_clipboard(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        if c.is_ascii_graphic() {
            out.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// JSON text (as serde_json writes it) with every DEL, C1 control, bidi
/// control and line/paragraph separator inside its strings written as a
/// `\uXXXX` escape. serde_json escapes C0 already; these others it passes
/// raw, and a terminal acts on them (U+009B is a CSI, U+202E reverses the
/// line). The escaped text decodes to exactly the same value, so `--json`
/// is safe on a terminal and exact in a file. Outside strings JSON text is
/// ASCII, so every such character is inside one.
pub fn json_escaped(json: &str) -> Cow<'_, str> {
    let escape = |c: char| {
        c == '\u{7F}' || is_c1(c) || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
    };
    if !json.chars().any(escape) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9F}').contains(&c)
}

/// Characters that change the display order of the text around them.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_no_controls(s: &str) -> bool {
        !s.chars()
            .any(|c| (c.is_control() && c != '\n') || is_bidi_control(c))
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let s = "wind in tall grass, 5 s — ok ✓ 日本語";
        assert!(matches!(terminal_safe(s), Cow::Borrowed(_)));
        assert_eq!(terminal_safe(s), s);
    }

    #[test]
    fn osc52_clipboard_injection_is_defused_and_visible() {
        let evil = "nice sound\x1b]52;c;ZXZpbA==\x07";
        let out = terminal_safe(evil);
        assert!(!out.contains('\x1b'), "{out:?}");
        assert!(!out.contains('\x07'), "{out:?}");
        assert_eq!(out, "nice sound␛]52;c;ZXZpbA==␇");
    }

    #[test]
    fn csi_colour_codes_cannot_recolour_the_screen() {
        let out = terminal_safe("\x1b[31mred\x1b[0m and \u{9b}31mC1 red");
        assert!(has_no_controls(&out), "{out:?}");
        assert_eq!(out, "␛[31mred␛[0m and �31mC1 red");
    }

    #[test]
    fn carriage_return_cannot_overwrite_the_line() {
        let out = terminal_safe("paid $0.03\rpaid $0.00");
        assert_eq!(out, "paid $0.03␍paid $0.00");
    }

    #[test]
    fn bidi_overrides_cannot_reorder_text() {
        // RLO would show "fdp.exe" as "exe.pdf" in many terminals.
        let out = terminal_safe("invoice\u{202E}fdp.exe and \u{2066}x\u{2069} \u{200F}\u{061C}");
        assert!(has_no_controls(&out), "{out:?}");
        assert_eq!(out, "invoice�fdp.exe and �x� ��");
    }

    #[test]
    fn del_and_tab_are_replaced() {
        assert_eq!(terminal_safe("a\x7fb\tc"), "a␡b c");
    }

    #[test]
    fn hyperlinks_cannot_smuggle_escapes() {
        let ok = hyperlink("https://r2.example/a b.mp3?x=1", "a.mp3");
        assert_eq!(
            ok,
            "\x1b]8;;https://r2.example/a%20b.mp3?x=1\x1b\\a.mp3\x1b]8;;\x1b\\"
        );
        // An escape, BEL or C1 in the URL never reaches the terminal raw.
        for evil in [
            "https://x.example/\x1b]52;c;ZXZpbA==\x07",
            "https://x.example/\u{9c}\u{9d}a",
            "https://x.example/\u{202E}fdp.3pm",
        ] {
            let out = hyperlink(evil, evil);
            let inner = out
                .strip_prefix("\x1b]8;;")
                .and_then(|s| s.strip_suffix("\x1b]8;;\x1b\\"))
                .unwrap_or(&out);
            let controls = inner.chars().filter(|c| c.is_control()).count();
            // Only the ESC of the one "\x1b\\" separating target and text.
            assert!(controls <= 1, "{out:?}");
            assert!(!out.contains('\x07') && !out.contains('\u{9c}'), "{out:?}");
        }
        assert_eq!(hyperlink("javascript:alert(1)", "x"), "x");
        assert_eq!(hyperlink("file:///etc/passwd", "x"), "x");
    }

    #[test]
    fn json_escapes_c1_and_bidi_and_still_decodes_to_the_same_text() {
        let text = "a\u{9b}2J \u{202e}fdp.exe \u{2066}x\u{2069} \u{85}\u{7f}\u{2028} ok ✓";
        let json = serde_json::to_string(&serde_json::json!({ "t": text })).unwrap();
        let escaped = json_escaped(&json);
        assert!(
            !escaped
                .chars()
                .any(|c| c.is_control() || is_bidi_control(c)),
            "{escaped}"
        );
        assert!(
            escaped.contains("\\u009b") && escaped.contains("\\u202e"),
            "{escaped}"
        );
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back["t"], text);
        assert!(matches!(
            json_escaped("{\"t\":\"plain ✓\"}"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn clipboard_urls_are_exact_with_what_a_url_cannot_hold_encoded() {
        let url = "https://r2.example/a b\x1b]52;c;x\x07/\u{202e}3pm.mp3?x=1%20&y=é";
        let copied = url_for_clipboard(url);
        assert_eq!(
            copied,
            "https://r2.example/a%20b%1B]52;c;x%07/%E2%80%AE3pm.mp3?x=1%20&y=%C3%A9"
        );
        assert!(copied.bytes().all(|b| b.is_ascii_graphic()));
        assert_eq!(
            url_for_clipboard("https://x.example/a.mp3"),
            "https://x.example/a.mp3"
        );
    }

    #[test]
    fn newlines_survive_terminal_safe_but_not_single_line() {
        assert_eq!(terminal_safe("a\nb"), "a\nb");
        assert_eq!(single_line("a\nb"), "a⏎b");
    }
}
