//! A piece in a real terminal (tmux) against the sandbox over loopback,
//! whose creates the test counts: 1,299 characters typed into the TTS form
//! are planned as one piece of two calls, Enter sends exactly two creates,
//! the piece's row shows 2/2 and it is assembled into the download folder;
//! `=` lists the two segments, `r` on segment 1 sends exactly one create
//! and the output file changes (assembled again).

use crate::common;

use common::home::Home;
use common::tmux::{self, Tmux};
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The narration's audio in `dir`, once written.
fn piece_output(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "wav")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("speech-"))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_text_is_one_piece_and_a_segment_is_taken_again() {
    if tmux::missing() || common::judge::ffmpeg_missing() {
        return;
    }
    let sb = sandbox::start(SandboxConfig {
        pending_ms: 100,
        processing_ms: 200,
        ..Default::default()
    })
    .await
    .unwrap();
    let creates = || sb.stats().creates;
    let home = Home::new();
    home.write_config(&format!("base_url = \"{}\"\n", sb.base_url()));
    let tmux = Tmux::start("pieces", home.dir.path());
    tmux.run(&["resize-window", "-t", "klang", "-x", "100", "-y", "40"]);
    let bin = env!("CARGO_BIN_EXE_klang");
    tmux.literal(&format!(
        "clear; KLANG_API_KEY={SANDBOX_KEY} KLANG_DOWNLOAD_DIR='{}' {bin}; echo pieces:EXIT:$?",
        home.downloads().display()
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("Tasks");

    tmux.keys(&["n", "C-p"]);
    tmux.wait_for("Text to speech");
    // In pieces: tmux takes a limited number of keys per send-keys.
    let script: Vec<char> = crate::pieces_tui::script_1299().chars().collect();
    for part in script.chunks(200) {
        tmux.literal(&part.iter().collect::<String>());
    }
    tmux.wait_for("1,299 characters: 2 calls, $0.0012, one piece");
    assert_eq!(creates(), 0, "nothing sent while typing");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for_all(&["2/2", "assembled"]);
    let row = screen
        .lines()
        .find(|l| l.contains("2/2"))
        .unwrap_or_default();
    assert!(
        row.contains("speech") && row.contains("$0.0012"),
        "one row with kind, progress and cost:\n{screen}"
    );
    assert_eq!(creates(), 2, "one create per segment");
    let output = piece_output(&home.downloads()).expect("the piece's audio");
    let before = std::fs::read(&output).unwrap();

    tmux.keys(&["g", "Up", "="]);
    tmux.wait_for("Segments of piece #1");
    // The title shows at once, the rows when the store has answered.
    let screen = tmux.wait_until_gone("loading…");
    let rows = screen
        .lines()
        .filter(|l| l.contains("The quick brown fox"))
        .count();
    assert_eq!(rows, 2, "two segments:\n{screen}");
    tmux.keys(&["g", "r"]);
    tmux::wait_until("the piece assembled again", || {
        std::fs::read(&output).is_ok_and(|now| now != before)
    });
    tmux.wait_for("assembled");
    // Settled: no create arrives late.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(creates(), 3, "r on segment 1 sent exactly one create");
    let seconds = common::ffmpeg::probe_duration(&output);
    assert!(seconds > 60.0, "ffprobe reads the new file: {seconds}");

    // Esc alone (followed at once by a key it would be Alt+key).
    tmux.keys(&["Escape"]);
    tmux.wait_for("Pieces 1");
    tmux.quit("pieces:EXIT:0");
}
