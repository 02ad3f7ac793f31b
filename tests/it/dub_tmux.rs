//! A dub in a real terminal (tmux) against the sandbox over loopback,
//! whose creates the test counts: `klang dub` makes a three-cue dub (cue 2
//! runs over, kept); in the dashboard `=` on it lists the cues with their
//! fit, `is:overrun` keeps cue 2 alone, and `r` on it sends exactly one
//! create and the dub's track is written again.

use crate::common;

use common::home::Home;
use common::tmux::{self, Tmux};
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dubs_cues_with_their_fit_and_one_retaken() {
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
    let track = crate::dub_tui::cli_dub(&home, &sb.base_url()).await;
    let before = std::fs::read(&track).unwrap();
    assert_eq!(creates(), 3, "klang dub: one call per cue");
    let piece = 1;
    let tmux = Tmux::start("dub", home.dir.path());
    tmux.run(&["resize-window", "-t", "klang", "-x", "120", "-y", "40"]);
    let bin = env!("CARGO_BIN_EXE_klang");
    tmux.literal(&format!(
        "clear; KLANG_API_KEY={SANDBOX_KEY} KLANG_DOWNLOAD_DIR='{}' {bin}; echo dub:EXIT:$?",
        home.downloads().display()
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("Pieces 1");

    tmux.keys(&["g", "Up", "="]);
    tmux.wait_for(&format!("Cues of dub #{piece}"));
    tmux.wait_until_gone("loading…");
    // The title is drawn before the rows: wait for the rows themselves.
    let screen = tmux.wait_for_all(&["Line 2 harbour", "I saw it from the boat", "s over"]);
    let row = |screen: &str, text: &str| {
        screen
            .lines()
            .find(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no row with {text:?}:\n{screen}"))
            .to_string()
    };
    let second = row(&screen, "Line 2 harbour");
    assert!(
        second.contains("0:04.0") && second.contains("x ") && second.contains("s over"),
        "{screen}"
    );
    assert!(
        row(&screen, "I saw it from the boat").contains("0:07.0"),
        "{screen}"
    );

    tmux.keys(&["/"]);
    tmux.literal("is:overrun");
    tmux.keys(&["Enter"]);
    tmux.wait_for("is:overrun: 1 of 3");
    // The title is drawn before the rows: wait for the whole frame.
    let screen = tmux.wait_until_gone("The lighthouse");
    assert!(screen.contains("Line 2 harbour"), "{screen}");
    assert_eq!(creates(), 3, "nothing sent while looking");

    tmux.keys(&["r"]);
    tmux::wait_until("the retake's create", || creates() == 4);
    tmux.wait_for("cue 2: new take");
    tmux::wait_until("the dub placed again", || {
        std::fs::read(&track).is_ok_and(|now| now != before)
    });
    // Settled: no create arrives late.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(creates(), 4, "r on cue 2 sent exactly one create");
    tmux.keys(&["Escape"]);
    tmux.wait_until_gone("Cues of dub");
    tmux.quit("dub:EXIT:0");
}
