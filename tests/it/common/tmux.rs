//! A private tmux server for tests that need a real terminal.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Polls `done` every 100 ms until it holds; 30 s without it fails the
/// test (only a hang reaches that).
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

/// True when tmux is missing and the test may skip (it says so); in CI or
/// with `KLANG_LONG_TESTS` a missing tmux fails instead.
pub fn missing() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return false;
    }
    let required = ["CI", "KLANG_LONG_TESTS"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()));
    assert!(
        !required,
        "tmux is not installed, and CI or KLANG_LONG_TESTS requires this test"
    );
    println!("skipped: tmux is not installed (CI installs it)");
    true
}

/// A private tmux server (own socket), killed on drop.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    /// A 100x30 session named `klang` running `sh`, with every XDG
    /// directory under `home` and no API key.
    pub fn start(name: &str, home: &Path) -> Tmux {
        let tmux = Tmux {
            socket: format!("{name}-{}", std::process::id()),
        };
        let env = |name: &str, dir: &Path| format!("{name}={}", dir.display());
        let vars = [
            env("HOME", home),
            env("XDG_CONFIG_HOME", &home.join("config")),
            env("XDG_DATA_HOME", &home.join("data")),
            env("XDG_STATE_HOME", &home.join("state")),
            env("XDG_CACHE_HOME", &home.join("cache")),
            "KLANG_API_KEY=".to_string(),
            "TERM=xterm-256color".to_string(),
            "PS1=$ ".to_string(),
        ];
        let mut args = vec!["new-session", "-d", "-s", "klang", "-x", "100", "-y", "30"];
        for v in &vars {
            args.push("-e");
            args.push(v);
        }
        args.push("sh");
        tmux.run(&args);
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux {args:?}: {e}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "klang"])
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "klang"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    pub fn literal(&self, text: &str) {
        self.run(&["send-keys", "-t", "klang", "-l", text]);
    }

    /// Runs `klang --sandbox` in the pane and waits for the dashboard; when
    /// it exits the shell prints `<run>:EXIT:<code>`.
    pub fn start_klang(&self, run: &str) {
        let bin = env!("CARGO_BIN_EXE_klang");
        self.literal(&format!("clear; {bin} --sandbox; echo {run}:EXIT:$?"));
        self.keys(&["Enter"]);
        self.wait_for("SANDBOX");
    }

    /// Polls the pane until it shows `needle` (the limit only fails the test).
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_for_all(&[needle])
    }

    /// Waits until the pane shows every one of `needles` at once. A capture
    /// can catch a frame half-written, so what a test reads from the screen
    /// belongs here, not in an assertion on the first capture that shows
    /// one of them.
    pub fn wait_for_all(&self, needles: &[&str]) -> String {
        for _ in 0..300 {
            let screen = self.capture();
            if needles.iter().all(|n| screen.contains(n)) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{needles:?} never all appeared; pane:\n{}", self.capture());
    }

    /// Polls the pane until it no longer shows `needle`: proof that a key
    /// was handled when the screen before it already showed what comes
    /// after (a key sent too soon after Escape arrives as Alt+key).
    pub fn wait_until_gone(&self, needle: &str) -> String {
        for _ in 0..300 {
            let screen = self.capture();
            if !screen.contains(needle) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{needle:?} never went away; pane:\n{}", self.capture());
    }

    /// Quits the dashboard with `q` and waits for `marker` (the shell's echo
    /// after it). Results download by themselves (auto_download), and while
    /// one runs `q` first asks; the test is not about that download, so the
    /// question is answered `y` whenever it shows.
    pub fn quit(&self, marker: &str) -> String {
        self.keys(&["q"]);
        for _ in 0..300 {
            let screen = self.capture();
            if screen.contains(marker) {
                return screen;
            }
            if screen.contains("Quit anyway?") {
                self.keys(&["y"]);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{marker:?} never appeared after q; pane:\n{}",
            self.capture()
        );
    }

    /// The pid of the program running in the pane's shell.
    pub fn child_pid(&self) -> String {
        let shell = self.run(&["display-message", "-p", "-t", "klang", "#{pane_pid}"]);
        let shell = shell.trim();
        for _ in 0..50 {
            let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
                .unwrap_or_default();
            if let Some(pid) = children.split_whitespace().next() {
                return pid.to_string();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no child of the pane's shell {shell}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
