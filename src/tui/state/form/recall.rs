//! Earlier values of the form's text fields, per model and field, newest
//! first, as the store keeps them (so they survive restarts and are shared
//! by every klang on the store). `Up`/`Down` step through them like a shell
//! history while the field is empty or still holds what was recalled;
//! `Ctrl-R` opens a search over them, like a shell's reverse search.

use crate::api::Model;
use std::collections::HashMap;
use tui_input::Input;

/// The form fields whose values are remembered (their store names).
pub const HISTORY_FIELDS: [&str; 4] = ["prompt", "text", "sound_effect_prompt", "bgm_prompt"];

/// How many values per field the form loads.
pub const HISTORY_LOAD: usize = 200;

/// Where a recall stands: which entry the field shows.
#[derive(Clone, Debug)]
struct Recall {
    model: Model,
    field: &'static str,
    index: usize,
    /// What the field shows; a change by the user ends the recall.
    shown: String,
}

/// The `Ctrl-R` search over one field's history.
#[derive(Clone, Debug)]
pub struct HistorySearch {
    pub model: Model,
    pub field: &'static str,
    pub query: Input,
    pub selected: usize,
}

#[derive(Clone, Debug, Default)]
pub struct FormHistory {
    entries: HashMap<(Model, &'static str), Vec<String>>,
    recall: Option<Recall>,
    pub search: Option<HistorySearch>,
}

impl FormHistory {
    pub fn set(&mut self, model: Model, field: &'static str, values: Vec<String>) {
        self.entries.insert((model, field), values);
    }

    pub fn entries(&self, model: Model, field: &str) -> &[String] {
        HISTORY_FIELDS
            .iter()
            .find(|f| **f == field)
            .and_then(|f| self.entries.get(&(model, *f)))
            .map_or(&[], Vec::as_slice)
    }

    /// `Up`: the next older value for a field showing `current`, or None
    /// when history does not apply (the field holds the user's own text)
    /// or has nothing older.
    pub fn older(&mut self, model: Model, field: &'static str, current: &str) -> Option<String> {
        let next = match &self.recall {
            Some(r) if r.model == model && r.field == field && r.shown == current => r.index + 1,
            _ if current.is_empty() => 0,
            _ => return None,
        };
        let value = self.entries(model, field).get(next)?.clone();
        self.recall = Some(Recall {
            model,
            field,
            index: next,
            shown: value.clone(),
        });
        Some(value)
    }

    /// `Down`: the next newer value, or the empty field past the newest.
    /// None when the field is not showing a recalled value.
    pub fn newer(&mut self, model: Model, field: &'static str, current: &str) -> Option<String> {
        let r = self.recall.as_mut()?;
        if r.model != model || r.field != field || r.shown != current {
            return None;
        }
        if r.index == 0 {
            self.recall = None;
            return Some(String::new());
        }
        r.index -= 1;
        let value = self.entries.get(&(model, field))?.get(r.index)?.clone();
        r.shown = value.clone();
        Some(value)
    }

    /// Entries of the open search that contain its query (any case).
    pub fn matches(&self) -> Vec<&str> {
        let Some(search) = &self.search else {
            return Vec::new();
        };
        let needle = search.query.value().to_lowercase();
        self.entries(search.model, search.field)
            .iter()
            .filter(|e| e.to_lowercase().contains(&needle))
            .map(String::as_str)
            .collect()
    }
}

/// The store name of a form field with history, if it has one.
pub fn history_field(name: &str) -> Option<&'static str> {
    HISTORY_FIELDS.iter().find(|f| **f == name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> FormHistory {
        let mut h = FormHistory::default();
        h.set(
            Model::SoundEffects,
            "prompt",
            vec!["thunder".into(), "rain".into(), "wind".into()],
        );
        h
    }

    #[test]
    fn up_and_down_walk_the_history_of_an_empty_field() {
        let mut h = history();
        let m = Model::SoundEffects;
        assert_eq!(h.older(m, "prompt", "").as_deref(), Some("thunder"));
        assert_eq!(h.older(m, "prompt", "thunder").as_deref(), Some("rain"));
        assert_eq!(h.older(m, "prompt", "rain").as_deref(), Some("wind"));
        assert_eq!(h.older(m, "prompt", "wind"), None, "oldest");
        assert_eq!(h.newer(m, "prompt", "wind").as_deref(), Some("rain"));
        assert_eq!(h.newer(m, "prompt", "rain").as_deref(), Some("thunder"));
        assert_eq!(h.newer(m, "prompt", "thunder").as_deref(), Some(""));
        assert_eq!(h.newer(m, "prompt", ""), None);
    }

    #[test]
    fn a_field_the_user_changed_is_left_alone() {
        let mut h = history();
        let m = Model::SoundEffects;
        assert_eq!(h.older(m, "prompt", "my own words"), None);
        assert_eq!(h.older(m, "prompt", "").as_deref(), Some("thunder"));
        assert_eq!(h.older(m, "prompt", "thunder, edited"), None);
        assert_eq!(h.newer(m, "prompt", "thunder, edited"), None);
        assert_eq!(h.older(Model::Tts, "text", ""), None, "no history there");
    }

    #[test]
    fn search_matches_any_case_newest_first() {
        let mut h = history();
        h.search = Some(HistorySearch {
            model: Model::SoundEffects,
            field: "prompt",
            query: Input::new("IN".into()),
            selected: 0,
        });
        assert_eq!(h.matches(), ["rain", "wind"]);
    }
}
