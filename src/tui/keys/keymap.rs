//! Keys to actions: the defaults from [`Action::info`], patched by `[keys]`
//! in config.toml. A rebound action keeps only the keys it is given, so
//! `copy = "c"` frees `y`. Key names: a character (`c`, `G`, `*`, `?`),
//! a named key (`esc`, `enter`, `tab`, `space`, `backspace`, `delete`,
//! `insert`, `home`, `end`, `pgup`, `pgdn`, `up`, `down`, `left`, `right`,
//! `f1`..`f12`), with `ctrl+`, `alt+` or `shift+` in front.

use crate::config::KeyRebind;
use crate::tui::keys::action::{Action, FIXED_KEYS, Scope};
pub use crate::tui::keys::key::{BadKey, Key};
use crossterm::event::KeyEvent;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use strum::IntoEnumIterator;

/// Which keys do what, in which scope.
#[derive(Clone, Debug)]
pub struct KeyMap {
    keys: HashMap<Action, Vec<Key>>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let keys = Action::iter()
            .map(|action| {
                let keys = action
                    .info()
                    .keys
                    .iter()
                    // The defaults are checked by a test; a typo there shows
                    // up as a missing key, never a crash.
                    .filter_map(|k| k.parse().ok())
                    .collect();
                (action, keys)
            })
            .collect();
        KeyMap { keys }
    }
}

impl KeyMap {
    /// The defaults with `[keys]` from `config_file` applied. Errors name the
    /// file and line and say what to write instead.
    pub fn from_config(rebinds: &[KeyRebind], config_file: &Path) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        let at = |line: usize| format!("{}:{line}", config_file.display());
        for rebind in rebinds {
            let action = Action::from_str(&rebind.action).map_err(|_| {
                format!(
                    "{}: [keys] has no action {:?}; the actions are: {}",
                    at(rebind.line),
                    rebind.action,
                    Action::iter()
                        .map(Action::name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let keys = rebind
                .keys
                .iter()
                .map(|k| k.parse::<Key>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {e}", at(rebind.line)))?;
            map.keys.insert(action, keys);
        }
        // Two actions on one key in one scope: the user must choose.
        for rebind in rebinds {
            let Ok(action) = Action::from_str(&rebind.action) else {
                continue;
            };
            if let Some((key, other)) = map.clash(action) {
                return Err(format!(
                    "{}: {key} is also {other}'s key; give {other} another key in [keys] too",
                    at(rebind.line)
                ));
            }
        }
        Ok(map)
    }

    /// Another action sharing a key and a scope with `action`.
    fn clash(&self, action: Action) -> Option<(Key, Action)> {
        let mine = self.keys_of(action);
        Action::iter()
            .filter(|other| *other != action)
            .filter(|other| action.info().scopes.iter().any(|s| other.in_scope(*s)))
            .find_map(|other| {
                let key = mine.iter().find(|k| self.keys_of(other).contains(k))?;
                Some((*key, other))
            })
    }

    pub fn keys_of(&self, action: Action) -> &[Key] {
        self.keys.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The action `key` means in `scope`, if any.
    pub fn action(&self, key: &KeyEvent, scope: Scope) -> Option<Action> {
        let key = Key::from_event(key);
        Action::iter().find(|a| a.in_scope(scope) && self.keys_of(*a).contains(&key))
    }

    /// Whether `key` is one of `action`'s keys (whatever the scope).
    pub fn is(&self, key: &KeyEvent, action: Action) -> bool {
        self.keys_of(action).contains(&Key::from_event(key))
    }

    /// "j, down": every key of `action`, as config.toml spells them.
    pub fn describe(&self, action: Action) -> String {
        let keys: Vec<String> = self.keys_of(action).iter().map(Key::to_string).collect();
        if keys.is_empty() {
            "(unbound)".into()
        } else {
            keys.join(", ")
        }
    }

    /// The first key of `action`, for hints and messages ("R resumes").
    pub fn first(&self, action: Action) -> Option<String> {
        self.keys_of(action).first().map(Key::to_string)
    }

    /// The README's key table: one row per action, by scope.
    pub fn markdown_table(&self) -> String {
        let mut out = String::from("| action | keys | where | what it does |\n|---|---|---|---|\n");
        for action in Action::iter() {
            let keys: Vec<String> = self
                .keys_of(action)
                .iter()
                .map(|k| format!("`{}`", k.to_string().replace('|', "\\|")))
                .collect();
            let scopes: Vec<&str> = action
                .info()
                .scopes
                .iter()
                .map(|s| match s {
                    Scope::Table => "table",
                    Scope::Form => "form",
                    Scope::Filter => "filter",
                })
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                action.name(),
                keys.join(" "),
                scopes.join(", "),
                action.info().description
            ));
        }
        for (keys, what) in FIXED_KEYS {
            out.push_str(&format!("| — | {keys} | form | {what} |\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyCode;

    #[test]
    fn every_default_key_parses_and_no_scope_has_a_key_twice() {
        for action in Action::iter() {
            for k in action.info().keys {
                assert!(k.parse::<Key>().is_ok(), "{action}: {k}");
            }
        }
        let map = KeyMap::default();
        for action in Action::iter() {
            assert_eq!(map.clash(action), None, "{action}");
        }
    }

    fn rebind(action: &str, keys: &[&str], line: usize) -> KeyRebind {
        KeyRebind {
            action: action.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            line,
        }
    }

    #[test]
    fn a_rebound_action_loses_its_default_keys() {
        let file = Path::new("/c/config.toml");
        let map = KeyMap::from_config(&[rebind("copy", &["c"], 3)], file).unwrap();
        let c = KeyEvent::from(KeyCode::Char('c'));
        let y = KeyEvent::from(KeyCode::Char('y'));
        assert_eq!(map.action(&c, Scope::Table), Some(Action::Copy));
        assert_eq!(map.action(&y, Scope::Table), None);
        let map = KeyMap::from_config(&[rebind("copy", &["c", "ctrl+y"], 3)], file).unwrap();
        assert_eq!(map.describe(Action::Copy), "c, ctrl+y");
    }

    #[test]
    fn bad_bindings_name_the_file_and_line() {
        let file = Path::new("/c/config.toml");
        let err = KeyMap::from_config(&[rebind("cpy", &["c"], 4)], file).unwrap_err();
        assert!(err.starts_with("/c/config.toml:4: "), "{err}");
        assert!(err.contains("copy"), "lists the actions: {err}");
        let err = KeyMap::from_config(&[rebind("copy", &["ctl+c"], 7)], file).unwrap_err();
        assert!(
            err.starts_with("/c/config.toml:7: \"ctl+c\" is not a key"),
            "{err}"
        );
        let err = KeyMap::from_config(&[rebind("copy", &["d"], 2)], file).unwrap_err();
        assert!(
            err.contains("config.toml:2: d is also download's key"),
            "{err}"
        );
        // Moving download away too makes it fine.
        let ok = KeyMap::from_config(
            &[rebind("copy", &["d"], 2), rebind("download", &["X"], 3)],
            file,
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
