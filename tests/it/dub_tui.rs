//! A dub in the dashboard, driven by keys against the sandbox over HTTP
//! with a real store. A dub of three cues as `klang dub` leaves it (a
//! piece of kind "dub", each segment with its fit; cue 2 ran 0.4 s into
//! cue 3 and was kept), its speech track and its mix on disk: `=` on the
//! piece lists the cues with their time, speed and fit; `is:overrun` in
//! the filter keeps cue 2 alone; `p` plays the mix and marks the cue
//! sounding. And a dub made by `klang dub` itself: `r` on a cue sends
//! exactly one call and the dub is placed again into its track.

use crate::common::player::stand_in_player;
use crossterm::event::KeyCode;
use klang::api::{CreateRequest, TtsParams};
use klang::audio::player::Environment;
use klang::store::{DubFit, FitAction, LocalState, SegmentRow, Store, TaskRecord};
use klang::tui::harness::Runner;
use klang::tui::state::playback::Playback;
use std::path::Path;

const CUES: [(&str, u64, u64, f64, Option<u64>); 3] = [
    (
        "The lighthouse was dark that night.",
        1_000,
        3_500,
        1.0,
        None,
    ),
    (
        "Did you see it from the boat?",
        4_000,
        5_000,
        1.3,
        Some(400),
    ),
    ("I saw it.", 5_200, 6_500, 1.1, Some(60)),
];

fn request(text: &str, speed: f64) -> CreateRequest {
    CreateRequest::Tts(TtsParams {
        text: text.into(),
        voice_id: "reader_en_m-v1".into(),
        voice_language: "en".into(),
        voice_speed: Some(speed),
        callback_url: None,
    })
}

/// The store in `dir` as `klang dub` leaves a three-cue dub: its piece
/// id, and the speech track and mix it wrote.
fn dubbed(dir: &Path) -> (i64, std::path::PathBuf, std::path::PathBuf) {
    let store = Store::open(&dir.join("tasks.db")).unwrap();
    seed_dub(&store, dir, &dir.join("downloads"))
}

/// A three-cue dub in `store`, its subtitles in `dir` and its track and
/// mix in `out`.
pub fn seed_dub(
    store: &Store,
    dir: &Path,
    out: &Path,
) -> (i64, std::path::PathBuf, std::path::PathBuf) {
    let records: Vec<TaskRecord> = CUES
        .iter()
        .map(|&(text, ..)| TaskRecord {
            state: LocalState::Completed,
            task_id: Some(format!("dub-{}", text.len())),
            ..TaskRecord::new(request(text, 1.0))
        })
        .collect();
    store.insert_many(&records).unwrap();
    std::fs::create_dir_all(out).unwrap();
    let track = out.join("film.wav");
    let mix = out.join("film.mp4");
    std::fs::write(&track, b"the speech track").unwrap();
    std::fs::write(&mix, b"the mix").unwrap();
    let subs = dir.join("film.srt");
    let srt: String = CUES
        .iter()
        .enumerate()
        .map(|(i, (text, start, end, ..))| {
            format!(
                "{}\n00:00:0{},{:03} --> 00:00:0{},{:03}\n{text}\n\n",
                i + 1,
                start / 1000,
                start % 1000,
                end / 1000,
                end % 1000
            )
        })
        .collect();
    std::fs::write(&subs, srt).unwrap();
    let piece = store
        .upsert_piece(
            "dub",
            &subs.display().to_string(),
            &track.display().to_string(),
            "{}",
        )
        .unwrap();
    let rows: Vec<SegmentRow> = CUES
        .iter()
        .enumerate()
        .map(|(i, &(text, start, end, speed, overrun))| {
            let fit = DubFit {
                cue: i + 1,
                part: 1,
                cue_start_ms: start,
                cue_end_ms: end,
                slot_start_ms: start,
                slot_ms: end - start,
                speaker: None,
                speed,
                first_speed: speed,
                basis: "b".into(),
                speech_ms: Some(end - start + overrun.unwrap_or(0)),
                start_ms: Some(start + 5),
                overrun_ms: overrun,
                action: if overrun.is_some_and(|o| o > 150) {
                    FitAction::Kept
                } else {
                    FitAction::Fits
                },
            };
            SegmentRow {
                position: i as i64 + 1,
                span: (0, text.len() as i64),
                chars: text.chars().count() as i64,
                request: serde_json::to_string(&request(text, speed)).unwrap(),
                content_key: format!("{:064x}", i + 1),
                task: Some(i as i64 + 1),
                fit: Some(fit),
            }
        })
        .collect();
    store.set_segments(piece, &rows).unwrap();
    store.set_piece_state(piece, "assembled", None).unwrap();
    (piece, track, mix)
}

fn creates(r: &Runner) -> u64 {
    r.sandbox
        .as_ref()
        .map(|s| s.stats())
        .unwrap_or_default()
        .creates
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dubs_cues_show_their_fit_and_p_plays_the_mix() {
    let dir = tempfile::tempdir().unwrap();
    let (piece, _track, mix) = dubbed(dir.path());
    let mut r = Runner::sandbox_with(dir.path(), 120, 40, false).await;
    r.wait_for("the dub's row", |a| !a.selection.pieces.rows().is_empty())
        .await;
    r.key(KeyCode::Char('g'));
    r.key(KeyCode::Up);
    r.key(KeyCode::Char('='));
    r.wait_for("the cues to load", |a| {
        a.selection
            .segments
            .as_ref()
            .is_some_and(|v| !v.loading && v.lines.len() == 3)
    })
    .await;
    let screen = r.screen();
    assert!(
        screen.contains(&format!("Cues of dub #{piece} · 3/3")),
        "{screen}"
    );
    let row = |screen: &str, text: &str| {
        screen
            .lines()
            .find(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no row with {text:?}:\n{screen}"))
            .to_string()
    };
    let first = row(&screen, "The lighthouse was dark");
    assert!(
        first.contains("0:01.0") && first.contains("1.0x") && first.contains('✓'),
        "{first}"
    );
    let second = row(&screen, "Did you see it");
    assert!(
        second.contains("0:04.0") && second.contains("1.3x") && second.contains("+0.4 s over"),
        "{second}"
    );
    // 60 ms into the next line is within what a listener lets pass.
    let third = row(&screen, "I saw it.");
    assert!(
        third.contains("1.1x") && third.contains('✓') && !third.contains("over"),
        "{third}"
    );
    assert!(
        screen.contains(&format!("mix {}", mix.display())),
        "{screen}"
    );

    // is:overrun keeps the cue that runs over; the table is not emptied by it.
    r.key(KeyCode::Char('/'));
    r.type_text("is:overrun");
    r.key(KeyCode::Enter);
    let screen = r.screen();
    assert!(screen.contains("is:overrun: 1 of 3"), "{screen}");
    assert!(
        screen.contains("Did you see it") && !screen.contains("The lighthouse"),
        "{screen}"
    );
    assert_eq!(r.app.selection.segments.as_ref().unwrap().lines.len(), 1);
    assert_eq!(
        r.app.selection.tasks.len(),
        3,
        "the table still lists the takes"
    );

    // Off with the filter; `p` plays the mix, the first cue sounding.
    r.key(KeyCode::Char('/'));
    for _ in 0.."is:overrun".len() {
        r.key(KeyCode::Backspace);
    }
    r.key(KeyCode::Enter);
    assert_eq!(r.app.selection.segments.as_ref().unwrap().lines.len(), 3);
    let (player_dir, log) = stand_in_player();
    r.effects.set_player_env(Environment {
        configured: None,
        over_ssh: false,
        path: Some(player_dir.path().as_os_str().to_owned()),
    });
    r.key(KeyCode::Char('p'));
    assert_eq!(r.app.playback, Playback::Piece(piece));
    r.wait_for("the player to start", |a| {
        log.exists() && a.piece_playhead().is_some()
    })
    .await;
    let played = std::fs::read_to_string(&log).unwrap();
    assert_eq!(played.lines().last(), Some(mix.to_str().unwrap()));
    assert_eq!(r.app.piece_playhead().and_then(|h| h.segment), Some(0));
    let screen = r.screen();
    assert!(row(&screen, "The lighthouse").contains('♪'), "{screen}");
    r.key(KeyCode::Char('p'));
    assert_eq!(r.app.playback, Playback::Stopped);
}

/// A three-cue SRT in `home`, dubbed by the real `klang dub` against
/// `sandbox_url` with `--overrun keep`: the track's path. Cue 2's 62
/// characters run past the next cue even at 1.3x.
pub async fn cli_dub(home: &crate::common::home::Home, sandbox_url: &str) -> std::path::PathBuf {
    let srt = "1\n00:00:01,000 --> 00:00:03,500\nThe lighthouse was dark.\n\n\
               2\n00:00:04,000 --> 00:00:06,500\nLine 2 harbour lantern evening morning island river mountain\n\n\
               3\n00:00:07,000 --> 00:00:09,500\nI saw it from the boat.\n";
    let subs = home.dir.path().join("film.srt");
    std::fs::write(&subs, srt).unwrap();
    let out_dir = home.dir.path().join("dub");
    let out = home
        .run(
            Some(klang::sandbox::SANDBOX_KEY),
            &[
                "--base-url",
                sandbox_url,
                "dub",
                subs.to_str().unwrap(),
                "--overrun",
                "keep",
                "--out",
                out_dir.to_str().unwrap(),
                "--json",
            ],
        )
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::home::stderr(&out)
    );
    let doc = crate::common::home::json(&out);
    std::path::PathBuf::from(doc["path"].as_str().expect("the track's path"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_on_a_cue_sends_one_call_and_the_dub_is_placed_again() {
    if crate::common::judge::ffmpeg_missing() {
        return;
    }
    let cli_sandbox = klang::sandbox::start(klang::sandbox::SandboxConfig {
        pending_ms: 100,
        processing_ms: 100,
        ..Default::default()
    })
    .await
    .unwrap();
    let home = crate::common::home::Home::new();
    let track = cli_dub(&home, &cli_sandbox.base_url()).await;
    let before = std::fs::read(&track).unwrap();
    let seconds = crate::common::ffmpeg::probe_duration(&track);
    // The dashboard on the same store, its own sandbox counting creates.
    let data = home.dir.path().join("data/klang");
    let mut r = Runner::sandbox_with(&data, 120, 40, true).await;
    r.wait_for("the dub's row", |a| !a.selection.pieces.rows().is_empty())
        .await;
    assert_eq!(r.app.selection.pieces.rows()[0].kind, "dub");
    assert_eq!(r.app.selection.pieces.rows()[0].state, "assembled");
    r.key(KeyCode::Char('g'));
    r.key(KeyCode::Up);
    r.key(KeyCode::Char('='));
    r.wait_for("the cues to load", |a| {
        a.selection
            .segments
            .as_ref()
            .is_some_and(|v| !v.loading && v.lines.len() == 3)
    })
    .await;
    let screen = r.screen();
    assert!(
        screen.contains("Cues of dub #1 · 3/3 · assembled"),
        "{screen}"
    );
    assert!(
        screen.contains("0:07.0") && screen.contains("I saw it from the boat."),
        "{screen}"
    );
    let overrun = r.app.selection.segments.as_ref().unwrap().lines[1]
        .fit
        .as_ref()
        .is_some_and(|f| f.is_overrun());
    assert!(overrun, "cue 2 runs over:\n{screen}");
    assert!(screen.contains("s over"), "{screen}");

    r.key(KeyCode::Char('r'));
    r.wait_for("the dub placed again from the new take", |a| {
        a.selection.pieces.rows()[0].state == "assembled"
            && std::fs::read(&track).is_ok_and(|now| now != before)
    })
    .await;
    r.settle();
    assert_eq!(creates(&r), 1, "one call for the retake");
    assert_eq!(
        cli_sandbox.stats().creates,
        3,
        "klang dub sent one call per cue"
    );
    let store = Store::open(&data.join("tasks.db")).unwrap();
    let segments = store.segments(1).unwrap();
    assert_eq!(store.takes_of(&segments[0].content_key).unwrap().len(), 2);
    assert_eq!(store.takes_of(&segments[1].content_key).unwrap().len(), 1);
    let again = crate::common::ffmpeg::probe_duration(&track);
    assert!(
        (again - seconds).abs() < 0.05,
        "the track keeps its length: {seconds} then {again}"
    );
}
