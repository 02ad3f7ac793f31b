//! The form's video check through the harness: a video URL typed into the
//! video-to-audio form is checked off the UI task against a local file
//! host (tests/common/video_host.rs) over loopback; the result shows under
//! the field, and Enter is refused while the check fails or runs.

use crate::common;

use common::clips::Clip;
use common::video_host::{self, VideoHost};
use crossterm::event::KeyCode;
use klang::tui::Command;
use klang::tui::harness::{Runner, empty_init};

async fn host(dir: &std::path::Path) -> Option<VideoHost> {
    let clips = [("good.mp4", Clip::new(5.0)), ("long.mp4", Clip::new(25.0))];
    video_host::with_clips(dir, &clips).await
}

/// The dashboard at 120x40 with the video-to-audio form open, the Video
/// field focused.
fn v2a_form() -> Runner {
    let mut r = Runner::new(empty_init(), 120, 40);
    r.key(KeyCode::Char('n'));
    r.ctrl('n');
    assert_eq!(r.app.form.model().short(), "v2a");
    r
}

fn submits(r: &Runner) -> usize {
    r.commands
        .iter()
        .filter(|c| matches!(c, Command::Submit { .. }))
        .count()
}

/// The form pane's line under the Video field (the label is padded to its
/// column; the selector's "Video to audio" is not it).
fn under_video(screen: &str) -> String {
    let mut lines = screen.lines();
    lines.find(|l| l.contains("Video      "));
    let line = lines.next().unwrap_or("");
    line.split('│').nth(1).unwrap_or("").trim().to_string()
}

#[tokio::test]
async fn a_good_video_shows_its_facts_and_enter_sends_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some(host) = host(dir.path()).await else {
        return;
    };
    let mut r = v2a_form();
    r.type_text(&host.url("good.mp4"));
    assert!(under_video(&r.screen()).contains("checking the video"));
    // Enter while the check runs: refused, one line.
    r.key(KeyCode::Enter);
    assert_eq!(submits(&r), 0);
    let toast = r.app.toasts.back().expect("a toast");
    assert!(
        toast.error && toast.text.contains("still being checked"),
        "{toast:?}"
    );

    let screen = r.wait_for_text("✓ MP4 · 5.0 s · 320x240 · ").await;
    assert!(
        under_video(&screen).starts_with("✓ MP4 · 5.0 s"),
        "{screen}"
    );
    r.key(KeyCode::Enter);
    assert_eq!(submits(&r), 1);
}

#[tokio::test]
async fn a_refused_video_shows_the_reason_in_the_error_colour_and_enter_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let Some(host) = host(dir.path()).await else {
        return;
    };
    let mut r = v2a_form();
    r.paste(&host.url("long.mp4"));
    let reason = "video is 25.0 s; the provider takes 3-20 s";
    let screen = r.wait_for_text(reason).await;
    assert_eq!(under_video(&screen), format!("✗ {reason}"));
    // Drawn in the theme's error colour.
    let buffer = r.terminal.backend().buffer().clone();
    let error = r.app.settings.theme.error;
    let row = screen.lines().position(|l| l.contains(reason)).unwrap() as u16;
    let col = screen.lines().nth(row as usize).unwrap().find('✗').unwrap();
    let col = screen.lines().nth(row as usize).unwrap()[..col]
        .chars()
        .count() as u16;
    assert_eq!(buffer[(col, row)].fg, error.fg.unwrap_or_default());
    r.key(KeyCode::Enter);
    assert_eq!(submits(&r), 0);
    let toast = r.app.toasts.back().expect("a toast");
    assert!(toast.error && toast.text.contains(reason), "{toast:?}");
    assert_eq!(toast.text.lines().count(), 1);
}

#[tokio::test]
async fn a_newer_url_replaces_the_older_check() {
    let dir = tempfile::tempdir().unwrap();
    let Some(host) = host(dir.path()).await else {
        return;
    };
    let mut r = v2a_form();
    // Typed one key at a time: each key restarts the wait, so only the
    // last URL is ever asked for.
    r.type_text(&host.url("long.mp4"));
    r.ctrl('u');
    r.type_text(&host.url("good.mp4"));
    let screen = r.wait_for_text("✓ MP4 · 5.0 s").await;
    assert!(!screen.contains("25.0 s"), "{screen}");
    assert_eq!(host.sent("long.mp4"), 0, "the older check never ran");
    // Emptying the field drops the line and Enter is the form's own
    // validation again.
    r.ctrl('u');
    assert!(under_video(&r.screen()).starts_with("SFX prompt"));
    r.key(KeyCode::Enter);
    assert_eq!(submits(&r), 0);
    assert!(
        r.app.form.error.is_some(),
        "the form names the missing video"
    );
}

#[tokio::test]
async fn a_video_id_is_not_checked() {
    let mut r = v2a_form();
    r.type_text("vid_1234");
    assert!(under_video(&r.screen()).starts_with("SFX prompt"));
    assert!(
        !r.commands
            .iter()
            .any(|c| matches!(c, Command::CheckVideo { .. }))
    );
    r.key(KeyCode::Enter);
    assert_eq!(submits(&r), 1);
}
