//! Pieces in the dashboard, driven by keys against the sandbox over HTTP
//! with a real store: a TTS text of 1,299 characters is planned in the
//! form, submitted whole as one piece of two segments, and the piece's
//! row counts its segments as they complete; once both are made the
//! piece is assembled into the download folder, as `klang speak` would;
//! `=` on it lists the segments and `r` on one sends exactly one call
//! and assembles the piece again; `p` on the piece plays its output and
//! its row names the segment sounding.

use crate::common::player::stand_in_player;
use crossterm::event::KeyCode;
use klang::audio::player::Environment;
use klang::tui::harness::Runner;
use klang::tui::state::playback::Playback;

/// 1,299 characters in 26 sentences: two calls.
pub fn script_1299() -> String {
    let text = format!(
        "{}The fox rests there now.",
        "The quick brown fox jumps over the lazy dog again. ".repeat(25)
    );
    assert_eq!(text.chars().count(), 1299);
    text
}

fn creates(r: &Runner) -> u64 {
    r.sandbox
        .as_ref()
        .map(|s| s.stats())
        .unwrap_or_default()
        .creates
}

/// `n`, then the TTS model (the form keeps the last one), on its text field.
fn new_tts(r: &mut Runner) {
    r.key(KeyCode::Char('n'));
    for _ in 0..3 {
        if r.app.form.model() != klang::api::Model::Tts {
            r.ctrl('p');
        }
    }
    assert_eq!(r.app.form.model(), klang::api::Model::Tts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_longer_than_one_call_is_submitted_as_one_piece() {
    let dir = tempfile::tempdir().unwrap();
    if crate::common::judge::ffmpeg_missing() {
        return;
    }
    let mut r = Runner::sandbox_with(dir.path(), 100, 40, true).await;
    new_tts(&mut r);
    r.paste(&script_1299());
    let screen = r.screen();
    assert!(
        screen.contains("1,299 characters: 2 calls, $0.0012, one piece"),
        "the form plans the piece:\n{screen}"
    );
    r.key(KeyCode::Enter);
    r.wait_for("both segments of the piece to complete", |a| {
        a.selection
            .pieces
            .rows()
            .first()
            .is_some_and(|p| (p.done, p.segments) == (2, 2))
    })
    .await;
    r.wait_for("the piece to be assembled", |a| {
        a.selection.pieces.rows()[0].state == "assembled"
    })
    .await;
    let screen = r.wait_for_text("assembled").await;
    let row = screen
        .lines()
        .find(|l| l.contains("2/2"))
        .unwrap_or_default();
    assert!(
        row.contains("speech") && row.contains("$0.0012") && row.contains("speech-"),
        "one row: kind, progress, cost, file:\n{screen}"
    );
    assert_eq!(r.app.selection.pieces.rows().len(), 1, "one piece");
    assert_eq!(creates(&r), 2, "one call per segment");
    // Written as `klang speak` writes it: the audio, its captions and
    // chapters, in the download folder; ffprobe reads it whole.
    let output = std::path::PathBuf::from(&r.app.selection.pieces.rows()[0].output);
    assert!(
        output.starts_with(dir.path().join("downloads")),
        "{output:?}"
    );
    let seconds = crate::common::ffmpeg::probe_duration(&output);
    assert!(
        seconds > 60.0,
        "1,299 characters speak for over a minute: {seconds}"
    );
    for ext in ["srt", "vtt", "chapters.txt", "txt"] {
        let beside = output.with_extension(ext);
        assert!(beside.is_file(), "{beside:?} beside the audio");
    }

    // The segments as the store keeps them: in order, each within one
    // call, together the whole text.
    let store = klang::store::Store::open(&dir.path().join("tasks.db")).unwrap();
    let piece = r.app.selection.pieces.rows()[0].id;
    let segments = store.segments(piece).unwrap();
    assert_eq!(segments.len(), 2);
    assert!(segments.iter().all(|s| s.chars <= 1000 && s.task.is_some()));
    assert_eq!(segments.iter().map(|s| s.chars).sum::<i64>(), 1298);

    // Up from the first task is the piece; `=` opens its segments.
    r.key(KeyCode::Char('g'));
    r.key(KeyCode::Up);
    r.key(KeyCode::Char('='));
    r.wait_for("the segments to load", |a| {
        a.selection
            .segments
            .as_ref()
            .is_some_and(|v| !v.loading && v.lines.len() == 2)
    })
    .await;
    let screen = r.screen();
    assert!(
        screen.contains("Segments of piece #1 · 2/2 · assembled"),
        "{screen}"
    );
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("completed") && l.contains("The quick brown fox"))
        .collect();
    assert_eq!(
        rows.len(),
        2,
        "both segments in order, with text:\n{screen}"
    );
    assert!(
        rows[0].contains("  1 ") && rows[1].contains("  2 "),
        "{screen}"
    );
    assert!(
        screen.contains("output ") && screen.contains("speech-"),
        "{screen}"
    );

    // `r` on segment 1: exactly one call, and the piece is assembled
    // again from the new take.
    let before = std::fs::read(&output).unwrap();
    r.key(KeyCode::Char('g'));
    r.key(KeyCode::Char('r'));
    r.wait_for("the piece assembled again from the new take", |a| {
        a.selection.pieces.rows()[0].state == "assembled"
            && std::fs::read(&output).is_ok_and(|now| now != before)
    })
    .await;
    assert_eq!(creates(&r), 3, "one call for the retake");
    let segments = store.segments(piece).unwrap();
    assert_eq!(store.takes_of(&segments[0].content_key).unwrap().len(), 2);
    assert_eq!(store.takes_of(&segments[1].content_key).unwrap().len(), 1);
    assert!(crate::common::ffmpeg::probe_duration(&output) > 60.0);
    r.key(KeyCode::Esc);
    assert!(r.app.selection.segments.is_none());

    // `p` on the piece plays its output; the row says which segment sounds.
    let (player_dir, log) = stand_in_player();
    r.effects.set_player_env(Environment {
        configured: None,
        over_ssh: false,
        path: Some(player_dir.path().as_os_str().to_owned()),
    });
    r.key(KeyCode::Char('g'));
    r.key(KeyCode::Up);
    r.key(KeyCode::Char('p'));
    assert_eq!(r.app.playback, Playback::Piece(piece));
    r.wait_for("the player to start", |a| {
        log.exists() && a.piece_playhead().is_some()
    })
    .await;
    let played = std::fs::read_to_string(&log).unwrap();
    assert_eq!(played.lines().last(), Some(output.to_str().unwrap()));
    assert_eq!(r.app.piece_playhead().and_then(|h| h.segment), Some(0));
    let screen = r.screen();
    assert!(
        screen
            .lines()
            .any(|l| l.contains("segment 1/2") && l.contains("▶")),
        "the row names the segment sounding:\n{screen}"
    );
    r.key(KeyCode::Char('p'));
    assert_eq!(r.app.playback, Playback::Stopped);

    // The same text again is the same piece and sends nothing.
    new_tts(&mut r);
    r.paste(&script_1299());
    r.key(KeyCode::Enter);
    r.wait_for("the second submit's answer", |a| {
        a.toasts.iter().any(|t| t.text.contains("0 calls sent"))
    })
    .await;
    assert_eq!(creates(&r), 3, "nothing paid twice");
    assert_eq!(r.app.selection.pieces.rows().len(), 1);
}
