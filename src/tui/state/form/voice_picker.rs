//! The Voice field's picker: Kling's voices that speak the chosen language,
//! narrowed by what is typed (a substring of the id, any case). `Up`/`Down`
//! move the highlight, `Enter` picks it; an id the table does not know can
//! still be typed and sent.

use crate::api::voices::{self, Language, Voice};

#[derive(Clone, Debug, Default)]
pub struct VoicePicker {
    /// Index into [`VoicePicker::candidates`].
    pub highlight: usize,
    /// The user typed since the last pick: the field's text narrows the
    /// list. Otherwise the list shows every voice of the language.
    pub narrowing: bool,
}

impl VoicePicker {
    /// The voices on offer for `language`, given the field's text.
    pub fn candidates(&self, language: Language, typed: &str) -> Vec<&'static Voice> {
        let needle = typed.trim().to_lowercase();
        voices::speaking(Some(language))
            .filter(|v| !self.narrowing || v.id.to_lowercase().contains(&needle))
            .collect()
    }

    /// After typing: the list narrows and the best match is highlighted.
    pub fn typed(&mut self) {
        self.narrowing = true;
        self.highlight = 0;
    }

    /// Shows the whole list with `current` highlighted (after a pick, a
    /// language change, or when the field gets focus).
    pub fn reset(&mut self, language: Language, current: &str) {
        self.narrowing = false;
        self.highlight = voices::speaking(Some(language))
            .position(|v| v.id == current.trim())
            .unwrap_or(0);
    }

    /// Moves the highlight; false at either end of the list.
    pub fn step(&mut self, language: Language, typed: &str, down: bool) -> bool {
        let n = self.candidates(language, typed).len();
        let at = self.highlight.min(n.saturating_sub(1));
        match (down, at) {
            (true, a) if a + 1 < n => self.highlight = a + 1,
            (false, a) if a > 0 => self.highlight = a - 1,
            _ => return false,
        }
        true
    }

    /// The highlighted voice, if the list has any.
    pub fn highlighted(&self, language: Language, typed: &str) -> Option<&'static Voice> {
        let list = self.candidates(language, typed);
        list.get(self.highlight.min(list.len().saturating_sub(1)))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_narrows_and_reset_shows_all() {
        let mut p = VoicePicker::default();
        p.reset(Language::En, "reader_en_m-v1");
        assert_eq!(p.candidates(Language::En, "reader_en_m-v1").len(), 27);
        assert_eq!(
            p.highlighted(Language::En, "reader_en_m-v1").map(|v| v.id),
            Some("reader_en_m-v1")
        );
        p.typed();
        let list = p.candidates(Language::En, "UK_");
        assert_eq!(
            list.iter().map(|v| v.id).collect::<Vec<_>>(),
            ["uk_boy1", "uk_man2"]
        );
        assert!(p.step(Language::En, "UK_", true));
        assert!(!p.step(Language::En, "UK_", true), "end of list");
        assert_eq!(
            p.highlighted(Language::En, "uk_").map(|v| v.id),
            Some("uk_man2")
        );
        // uk_oldman3 speaks only Chinese.
        assert_eq!(p.candidates(Language::Zh, "uk_").len(), 1);
        assert!(p.candidates(Language::En, "nothing-like-it").is_empty());
        assert_eq!(p.highlighted(Language::En, "nothing-like-it"), None);
    }
}
