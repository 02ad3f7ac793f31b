//! Keys to actions: the defaults from [`Action::info`], patched by `[keys]`
//! in config.toml. A rebound action keeps only the keys it is given, so
//! `copy = "c"` frees `y`. Key names: a character (`c`, `G`, `*`, `?`),
//! a named key (`esc`, `enter`, `tab`, `space`, `backspace`, `delete`,
//! `insert`, `home`, `end`, `pgup`, `pgdn`, `up`, `down`, `left`, `right`,
//! `f1`..`f12`), with `ctrl+`, `alt+` or `shift+` in front.

use super::action::{Action, FIXED_KEYS, Scope};
use crate::config::KeyRebind;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use strum::IntoEnumIterator;

/// One key with its modifiers, normalised so a parsed name and a terminal
/// event compare equal (`G` arrives as shift+G; Shift-Tab as BackTab).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Key {
        let mut modifiers =
            modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // The character already says whether shift was held.
            KeyCode::Char(c) => {
                modifiers.remove(KeyModifiers::SHIFT);
                // Terminals send ctrl+letter in lower case.
                if modifiers.contains(KeyModifiers::CONTROL) && c.is_ascii_uppercase() {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, modifiers }
    }

    pub fn from_event(event: &KeyEvent) -> Key {
        Key::new(event.code, event.modifiers)
    }

    /// A plain character: in a text field it is text, not a shortcut.
    pub fn types_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }

    /// The compact spelling for the hint bar: `^N`, `S-Tab`, `Esc`, `↑`.
    pub fn short(&self) -> String {
        let mut out = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            out.push('^');
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            out.push_str("M-");
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            out.push_str("S-");
        }
        let name = match self.code {
            KeyCode::Char(' ') => "Space".into(),
            KeyCode::Char(c) if self.modifiers.contains(KeyModifiers::CONTROL) => {
                c.to_uppercase().collect()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            _ => self.to_string(),
        };
        out.push_str(&name);
        out
    }
}

fn named(name: &str) -> Option<KeyCode> {
    Some(match name {
        "esc" | "escape" => KeyCode::Esc,
        "enter" | "return" => KeyCode::Enter,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        _ => {
            let n: u8 = name.strip_prefix('f')?.parse().ok()?;
            return (1..=24).contains(&n).then_some(KeyCode::F(n));
        }
    })
}

/// Why a key name was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadKey(pub String);

impl fmt::Display for BadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a key; write a character (\"c\", \"G\", \"*\"), a named key (\"esc\", \"enter\", \"tab\", \"pgdn\", \"f1\") or a modifier in front (\"ctrl+y\", \"shift+tab\")",
            self.0
        )
    }
}

impl FromStr for Key {
    type Err = BadKey;

    fn from_str(text: &str) -> Result<Key, BadKey> {
        let bad = || BadKey(text.to_string());
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        // "ctrl++" is ctrl and the plus key: a modifier needs something after it.
        while let Some((head, tail)) = rest.split_once('+').filter(|(_, t)| !t.is_empty()) {
            modifiers |= match head.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => KeyModifiers::CONTROL,
                "alt" | "meta" | "option" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                _ => return Err(bad()),
            };
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                if modifiers.contains(KeyModifiers::SHIFT) && c.is_alphabetic() {
                    KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => named(&rest.to_ascii_lowercase()).ok_or_else(bad)?,
        };
        Ok(Key::new(code, modifiers))
    }
}

impl fmt::Display for Key {
    /// The config.toml spelling, so what the help shows can be copied.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl+")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt+")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift+tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

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

    fn key(text: &str) -> Key {
        text.parse().unwrap()
    }

    #[test]
    fn key_names_parse_and_print_back() {
        for name in [
            "c",
            "G",
            "*",
            "?",
            "/",
            "ctrl+y",
            "shift+tab",
            "esc",
            "enter",
            "pgdn",
            "pgup",
            "f1",
            "f12",
            "space",
            "alt+b",
            "ctrl++",
            "+",
            "home",
            "delete",
        ] {
            assert_eq!(key(name).to_string(), name, "{name}");
        }
        assert_eq!(key("Ctrl+Y"), key("ctrl+y"));
        assert_eq!(key("shift+g"), key("G"));
        assert_eq!(key("backtab"), key("shift+tab"));
        assert_eq!(key("escape"), key("esc"));
        for bad in ["", "ctl+c", "enterr", "f0", "f99", "ctrl+", "hyper+x", "ab"] {
            assert!(bad.parse::<Key>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn terminal_events_match_their_names() {
        let ev = |code, m| KeyEvent::new(code, m);
        assert_eq!(
            Key::from_event(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            key("G")
        );
        assert_eq!(
            Key::from_event(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            key("shift+tab")
        );
        assert_eq!(
            Key::from_event(&ev(KeyCode::Char('y'), KeyModifiers::CONTROL)),
            key("ctrl+y")
        );
    }

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
            &[rebind("copy", &["d"], 2), rebind("download", &["x"], 3)],
            file,
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
