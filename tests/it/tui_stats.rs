//! The dashboard's stats overlay: `$` computes the figures off the UI task
//! from the real store and draws the daily bar chart and the per-model table.

use crossterm::event::KeyCode;
use klang::store::LocalState;
use klang::tui::harness::Runner;
use klang::tui::{Focus, Overlay};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dollar_opens_spend_and_stats_and_esc_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::sandbox(dir.path(), 120, 40).await;
    r.key(KeyCode::Char('n'));
    assert_eq!(r.app.focus, Focus::Input);
    r.type_text("rain on a tin roof");
    r.key(KeyCode::Enter);
    r.wait_for("the task to complete", |a| {
        a.selection
            .tasks
            .all()
            .first()
            .is_some_and(|t| t.state == LocalState::Completed)
    })
    .await;
    r.key(KeyCode::Char('$'));
    r.wait_for("the stats", |a| a.overlays.shown == Overlay::Stats)
        .await;
    let screen = r.screen();
    assert!(screen.contains("Spend and stats"), "{screen}");
    assert!(screen.contains("kling-sound-effects"), "{screen}");
    assert!(screen.contains("$0.0295"), "{screen}");
    assert_eq!(
        r.app.overlays.stats.as_ref().map(|s| s.days.len()),
        Some(30)
    );
    r.key(KeyCode::Esc);
    assert_eq!(r.app.overlays.shown, Overlay::None);
    assert!(!r.screen().contains("Spend and stats"));
}
