//! The native clipboard path: with a display and no SSH, `y` also hands the
//! URL to the system tool. A stand-in tool (a shell script that records its
//! input and arguments) takes the place of xclip.

use klang::tui::runtime::clipboard::{Clipboard, ClipboardEnv, TerminalClipboard, osc52};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(unix)]
#[test]
fn the_native_tool_gets_the_url_and_the_terminal_gets_osc52() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let got = dir.path().join("clipboard.txt");
    let tool = dir.path().join("fake-xclip");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\necho \"$@\" > '{0}.args'\ncat > '{0}'\n",
            got.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();

    let terminal = Shared::default();
    let env = ClipboardEnv {
        in_tmux: false,
        native: Some(vec![
            tool.display().to_string(),
            "-selection".into(),
            "clipboard".into(),
        ]),
    };
    let url = "https://r2.example/audio/x.mp3";
    let mut clipboard = TerminalClipboard::new(terminal.clone(), env);
    clipboard.copy(url).unwrap();

    // The terminal got the OSC 52 sequence at once.
    let written = String::from_utf8(terminal.0.lock().unwrap().clone()).unwrap();
    assert!(written.contains(&osc52(url)), "{written:?}");
    // The tool runs on its own thread; give it a moment.
    for _ in 0..100 {
        if std::fs::read_to_string(&got).is_ok_and(|s| s == url) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&got).unwrap(), url);
    let args = std::fs::read_to_string(dir.path().join("clipboard.txt.args")).unwrap();
    assert_eq!(args.trim(), "-selection clipboard");
}

#[test]
fn a_missing_tool_does_not_fail_the_copy() {
    let terminal = Shared::default();
    let env = ClipboardEnv {
        in_tmux: true,
        native: Some(vec!["/nonexistent/klang-no-such-tool".into()]),
    };
    let mut clipboard = TerminalClipboard::new(terminal.clone(), env);
    assert!(clipboard.copy("https://x.example/a.mp3").is_ok());
    let written = String::from_utf8(terminal.0.lock().unwrap().clone()).unwrap();
    // Inside tmux: the plain sequence and the passthrough-wrapped one.
    assert!(written.contains(&osc52("https://x.example/a.mp3")));
    assert!(written.contains("\x1bPtmux;"), "{written:?}");
}
