//! Everything config.toml, the flags and the environment decide about the
//! dashboard, gathered once before it starts (`runtime` builds it) and
//! never changed after.

use crate::notify::{NotifyMode, TermEnv};
use crate::tui::keys::keymap::KeyMap;
use crate::tui::theme::Theme;
use std::path::PathBuf;

/// The level takes play at when config.toml names none: EBU R128's.
pub const DEFAULT_MATCH_LEVEL: f64 = -23.0;

/// What time the screen shows. `Fixed` makes a frame the same on every run
/// (snapshot tests, benchmarks); the dashboard uses `System`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShownTime {
    #[default]
    System,
    /// Milliseconds since the epoch.
    Fixed(i64),
}

impl ShownTime {
    pub fn now_ms(self) -> i64 {
        match self {
            ShownTime::System => crate::store::now_ms(),
            ShownTime::Fixed(ms) => ms,
        }
    }
}

/// The dashboard's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub sandbox: bool,
    /// Masked API key, if one is set.
    pub key_hint: Option<String>,
    /// Where the user would put `api_key` (shown when there is none).
    pub config_file: PathBuf,
    pub theme: Theme,
    pub mouse: bool,
    pub keys: KeyMap,
    /// `notify` in config.toml: when a task's end rings the bell.
    pub notify: NotifyMode,
    /// Which terminal this is, for the notification escape.
    pub term_env: TermEnv,
    /// What time the screen shows.
    pub clock: ShownTime,
    /// `match_loudness` in config.toml (default on): every take plays at
    /// its group's common level, not only in the takes view.
    pub match_loudness: bool,
    /// `match_level` in config.toml: the level takes play at (LUFS).
    pub match_level: f64,
    /// `[render]` in config.toml: what the audio export key writes, and
    /// where (`None`: beside the download).
    pub export: crate::audio::render::Settings,
    pub export_dir: Option<PathBuf>,
    /// Draw the waveform with block characters (basic16, NO_COLOR), and
    /// the spectrogram with a density ramp of characters.
    pub waveform_blocks: bool,
    /// The terminal takes 24-bit colour (`COLORTERM`); else 256 colours.
    pub truecolor: bool,
    /// Result URLs become OSC 8 hyperlinks in the details pane.
    pub hyperlinks: bool,
}

impl Settings {
    /// The defaults: no key, the dark theme, mouse on, no bell, the
    /// system clock, takes matched at EBU R128's level, plain terminal.
    pub fn new(config_file: PathBuf) -> Settings {
        Settings {
            sandbox: false,
            key_hint: None,
            config_file,
            theme: Theme::default_theme(),
            mouse: true,
            keys: KeyMap::default(),
            notify: NotifyMode::Off,
            term_env: TermEnv::default(),
            clock: ShownTime::System,
            match_loudness: true,
            match_level: DEFAULT_MATCH_LEVEL,
            export: Default::default(),
            export_dir: None,
            waveform_blocks: false,
            truecolor: false,
            hyperlinks: false,
        }
    }
}
