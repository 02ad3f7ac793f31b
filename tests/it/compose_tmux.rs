//! Composing in a real terminal (tmux): a long TTS text wraps in the form
//! with its start and its end on screen, Enter submits it with the default
//! voice, and with `notify = "always"` the task's end rings the bell (tmux
//! flags the window). Skips without tmux unless CI or KLANG_LONG_TESTS.

use crate::common;

use common::home::Home;
use common::tmux::Tmux;
use std::time::Duration;

#[test]
fn long_text_wraps_submits_with_the_default_voice_and_rings() {
    if common::tmux::missing() {
        return;
    }
    let home = Home::new();
    home.write_config("notify = \"always\"\n");
    let tmux = Tmux::start("klang-compose", home.dir.path());
    tmux.start_klang("klang");

    tmux.keys(&["n", "C-p"]);
    tmux.wait_for("Text to speech");
    let middle = "and the words go on ".repeat(12);
    let text = format!("BEGINNING of a long text {middle}until the FINALE");
    tmux.literal(&text);
    let count = format!("{}/1000", text.chars().count());
    // The end typed last, the start still visible, the default voice and
    // the counter.
    let screen = tmux.wait_for_all(&["FINALE", "BEGINNING", "reader_en_m-v1", &count]);
    let rows = screen
        .lines()
        .filter(|l| l.contains("and the words go on"))
        .count();
    assert!(rows >= 3, "the text wraps over several rows:\n{screen}");

    tmux.keys(&["Enter"]);
    tmux.wait_for("pending");
    // Another window in front: tmux flags the one that rang.
    tmux.run(&["new-window", "-t", "klang"]);
    let mut rang = String::new();
    for _ in 0..100 {
        rang = tmux.run(&[
            "display-message",
            "-p",
            "-t",
            "klang:0",
            "#{window_bell_flag}",
        ]);
        if rang.trim() == "1" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(rang.trim(), "1", "no bell reached tmux");
    let screen = tmux.run(&["capture-pane", "-p", "-t", "klang:0"]);
    assert!(screen.contains("✓ completed"), "{screen}");
    tmux.run(&["select-window", "-t", "klang:0"]);
    // The result downloads by itself; `q` during a download asks first, so
    // quit once the file is in place and the row says so.
    for _ in 0..300 {
        if saved_audio(home.dir.path()) && !tmux.capture().contains("⤓ d") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.quit("klang:EXIT:0");
}

/// Whether a finished audio file (not a `.part`) is anywhere under `dir`:
/// where the dashboard saves by default inside the private home.
fn saved_audio(dir: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            return saved_audio(&path);
        }
        matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("mp3" | "wav")
        )
    })
}
