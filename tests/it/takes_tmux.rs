//! Choosing among takes in a real terminal (tmux, 160x45) against a server
//! whose three takes differ by about 10 LU: `=` shows the three with their
//! loudness and a braille waveform on one line each; `p j p j p` hands the
//! player three files that ffmpeg measures within 1 LU of each other; the
//! playhead moves while one plays; `x x` deletes exactly one file and the
//! history keeps all three rows. `L` loops the selected take and `B`
//! lays the group's takes into a minute of bed; the details name both.

use crate::common;

use common::home::{Home, json};
use common::judge::{ffmpeg_missing, integrated_lufs};
use common::tmux::{self, Tmux};
use std::path::{Path, PathBuf};
use std::time::Duration;

const KEY: &str = "sk-takes-test";

/// A player that writes down the file it was given and plays "forever"
/// (until klang stops it).
fn stand_in_player(dir: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join("played.log");
    let script = dir.join("player.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1\" >> '{}'\nexec sleep 60\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

fn played(log: &Path) -> Vec<PathBuf> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(PathBuf::from)
        .collect()
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "wav"))
            .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_takes_are_compared_at_one_loudness_and_one_is_discarded() {
    if tmux::missing() || ffmpeg_missing() {
        return;
    }
    let api = common::takes_api::start(KEY).await;
    let home = Home::new();
    let (player, log) = stand_in_player(home.dir.path());
    home.write_config(&format!(
        "base_url = \"{}\"\nplayer = \"{}\"\n",
        api.base_url(),
        player.display()
    ));
    let out = home
        .run(
            Some(KEY),
            &[
                "submit",
                "sfx",
                "--prompt",
                "glass shatter",
                "--duration",
                "3",
                "--count",
                "3",
                "--wait",
                "--download",
                "--json",
            ],
        )
        .await;
    assert!(out.status.success(), "{}", common::home::stderr(&out));
    assert_eq!(files_in(&home.downloads()), 3);

    let tmux = Tmux::start("takes", home.dir.path());
    tmux.run(&["resize-window", "-t", "klang", "-x", "160", "-y", "45"]);
    let bin = env!("CARGO_BIN_EXE_klang");
    tmux.literal(&format!(
        "clear; KLANG_API_KEY={KEY} KLANG_DOWNLOAD_DIR='{}' {bin}; echo takes:EXIT:$?",
        home.downloads().display()
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("glass shatter");
    tmux.keys(&["="]);
    let screen = tmux.wait_for_all(&["Takes of group", "3 takes"]);
    // Rows fill in as the takes are measured.
    let rows = |screen: &str| -> usize {
        screen
            .lines()
            // A take's row: its state glyph, braille, and its loudness.
            .filter(|l| l.contains(" ✓ ") && l.contains(" LUFS "))
            .filter(|l| l.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)))
            .count()
    };
    let mut screen = screen;
    for _ in 0..100 {
        if rows(&screen) >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        screen = tmux.capture();
    }
    assert_eq!(
        rows(&screen),
        3,
        "three takes, each with LUFS and a braille waveform:\n{screen}"
    );

    tmux.keys(&["g", "p"]);
    tmux::wait_until("the first take to play", || played(&log).len() == 1);
    tmux.keys(&["j", "p"]);
    tmux::wait_until("the second take to play", || played(&log).len() == 2);
    tmux.keys(&["j", "p"]);
    tmux::wait_until("the third take to play", || played(&log).len() == 3);
    // The playhead moves: two captures a second apart differ.
    let before = tmux.capture();
    std::thread::sleep(Duration::from_secs(1));
    let after = tmux.capture();
    assert_ne!(before, after, "the playhead moved");
    assert!(
        after.contains("played at"),
        "the details name the gain:\n{after}"
    );
    let files = played(&log);
    let levels: Vec<f64> = files.iter().map(|f| integrated_lufs(f)).collect();
    let originals: Vec<f64> = std::fs::read_dir(home.downloads())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| integrated_lufs(&e.path()))
        .collect();
    let spread = |v: &[f64]| {
        v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
    };
    assert!(spread(&originals) > 15.0, "the takes differ: {originals:?}");
    assert!(
        spread(&levels) <= 1.0,
        "played within 1 LU: {levels:?} ({files:?})"
    );

    // `v`: the spectrogram in place of the waveform, in half blocks.
    tmux.keys(&["v"]);
    let half_blocks = |screen: &str| screen.matches('\u{2580}').count();
    let mut screen = tmux.capture();
    for _ in 0..100 {
        if half_blocks(&screen) >= 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        screen = tmux.capture();
    }
    assert!(
        half_blocks(&screen) >= 200,
        "the spectrogram draws at least 200 half-block cells:\n{screen}"
    );
    tmux.keys(&["v"]);

    // Stop, then discard the third take: exactly one file goes.
    tmux.keys(&["p"]);
    tmux.keys(&["x"]);
    tmux.wait_for("discard take");
    tmux.keys(&["x"]);
    tmux.wait_for("discarded #");
    tmux::wait_until("the file to go", || files_in(&home.downloads()) == 2);
    // `=` closes the view (an Esc right before q would read as Alt-q).
    tmux.keys(&["="]);
    tmux.wait_for("Tasks");
    tmux.quit("takes:EXIT:0");

    let list = home.run(Some(KEY), &["list", "--json"]).await;
    let rows = json(&list);
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 3);
    let discarded = rows.iter().filter(|r| r["discarded"] == true).count();
    assert_eq!(discarded, 1, "{rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l_and_b_in_the_takes_view_make_a_loop_and_a_bed_and_the_details_show_them() {
    if tmux::missing() || ffmpeg_missing() {
        return;
    }
    let api = common::takes_api::start(KEY).await;
    let home = Home::new();
    home.write_config(&format!("base_url = \"{}\"\n", api.base_url()));
    let out = home
        .run(
            Some(KEY),
            &[
                "submit",
                "sfx",
                "--prompt",
                "glass shatter",
                "--duration",
                "3",
                "--count",
                "3",
                "--wait",
                "--download",
                "--json",
            ],
        )
        .await;
    assert!(out.status.success(), "{}", common::home::stderr(&out));

    let tmux = Tmux::start("takesloop", home.dir.path());
    tmux.run(&["resize-window", "-t", "klang", "-x", "160", "-y", "45"]);
    let bin = env!("CARGO_BIN_EXE_klang");
    tmux.literal(&format!(
        "clear; KLANG_API_KEY={KEY} KLANG_DOWNLOAD_DIR='{}' {bin}; echo takesloop:EXIT:$?",
        home.downloads().display()
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("glass shatter");
    tmux.keys(&["="]);
    tmux.wait_for_all(&["Takes of group", "3 takes"]);
    // The second take, then the loop key.
    tmux.keys(&["g", "j", "L"]);
    let screen = tmux.wait_for("ends match");
    let loops: Vec<PathBuf> = std::fs::read_dir(home.downloads())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".loop.wav"))
        .collect();
    assert_eq!(loops.len(), 1, "{loops:?}");
    let name = loops[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(screen.contains(&name), "the details name {name}:\n{screen}");
    // The file is a loop as ffmpeg and a RIFF reader see it.
    let frames = common::ffmpeg::judge(&loops[0]).samples;
    assert_eq!(
        common::riff::smpl_loop(&loops[0]).map(|(a, b)| (u64::from(a), u64::from(b))),
        Some((0, frames - 1))
    );
    crate::loop_cmd::seamless(&loops[0]).unwrap_or_else(|e| panic!("{e}"));
    // It was made of the selected take: the second one submitted.
    let list = home.run(Some(KEY), &["list", "--json"]).await;
    let rows = json(&list);
    let mut rows: Vec<&serde_json::Value> = rows.as_array().unwrap().iter().collect();
    rows.sort_by_key(|r| r["id"].as_i64());
    let second = Path::new(rows[1]["local_path"].as_str().unwrap());
    assert_eq!(
        name,
        format!("{}.loop.wav", second.file_stem().unwrap().to_string_lossy())
    );

    // B: a minute of bed from the group's three takes, beside them.
    tmux.keys(&["B"]);
    let screen = tmux.wait_for("of bed from 3 takes");
    let beds: Vec<PathBuf> = std::fs::read_dir(home.downloads())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("-bed.wav"))
        .collect();
    assert_eq!(beds.len(), 1, "{beds:?}");
    let name = beds[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(screen.contains(&name), "the details name {name}:\n{screen}");
    let seconds = common::ffmpeg::probe_duration(&beds[0]);
    assert!((seconds - 60.0).abs() < 0.05, "{seconds} s");
    assert!(
        screen.contains(&format!("{seconds:.2} s of bed")),
        "the details give its length:\n{screen}"
    );
    tmux.keys(&["="]);
    tmux.wait_for("Tasks");
    tmux.quit("takesloop:EXIT:0");
}
