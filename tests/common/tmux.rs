//! A private tmux server for tests that need a real terminal.

use std::process::Command;
use std::time::Duration;

/// A private tmux server (own socket), killed on drop.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
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

    /// Polls the pane until it shows `needle` (the limit only fails the test).
    pub fn wait_for(&self, needle: &str) -> String {
        for _ in 0..300 {
            let screen = self.capture();
            if screen.contains(needle) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{needle:?} never appeared; pane:\n{}", self.capture());
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
