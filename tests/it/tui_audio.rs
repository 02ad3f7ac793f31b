//! The dashboard against the sandbox over HTTP: a result is downloaded by
//! itself, measured off the UI task, and its waveform and loudness appear
//! in the details; `p` hands the file to a player (a stand-in script that
//! records its arguments), `p` again stops it; over SSH with no player
//! configured nothing runs and the dashboard says why.

use crate::common;

use common::player::stand_in_player;
use crossterm::event::KeyCode;
use klang::audio::player::Environment;
use klang::store::LocalState;
use klang::tui::harness::Runner;
use klang::tui::{Focus, Playback};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

async fn completed_and_measured(r: &mut Runner, prompt: &str) -> i64 {
    r.key(KeyCode::Char('n'));
    assert_eq!(r.app.focus, Focus::Input);
    r.type_text(prompt);
    r.key(KeyCode::Enter);
    r.wait_for("the submit's answer", |a| !a.submitting()).await;
    r.wait_for("the row", |a| a.selection.tasks.total() == 1)
        .await;
    r.wait_for("completion, download and measurement", |a| {
        a.selected().is_some_and(|t| {
            t.state == LocalState::Completed && t.local_path.is_some() && a.analysis_of(t).is_some()
        })
    })
    .await;
    r.app.selected().map(|t| t.id).unwrap()
}

#[tokio::test]
async fn a_result_arrives_by_itself_with_its_waveform_and_loudness() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox_with(dir.path(), 120, 40, true).await;
    completed_and_measured(&mut r, "heavy rain").await;
    // Nobody pressed d: the dashboard fetched it.
    assert!(
        !r.commands
            .iter()
            .any(|c| matches!(c, klang::tui::Command::Download(_)))
    );
    let screen = r.screen();
    assert!(screen.contains("LUFS"), "{screen}");
    assert!(screen.contains("44.1 kHz mono"), "{screen}");
    let braille = screen
        .chars()
        .filter(|c| ('\u{2801}'..='\u{28FF}').contains(c))
        .count();
    assert!(braille > 50, "no braille waveform:\n{screen}");

    // Narrower: drawn again from the stored peaks, nothing decoded again.
    let before = r.commands.len();
    r.terminal.backend_mut().resize(70, 40);
    let narrow = r.screen();
    assert!(
        narrow
            .chars()
            .any(|c| ('\u{2801}'..='\u{28FF}').contains(&c)),
        "{narrow}"
    );
    assert!(
        !r.commands[before..]
            .iter()
            .any(|c| matches!(c, klang::tui::Command::Analyse(_)))
    );

    // basic16 / NO_COLOR: block characters instead of braille.
    r.app.settings.waveform_blocks = true;
    let blocks = r.screen();
    assert!(blocks.contains('█'), "{blocks}");
    assert!(
        !blocks
            .chars()
            .any(|c| ('\u{2801}'..='\u{28FF}').contains(&c)),
        "{blocks}"
    );
}

#[tokio::test]
async fn p_plays_the_file_and_p_again_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox_with(dir.path(), 120, 40, true).await;
    let (bin, log) = stand_in_player();
    r.effects.set_player_env(Environment {
        configured: None,
        over_ssh: false,
        path: Some(bin.path().as_os_str().to_owned()),
    });
    let id = completed_and_measured(&mut r, "door knocks").await;
    let file = r.app.selected().and_then(|t| t.local_path.clone()).unwrap();

    r.key(KeyCode::Char('p'));
    assert_eq!(r.app.playback, Playback::Playing(id));
    r.wait_for("the player to start", |_| log.exists()).await;
    let args = std::fs::read_to_string(&log).unwrap();
    assert_eq!(args.lines().last(), Some(file.as_str()), "{args}");
    assert!(r.screen().contains("playing"));

    r.key(KeyCode::Char('p'));
    assert_eq!(r.app.playback, Playback::Stopped);
    // The killed player's end comes back as a message, and says nothing.
    r.wait_for("the player's end", |a| {
        a.toasts.iter().any(|t| t.text.contains("stopped"))
    })
    .await;
    assert!(!r.app.toasts.iter().any(|t| t.error), "{:?}", r.app.toasts);
}

/// ffplay or paplay with no audio device: exit 0 at once, not a word.
#[tokio::test]
async fn a_player_that_quits_at_once_is_reported_not_shown_as_playing() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox_with(dir.path(), 120, 40, true).await;
    let bin = tempfile::tempdir().unwrap();
    let script = bin.path().join("ffplay");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    r.effects.set_player_env(Environment {
        configured: None,
        over_ssh: false,
        path: Some(bin.path().as_os_str().to_owned()),
    });
    completed_and_measured(&mut r, "door knocks").await;
    r.key(KeyCode::Char('p'));
    r.wait_for("the player's end", |a| a.playback == Playback::Stopped)
        .await;
    r.wait_for("the report", |a| a.toasts.iter().any(|t| t.error))
        .await;
    let toast = r.app.toasts.iter().find(|t| t.error).unwrap().text.clone();
    assert!(
        toast.starts_with("the player (ffplay) stopped after 0.")
            && toast.contains(" s of 5.0 s: is there an audio device?"),
        "{toast}"
    );
    assert!(r.screen().contains("is there an audio device"));
}

#[tokio::test]
async fn over_ssh_without_a_configured_player_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox_with(dir.path(), 120, 40, true).await;
    let (bin, log) = stand_in_player();
    r.effects.set_player_env(Environment {
        configured: None,
        over_ssh: true,
        path: Some(bin.path().as_os_str().to_owned()),
    });
    completed_and_measured(&mut r, "laser chirps").await;
    r.key(KeyCode::Char('p'));
    r.wait_for("the refusal", |a| a.playback == Playback::Stopped)
        .await;
    let screen = r.screen();
    assert!(screen.contains("SSH"), "{screen}");
    assert!(screen.contains("copy the URL with y"), "{screen}");
    assert!(!log.exists(), "a player ran over SSH");
}

/// `w` renders the selected result with the `[render]` settings, off the
/// UI task, and says where the file went; ffmpeg judges the file.
#[tokio::test]
async fn the_render_key_writes_the_file_the_settings_ask_for() {
    if common::ffmpeg::missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox_with(dir.path(), 120, 40, true).await;
    r.app.settings.export = klang::audio::render::Settings {
        rate: Some(48_000),
        normalize: Some(-23.0),
        trim: true,
        ..Default::default()
    };
    let id = completed_and_measured(&mut r, "heavy rain").await;
    r.key(KeyCode::Char('w'));
    assert!(
        r.commands
            .iter()
            .any(|c| matches!(c, klang::tui::Command::ExportAudio { .. }))
    );
    let toast = format!("rendered #{id}: ");
    r.wait_for("the render's answer", |a| {
        a.toasts.iter().any(|t| t.text.starts_with(&toast))
    })
    .await;
    let text = r
        .app
        .toasts
        .iter()
        .find(|t| t.text.starts_with(&toast))
        .unwrap()
        .text
        .clone();
    let path = PathBuf::from(&text[toast.len()..]);
    let judged = common::ffmpeg::judge(&path);
    assert_eq!((judged.codec.as_str(), judged.rate), ("pcm_s24le", 48_000));
    assert!((judged.lufs + 23.0).abs() <= 0.5, "{judged:?}");
    assert!(judged.lead_s <= 0.015, "{judged:?}");
    // Again: a second file, the first kept.
    r.key(KeyCode::Char('w'));
    // The first toast may have gone by now (ffmpeg took its time): the
    // second is the one naming another file.
    let first = text.clone();
    let second_toast = |a: &klang::tui::App| {
        a.toasts
            .iter()
            .find(|t| t.text.starts_with(&toast) && t.text != first)
            .map(|t| t.text.clone())
    };
    r.wait_for("the second render", |a| second_toast(a).is_some())
        .await;
    let second = second_toast(&r.app).unwrap();
    let second = PathBuf::from(&second[toast.len()..]);
    assert_ne!(second, path);
    assert!(path.is_file() && second.is_file());
}
