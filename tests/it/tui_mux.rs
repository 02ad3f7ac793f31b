//! The dashboard's mux key through the harness, on a real engine and
//! sandbox: a video-to-audio task made in the form from a 5 s MP4 on a
//! local file host, `M` downloading the result first and muxing off the UI
//! task, the details showing the muxed file (judged by ffprobe); and a
//! PATH without ffmpeg.

use crate::common;

use common::clips::{self, Clip};
use common::video_host;
use crossterm::event::KeyCode;
use klang::audio::player::Environment;
use klang::store::LocalState;
use klang::tui::harness::Runner;
use klang::tui::state::dub::MuxState;
use std::path::PathBuf;

/// A completed video-to-audio task made through the form, not downloaded;
/// its id. None without ffmpeg (outside CI).
async fn completed_v2a(
    r: &mut Runner,
    dir: &std::path::Path,
) -> Option<(i64, video_host::VideoHost)> {
    let host = video_host::with_clips(dir, &[("walk.mp4", Clip::new(5.0))]).await?;
    r.key(KeyCode::Char('n'));
    r.ctrl('n');
    r.paste(&host.url("walk.mp4"));
    r.wait_for_text("✓ MP4 · 5.0 s").await;
    r.key(KeyCode::Enter);
    r.wait_for("the task to complete", |a| {
        a.selected()
            .is_some_and(|t| t.state == LocalState::Completed)
    })
    .await;
    r.key(KeyCode::Esc);
    let id = r.app.selected().map(|t| t.id)?;
    Some((id, host))
}

#[tokio::test]
async fn m_muxes_the_selected_result_and_the_details_show_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 120, 40).await;
    let Some((id, _host)) = completed_v2a(&mut r, dir.path()).await else {
        return;
    };
    r.key(KeyCode::Char('M'));
    // Not downloaded yet: the download comes first, then the mux.
    assert!(
        r.commands
            .iter()
            .any(|c| matches!(c, klang::tui::Command::Download(d) if *d == id))
    );
    r.wait_for("the mux", |a| {
        matches!(a.muxed_file(id), Some(MuxState::Done(_)))
    })
    .await;
    let Some(MuxState::Done(path)) = r.app.muxed_file(id).cloned() else {
        unreachable!()
    };
    let screen = r.screen();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(screen.contains("muxed"), "{screen}");
    assert!(
        screen.contains(&name[..name.len().min(30)]),
        "{name} not in\n{screen}"
    );
    let (mut streams, seconds) = clips::probe(&path);
    streams.sort();
    assert_eq!(streams, ["audio", "video"]);
    assert!((seconds - 5.0).abs() <= 0.3, "{seconds} s");
    // The store has it, for the next start.
    let store = r.engine().unwrap().store().clone();
    assert_eq!(store.latest_muxes(5).unwrap(), [(id, path.clone())]);

    // Again: a second file, the first kept.
    r.key(KeyCode::Char('M'));
    r.wait_for(
        "the second mux",
        |a| matches!(a.muxed_file(id), Some(MuxState::Done(p)) if *p != path),
    )
    .await;
    assert!(path.is_file());
}

#[tokio::test]
async fn without_ffmpeg_m_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox_with(dir.path(), 120, 40, true).await;
    let Some((id, _host)) = completed_v2a(&mut r, dir.path()).await else {
        return;
    };
    let empty = tempfile::tempdir().unwrap();
    r.effects.set_player_env(Environment {
        configured: None,
        over_ssh: false,
        path: Some(empty.path().as_os_str().to_owned()),
    });
    r.wait_for("the download", |a| {
        a.selected()
            .and_then(|t| t.local_path.as_deref())
            .is_some_and(|p| PathBuf::from(p).is_file())
    })
    .await;
    r.key(KeyCode::Char('M'));
    r.wait_for("the refusal", |a| {
        a.toasts
            .iter()
            .any(|t| t.error && t.text.contains("ffmpeg"))
    })
    .await;
    let toast = r.app.toasts.iter().find(|t| t.error).unwrap();
    assert!(
        toast.text.contains("not on PATH") && toast.text.contains("install"),
        "{toast:?}"
    );
    assert_eq!(r.app.muxed_file(id), None);
}
