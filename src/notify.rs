//! The bell when a task ends: which bytes to write, and when. Pure: the
//! dashboard's event loop writes what this produces.
//!
//! A bell is BEL, plus a desktop notification escape where the terminal is
//! known to show one: OSC 9 (iTerm2, kitty, WezTerm, Ghostty) or OSC 777
//! (foot, VTE, rxvt). Inside tmux the OSC is wrapped in tmux's DCS
//! passthrough, every ESC doubled, so it reaches the outer terminal when
//! tmux has `allow-passthrough on`; BEL itself goes to tmux, which marks
//! the window and passes the bell on.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// `notify` in config.toml.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyMode {
    /// When the terminal has lost focus, or the task ran long.
    #[default]
    Auto,
    Always,
    Off,
}

/// In `auto` mode a task that ran at least this long rings even while the
/// terminal has focus: the user has likely looked away.
pub const LONG_TASK: Duration = Duration::from_secs(15);

/// Completions closer together than this are one burst: one bell.
pub const BURST_GAP: Duration = Duration::from_secs(2);

/// The notification escape a terminal understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Osc {
    /// `ESC ] 9 ; message BEL`
    Nine,
    /// `ESC ] 777 ; notify ; title ; body BEL`
    SevenSevenSeven,
}

/// The environment variables that say which terminal klang runs in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TermEnv {
    pub term_program: Option<String>,
    pub term: Option<String>,
    pub lc_terminal: Option<String>,
    pub kitty_window_id: Option<String>,
    pub wezterm_pane: Option<String>,
    pub vte_version: Option<String>,
    pub tmux: Option<String>,
}

impl TermEnv {
    pub fn from_env() -> TermEnv {
        TermEnv::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> TermEnv {
        let get = |name: &str| get(name).filter(|v| !v.is_empty());
        TermEnv {
            term_program: get("TERM_PROGRAM"),
            term: get("TERM"),
            lc_terminal: get("LC_TERMINAL"),
            kitty_window_id: get("KITTY_WINDOW_ID"),
            wezterm_pane: get("WEZTERM_PANE"),
            vte_version: get("VTE_VERSION"),
            tmux: get("TMUX"),
        }
    }

    pub fn in_tmux(&self) -> bool {
        self.tmux.is_some()
    }

    /// The notification escape of the (outer) terminal, if known. Inside
    /// tmux `TERM_PROGRAM` says "tmux", but the outer terminal's own
    /// variables (KITTY_WINDOW_ID, WEZTERM_PANE, ...) are usually inherited.
    pub fn osc(&self) -> Option<Osc> {
        let program = self.term_program.as_deref().unwrap_or("");
        let term = self.term.as_deref().unwrap_or("");
        if self.kitty_window_id.is_some()
            || self.wezterm_pane.is_some()
            || matches!(program, "iTerm.app" | "WezTerm" | "ghostty")
            || self.lc_terminal.as_deref() == Some("iTerm2")
            || term == "xterm-kitty"
            || term == "xterm-ghostty"
        {
            Some(Osc::Nine)
        } else if self.vte_version.is_some() || term.starts_with("foot") || term.starts_with("rxvt")
        {
            Some(Osc::SevenSevenSeven)
        } else {
            None
        }
    }
}

/// Message text safe inside an OSC: no control characters, no `;` (a field
/// separator for OSC 777), bounded, and never starting with a digit (Windows
/// Terminal reads `OSC 9 ; 4 ;` as a progress report).
pub fn clean_message(message: &str) -> String {
    let mut text: String = message
        .chars()
        .map(|c| if c.is_control() || c == ';' { ' ' } else { c })
        .take(160)
        .collect();
    if text.trim().is_empty() || text.starts_with(|c: char| c.is_ascii_digit()) {
        text.insert_str(0, "klang: ");
    }
    text
}

/// The bytes to write for one bell with `message`.
pub fn bell_bytes(env: &TermEnv, message: &str) -> Vec<u8> {
    let mut out = vec![0x07];
    let text = clean_message(message);
    let osc = match env.osc() {
        Some(Osc::Nine) => format!("\x1b]9;{text}\x07"),
        Some(Osc::SevenSevenSeven) => format!("\x1b]777;notify;klang;{text}\x07"),
        None => return out,
    };
    if env.in_tmux() {
        out.extend_from_slice(b"\x1bPtmux;");
        out.extend_from_slice(osc.replace('\x1b', "\x1b\x1b").as_bytes());
        out.extend_from_slice(b"\x1b\\");
    } else {
        out.extend_from_slice(osc.as_bytes());
    }
    out
}

/// Whether a task that ended should ring, by the configured mode.
pub fn wants_bell(mode: NotifyMode, focused: bool, ran_for: Duration) -> bool {
    match mode {
        NotifyMode::Off => false,
        NotifyMode::Always => true,
        NotifyMode::Auto => !focused || ran_for >= LONG_TASK,
    }
}

/// One bell per burst: a completion within [`BURST_GAP`] of the previous
/// one stays silent (and extends the burst).
#[derive(Clone, Debug, Default)]
pub struct BellGate {
    last_end: Option<Instant>,
}

impl BellGate {
    /// Records a completion at `now`; true when it starts a new burst.
    pub fn admit(&mut self, now: Instant) -> bool {
        let new_burst = self
            .last_end
            .is_none_or(|last| now.saturating_duration_since(last) >= BURST_GAP);
        self.last_end = Some(now);
        new_burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> TermEnv {
        TermEnv::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn plain_terminal_gets_only_bel() {
        assert_eq!(
            bell_bytes(&env(&[("TERM", "xterm-256color")]), "done"),
            b"\x07"
        );
    }

    #[test]
    fn known_terminals_get_their_osc() {
        let iterm = env(&[("TERM_PROGRAM", "iTerm.app")]);
        assert_eq!(bell_bytes(&iterm, "task done"), b"\x07\x1b]9;task done\x07");
        let kitty = env(&[("KITTY_WINDOW_ID", "1"), ("TERM", "xterm-kitty")]);
        assert_eq!(kitty.osc(), Some(Osc::Nine));
        assert_eq!(env(&[("WEZTERM_PANE", "0")]).osc(), Some(Osc::Nine));
        let foot = env(&[("TERM", "foot")]);
        assert_eq!(
            bell_bytes(&foot, "task done"),
            b"\x07\x1b]777;notify;klang;task done\x07"
        );
        assert_eq!(
            env(&[("VTE_VERSION", "7600")]).osc(),
            Some(Osc::SevenSevenSeven)
        );
    }

    #[test]
    fn tmux_wraps_the_osc_in_dcs_passthrough_with_escs_doubled() {
        let e = env(&[
            ("TMUX", "/tmp/tmux-1000/default,123,0"),
            ("TERM_PROGRAM", "tmux"),
            ("KITTY_WINDOW_ID", "3"),
        ]);
        assert_eq!(
            bell_bytes(&e, "task done"),
            b"\x07\x1bPtmux;\x1b\x1b]9;task done\x07\x1b\\"
        );
        // Under tmux with no known outer terminal, only the bell.
        let bare = env(&[("TMUX", "x"), ("TERM_PROGRAM", "tmux")]);
        assert_eq!(bell_bytes(&bare, "done"), b"\x07");
    }

    #[test]
    fn messages_cannot_smuggle_escapes_or_read_as_progress() {
        let iterm = env(&[("TERM_PROGRAM", "iTerm.app")]);
        let bytes = bell_bytes(&iterm, "4;3 tasks\x1b]0;pwned\x07 done");
        assert_eq!(bytes, b"\x07\x1b]9;klang: 4 3 tasks ]0 pwned  done\x07");
        assert!(clean_message("3 tasks ended").starts_with("klang: 3"));
        assert_eq!(clean_message("#3 completed"), "#3 completed");
        assert_eq!(clean_message(""), "klang: ");
    }

    #[test]
    fn modes_decide() {
        let short = Duration::from_secs(3);
        assert!(!wants_bell(NotifyMode::Off, false, LONG_TASK));
        assert!(wants_bell(NotifyMode::Always, true, short));
        assert!(!wants_bell(NotifyMode::Auto, true, short));
        assert!(wants_bell(NotifyMode::Auto, false, short));
        assert!(wants_bell(NotifyMode::Auto, true, LONG_TASK));
    }

    #[test]
    fn one_bell_per_burst() {
        let start = Instant::now();
        let mut gate = BellGate::default();
        assert!(gate.admit(start));
        assert!(!gate.admit(start + Duration::from_millis(500)));
        assert!(
            !gate.admit(start + Duration::from_millis(2000)),
            "burst extends"
        );
        assert!(gate.admit(start + Duration::from_millis(4500)));
    }
}
