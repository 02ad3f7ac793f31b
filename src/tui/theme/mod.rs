//! Themes: TOML files that patch the default ("dark") theme. The built-in
//! ones are embedded in the binary; a user's own live in
//! `<config dir>/themes/<name>.toml` and win over a built-in of the same name.
//! A broken file never stops klang: the default is used and the problem
//! (file and line) is reported as a warning for a toast.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const DEFAULT_THEME: &str = "dark";

/// (name, file text) of every theme shipped inside the binary.
pub const BUILTIN: [(&str, &str); 4] = [
    ("dark", include_str!("../../../themes/dark.toml")),
    ("light", include_str!("../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../themes/high-contrast.toml"),
    ),
    ("basic16", include_str!("../../../themes/basic16.toml")),
];

macro_rules! theme_struct {
    ($($field:ident),* $(,)?) => {
        /// Every style the dashboard draws with, by role.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct Theme {
            $(pub $field: Style,)*
        }

        impl Theme {
            fn slot(&mut self, key: &str) -> Option<&mut Style> {
                match key {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            fn slots(&mut self) -> Vec<&mut Style> {
                vec![$(&mut self.$field,)*]
            }

            /// Every key a theme file may set.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field),)*];
        }
    };
}

theme_struct!(
    text,
    muted,
    border,
    border_focus,
    title,
    header,
    selected,
    accent,
    key,
    error,
    warning,
    toast,
    toast_error,
    badge_sandbox,
    cost,
    counter_over,
    state_submitting,
    state_submit_unknown,
    state_submit_failed,
    state_pending,
    state_processing,
    state_completed,
    state_failed,
    state_lost,
    downloading,
);

/// One value in a theme file: a bare colour, or a table of attributes.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StyleSpec {
    Fg(String),
    Full {
        fg: Option<String>,
        bg: Option<String>,
        #[serde(default)]
        bold: bool,
        #[serde(default)]
        dim: bool,
        #[serde(default)]
        italic: bool,
        #[serde(default)]
        underline: bool,
        #[serde(default)]
        reversed: bool,
    },
}

/// A theme plus the warnings loading it produced (for toasts).
#[derive(Debug)]
pub struct LoadedTheme {
    pub theme: Theme,
    pub warnings: Vec<String>,
}

impl Theme {
    /// The default theme. The embedded file is covered by tests, so a
    /// failure here can only mean a broken build; it still yields a usable
    /// (colourless) theme rather than a panic.
    pub fn default_theme() -> Theme {
        let mut theme = Theme::plain();
        let _ = theme.apply(BUILTIN[0].1, "dark.toml");
        theme
    }

    /// No colours at all: bold and reverse video carry what colour would.
    pub fn plain() -> Theme {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let reversed = Style::new().add_modifier(Modifier::REVERSED);
        Theme {
            title: bold,
            header: bold,
            key: bold,
            error: bold,
            border_focus: bold,
            counter_over: bold,
            state_failed: bold,
            selected: reversed,
            toast: reversed,
            toast_error: reversed.add_modifier(Modifier::BOLD),
            badge_sandbox: reversed.add_modifier(Modifier::BOLD),
            muted: Style::new().add_modifier(Modifier::DIM),
            ..Theme::default()
        }
    }

    /// Applies the theme file `text` over `self`. On error nothing is
    /// changed and the message names `file_name` and the line.
    pub fn apply(&mut self, text: &str, file_name: &str) -> Result<Vec<String>, String> {
        let parsed: BTreeMap<String, StyleSpec> = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(1);
            let message = e.message().trim().replace('\n', " ");
            format!("theme {file_name}:{line}: {message}; using the default theme")
        })?;
        let mut patched = self.clone();
        let mut warnings = Vec::new();
        for (key, spec) in parsed {
            let Some(slot) = patched.slot(&key) else {
                warnings.push(format!("theme {file_name}: unknown key {key:?} ignored"));
                continue;
            };
            *slot = spec.to_style().map_err(|bad| {
                format!("theme {file_name}: {key}: unknown colour {bad:?}; using the default theme")
            })?;
        }
        *self = patched;
        Ok(warnings)
    }

    /// Drops every colour, keeping bold/reverse, for `NO_COLOR`.
    pub fn without_colour(mut self) -> Theme {
        for style in self.slots() {
            let modifiers = style.add_modifier;
            *style = Style::new().add_modifier(modifiers);
        }
        // A selection must still show without colour.
        self.selected = self.selected.add_modifier(Modifier::REVERSED);
        self.toast = self.toast.add_modifier(Modifier::REVERSED);
        self.toast_error = self.toast_error.add_modifier(Modifier::REVERSED);
        self.badge_sandbox = self.badge_sandbox.add_modifier(Modifier::REVERSED);
        self
    }

    /// Every colour this theme uses (for tests such as "basic16 uses only
    /// the basic colours").
    pub fn colours(&mut self) -> Vec<Color> {
        self.slots()
            .into_iter()
            .flat_map(|s| [s.fg, s.bg])
            .flatten()
            .collect()
    }
}

impl StyleSpec {
    fn to_style(&self) -> Result<Style, String> {
        let colour = |s: &str| s.parse::<Color>().map_err(|_| s.to_string());
        match self {
            StyleSpec::Fg(fg) => Ok(Style::new().fg(colour(fg)?)),
            StyleSpec::Full {
                fg,
                bg,
                bold,
                dim,
                italic,
                underline,
                reversed,
            } => {
                let mut style = Style::new();
                if let Some(fg) = fg {
                    style = style.fg(colour(fg)?);
                }
                if let Some(bg) = bg {
                    style = style.bg(colour(bg)?);
                }
                for (on, m) in [
                    (bold, Modifier::BOLD),
                    (dim, Modifier::DIM),
                    (italic, Modifier::ITALIC),
                    (underline, Modifier::UNDERLINED),
                    (reversed, Modifier::REVERSED),
                ] {
                    if *on {
                        style = style.add_modifier(m);
                    }
                }
                Ok(style)
            }
        }
    }
}

/// Loads theme `name`: the user's file in `user_dir` first, then a built-in.
/// `no_colour` (from `NO_COLOR`) strips every colour afterwards.
pub fn load(name: Option<&str>, user_dir: &Path, no_colour: bool) -> LoadedTheme {
    let mut warnings = Vec::new();
    let mut theme = Theme::default_theme();
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(DEFAULT_THEME);
    let user_file = user_dir.join(format!("{name}.toml"));
    let source = match std::fs::read_to_string(&user_file) {
        Ok(text) => Some((text, user_file.display().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| (text.to_string(), format!("{n}.toml (built in)"))),
        Err(e) => {
            warnings.push(format!(
                "cannot read theme {}: {e}; using the default theme",
                user_file.display()
            ));
            None
        }
    };
    match source {
        Some((text, file_name)) => match theme.apply(&text, &file_name) {
            Ok(w) => warnings.extend(w),
            Err(e) => warnings.push(e),
        },
        None if warnings.is_empty() => warnings.push(format!(
            "no theme named {name:?} (built in: {}; or put {name}.toml in {}); using the default theme",
            BUILTIN.map(|(n, _)| n).join(", "),
            user_dir.display()
        )),
        None => {}
    }
    let theme = if no_colour {
        theme.without_colour()
    } else {
        theme
    };
    LoadedTheme { theme, warnings }
}

/// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
pub fn no_colour_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses_and_sets_only_known_keys() {
        for (name, text) in BUILTIN {
            let mut theme = Theme::plain();
            let warnings = theme.apply(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
        }
    }

    #[test]
    fn basic16_uses_only_the_sixteen_ansi_colours() {
        let mut theme = Theme::plain();
        theme.apply(BUILTIN[3].1, "basic16").unwrap();
        for c in theme.colours() {
            assert!(
                !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                "basic16 uses {c:?}"
            );
        }
        // ... and sets every key, so nothing falls back to dark's colours.
        let text: toml::Table = toml::from_str(BUILTIN[3].1).unwrap();
        for key in Theme::KEYS {
            assert!(text.contains_key(*key), "basic16 lacks {key}");
        }
    }

    #[test]
    fn a_user_file_patches_only_what_it_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "state_completed = \"#00ff00\"\n",
        )
        .unwrap();
        let loaded = load(Some("mine"), dir.path(), false);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(loaded.theme.state_completed.fg, Some(Color::Rgb(0, 255, 0)));
        assert_eq!(loaded.theme.selected, Theme::default_theme().selected);
    }

    #[test]
    fn a_broken_file_names_file_and_line_and_keeps_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.toml");
        std::fs::write(&path, "text = \"white\"\n\nselected = { fg = \n").unwrap();
        let loaded = load(Some("broken"), dir.path(), false);
        assert_eq!(loaded.theme, Theme::default_theme());
        let w = loaded.warnings.join("\n");
        assert!(w.contains("broken.toml:3"), "{w}");
    }

    #[test]
    fn an_unknown_colour_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("odd.toml"), "text = \"blurple\"\n").unwrap();
        let loaded = load(Some("odd"), dir.path(), false);
        assert_eq!(loaded.theme, Theme::default_theme());
        assert!(
            loaded.warnings[0].contains("blurple"),
            "{:?}",
            loaded.warnings
        );
    }

    #[test]
    fn an_unknown_theme_name_falls_back_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = load(Some("nope"), dir.path(), false);
        assert_eq!(loaded.theme, Theme::default_theme());
        assert!(
            loaded.warnings[0].contains("high-contrast"),
            "{:?}",
            loaded.warnings
        );
    }

    #[test]
    fn no_colour_strips_every_colour_but_keeps_the_selection_visible() {
        let dir = tempfile::tempdir().unwrap();
        let mut theme = load(None, dir.path(), true).theme;
        assert!(theme.colours().is_empty());
        assert!(theme.selected.add_modifier.contains(Modifier::REVERSED));
    }
}
