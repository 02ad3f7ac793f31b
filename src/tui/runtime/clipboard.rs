//! Copying a result URL. OSC 52 goes first because it is the one way that
//! works over SSH: the escape travels to the user's own terminal, which sets
//! the clipboard there.
//!
//! tmux: with `set-clipboard on` (tmux's default is `external`, which also
//! forwards) tmux understands the plain OSC 52 itself, sets its paste buffer
//! and passes it on to the outer terminal. We additionally send the same
//! sequence wrapped in tmux's DCS passthrough (`ESC P tmux; ... ESC \`),
//! which only does anything when `allow-passthrough on` is set; then the
//! outer terminal may see the sequence twice, which is harmless (same text).
//! With passthrough off tmux drops the wrapped copy silently.
//!
//! Locally, with a display and no SSH, the native tool (`wl-copy`, `xclip`,
//! `xsel`, `pbcopy`) also gets the text, because some terminals ignore
//! OSC 52. It runs on its own thread so a slow or hung tool never blocks
//! the UI.

use crossterm::Command;
use crossterm::clipboard::CopyToClipboard;
use std::io::Write;
use std::process::{Command as Process, Stdio};
#[cfg(any(test, feature = "test-support"))]
use std::sync::{Arc, Mutex};

/// Where `y` puts text. Injectable so tests can see the exact bytes.
pub trait Clipboard: Send {
    /// Copies `text`; the error is a one-line reason for a toast.
    fn copy(&mut self, text: &str) -> Result<(), String>;
}

/// What the environment allows, read once at start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClipboardEnv {
    pub in_tmux: bool,
    /// The native tool to run too, with its arguments.
    pub native: Option<Vec<String>>,
}

impl ClipboardEnv {
    pub fn detect() -> ClipboardEnv {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let over_ssh = set("SSH_TTY") || set("SSH_CONNECTION") || set("SSH_CLIENT");
        let wayland = set("WAYLAND_DISPLAY");
        let x11 = set("DISPLAY");
        let native = if over_ssh {
            // The tools would fill the remote machine's clipboard, which
            // nobody looks at.
            None
        } else {
            native_tool(wayland, x11, cfg!(target_os = "macos"), &|tool| {
                on_path(tool)
            })
        };
        ClipboardEnv {
            in_tmux: set("TMUX"),
            native,
        }
    }
}

/// The first usable clipboard tool, given what the session has.
pub fn native_tool(
    wayland: bool,
    x11: bool,
    macos: bool,
    exists: &dyn Fn(&str) -> bool,
) -> Option<Vec<String>> {
    let mut candidates: Vec<&[&str]> = Vec::new();
    if macos {
        candidates.push(&["pbcopy"]);
    }
    if wayland {
        candidates.push(&["wl-copy"]);
    }
    if x11 {
        candidates.push(&["xclip", "-selection", "clipboard"]);
        candidates.push(&["xsel", "--clipboard", "--input"]);
    }
    candidates
        .into_iter()
        .find(|c| exists(c[0]))
        .map(|c| c.iter().map(|s| s.to_string()).collect())
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false)
}

/// The OSC 52 sequence that sets the clipboard to `text` (base64 inside).
pub fn osc52(text: &str) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = CopyToClipboard::to_clipboard_from(text.as_bytes()).write_ansi(&mut out);
    out
}

/// `seq` wrapped for tmux passthrough: every ESC inside is doubled.
pub fn tmux_passthrough(seq: &str) -> String {
    format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
}

/// Writes OSC 52 to the terminal (`writer`, normally stdout) and runs the
/// native tool when `env` names one.
pub struct TerminalClipboard<W: Write + Send> {
    writer: W,
    env: ClipboardEnv,
}

impl<W: Write + Send> TerminalClipboard<W> {
    pub fn new(writer: W, env: ClipboardEnv) -> Self {
        TerminalClipboard { writer, env }
    }
}

impl<W: Write + Send> Clipboard for TerminalClipboard<W> {
    fn copy(&mut self, text: &str) -> Result<(), String> {
        let seq = osc52(text);
        let mut bytes = seq.clone();
        if self.env.in_tmux {
            bytes.push_str(&tmux_passthrough(&seq));
        }
        let written = self
            .writer
            .write_all(bytes.as_bytes())
            .and_then(|()| self.writer.flush())
            .map_err(|e| format!("cannot write to the terminal: {e}"));
        if let Some(tool) = self.env.native.clone() {
            let text = text.to_string();
            std::thread::spawn(move || run_tool(&tool, &text));
        }
        written
    }
}

/// Failures are only logged: OSC 52 already went out, and the toast shows
/// the URL for copying by hand.
fn run_tool(tool: &[String], text: &str) {
    let Some((program, args)) = tool.split_first() else {
        return;
    };
    let child = Process::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match child {
        Ok(mut child) => {
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(text.as_bytes());
            }
            let _ = child.wait();
        }
        Err(e) => tracing::debug!("clipboard tool {program} failed: {e}"),
    }
}

/// A clipboard that records what would have been written, for tests.
#[cfg(any(test, feature = "test-support"))]
#[derive(Clone, Default)]
pub struct CaptureClipboard {
    pub bytes: Arc<Mutex<Vec<u8>>>,
    pub env: ClipboardEnv,
}

#[cfg(any(test, feature = "test-support"))]
impl CaptureClipboard {
    pub fn captured(&self) -> String {
        let bytes = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(any(test, feature = "test-support"))]
struct SharedWriter(Arc<Mutex<Vec<u8>>>);

#[cfg(any(test, feature = "test-support"))]
impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(any(test, feature = "test-support"))]
impl Clipboard for CaptureClipboard {
    fn copy(&mut self, text: &str) -> Result<(), String> {
        // The real writer, minus the native tool, so tests see real bytes.
        let env = ClipboardEnv {
            native: None,
            ..self.env.clone()
        };
        TerminalClipboard::new(SharedWriter(self.bytes.clone()), env).copy(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_the_url_in_base64() {
        // base64("https://x/a.mp3") = aHR0cHM6Ly94L2EubXAz
        assert_eq!(
            osc52("https://x/a.mp3"),
            "\x1b]52;c;aHR0cHM6Ly94L2EubXAz\x1b\\"
        );
    }

    #[test]
    fn inside_tmux_a_passthrough_copy_follows() {
        let mut clip = CaptureClipboard {
            env: ClipboardEnv {
                in_tmux: true,
                native: None,
            },
            ..Default::default()
        };
        clip.copy("hi").unwrap();
        let plain = osc52("hi");
        assert_eq!(
            clip.captured(),
            format!("{plain}\x1bPtmux;\x1b\x1b]52;c;aGk=\x1b\x1b\\\x1b\\")
        );
    }

    #[test]
    fn native_tool_follows_the_session_kind() {
        let all = |_: &str| true;
        let none = |_: &str| false;
        assert_eq!(native_tool(true, true, false, &all).unwrap()[0], "wl-copy");
        assert_eq!(native_tool(false, true, false, &all).unwrap()[0], "xclip");
        let only_xsel = |t: &str| t == "xsel";
        assert_eq!(
            native_tool(false, true, false, &only_xsel).unwrap()[0],
            "xsel"
        );
        assert_eq!(native_tool(false, false, false, &all), None);
        assert_eq!(native_tool(true, true, false, &none), None);
        assert_eq!(native_tool(false, false, true, &all).unwrap()[0], "pbcopy");
    }
}
