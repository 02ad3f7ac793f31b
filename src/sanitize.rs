//! placeholder until the tui branch lands: terminal-safe text.
use std::borrow::Cow;

pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| !c.is_control() || c == '\n') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() && c != '\n' {
                    '�'
                } else {
                    c
                }
            })
            .collect(),
    )
}
