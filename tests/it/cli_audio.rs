//! `klang show` and `klang play` with real audio files: the figures in
//! `--json`, the one-line waveform, and the player chosen and run (a
//! stand-in script on PATH that records its arguments).

use crate::common;

use common::home::{Home, json, stderr};
use common::*;
use klang::sandbox::SANDBOX_KEY;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

/// Reference figures from ffmpeg's ebur128 filter (see tests/audio_analysis.rs).
const FIXTURES: [(&str, f64, f64, u64); 4] = [
    ("mono_22k.mp3", -16.9, -12.4, 1),
    ("stereo_44k.mp3", -26.0, -16.6, 2),
    ("stereo_48k.wav", -6.9, -6.0, 2),
    ("mono_32k.wav", -24.9, -19.3, 1),
];

#[tokio::test]
async fn show_json_carries_the_audio_figures_once_the_file_is_on_disk() {
    let home = Home::new();
    for (file, lufs, peak, channels) in FIXTURES {
        let id = home.completed_task_with(&fixture(file)).to_string();
        let doc = json(&home.run(None, &["show", &id, "--json"]).await);
        let audio = &doc["audio"];
        assert_eq!(audio["channels"], channels, "{file}: {doc}");
        assert!(
            (audio["loudness_lufs"].as_f64().unwrap() - lufs).abs() <= 0.5,
            "{file}: {audio}"
        );
        assert!(
            (audio["peak_dbfs"].as_f64().unwrap() - peak).abs() <= 0.5,
            "{file}: {audio}"
        );
        for key in [
            "duration_s",
            "sample_rate",
            "leading_silence_s",
            "trailing_silence_s",
        ] {
            assert!(audio[key].is_number(), "{file}: {key} in {audio}");
        }
        // Stored: the length column now has the measured length.
        let measured = home
            .store()
            .get(id.parse().unwrap())
            .unwrap()
            .measured_seconds;
        assert_eq!(measured, audio["duration_s"].as_f64());
    }
}

#[tokio::test]
async fn show_prints_the_figures_and_a_waveform_line() {
    let home = Home::new();
    let id = home
        .completed_task_with(&fixture("mono_22k.mp3"))
        .to_string();
    let out = home.run(None, &["show", &id]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("22.05 kHz mono"), "{text}");
    assert!(text.contains("LUFS"), "{text}");
    let wave = text
        .lines()
        .find(|l| l.starts_with("waveform"))
        .unwrap_or_else(|| panic!("{text}"));
    let drawn: String = wave.trim_start_matches("waveform").trim().to_string();
    assert_eq!(drawn.chars().count(), 60, "{wave}");
    // Not a TTY: the URL is plain text, no escape sequences at all.
    assert!(!text.contains('\x1b'), "{text:?}");
    // A file that is not audio says so instead of figures.
    let broken = home.dir.path().join("page.mp3");
    std::fs::write(&broken, "<html><body>expired</body></html>").unwrap();
    let id = home.completed_task_with(&broken).to_string();
    let doc = json(&home.run(None, &["show", &id, "--json"]).await);
    assert!(doc["audio"].is_null(), "{doc}");
    assert!(
        doc["audio_error"]
            .as_str()
            .unwrap()
            .contains("cannot decode"),
        "{doc}"
    );
}

/// A directory holding a stand-in `name` that writes its arguments to
/// `args.txt` beside it and "plays" for a second (PATH is only its own
/// folder, so by full path) (a player that quits long
/// before the file's end is reported as not having played it).
fn stand_in_player(name: &str) -> tempfile::TempDir {
    stand_in_playing(name, "/bin/sleep 1")
}

/// Like [`stand_in_player`], then `then` instead of playing.
fn stand_in_playing(name: &str, then: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("args.txt");
    let script = dir.path().join(name);
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n{then}\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `klang play ID` with `bin` as the whole PATH, plus `env`.
async fn play(home: &Home, bin: &Path, id: &str, env: &[(&str, &str)]) -> Output {
    home.cmd(None)
        .env("PATH", bin)
        .envs(env.iter().copied())
        .args(["play", id])
        .output()
        .await
        .expect("klang runs")
}

/// `klang play ID` with `key` against the API at `base_url`.
async fn play_on(home: &Home, bin: &Path, key: &str, base_url: &str, id: &str) -> Output {
    home.cmd(Some(key))
        .env("PATH", bin)
        .args(["--base-url", base_url, "play", id])
        .output()
        .await
        .expect("klang runs")
}

fn recorded(dir: &tempfile::TempDir) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(dir.path().join("args.txt")).ok()?;
    Some(text.lines().map(str::to_string).collect())
}

#[tokio::test]
async fn play_hands_the_file_to_the_first_player_found() {
    let home = Home::new();
    let id = home
        .completed_task_with(&fixture("stereo_44k.mp3"))
        .to_string();
    let bin = stand_in_player("ffplay");
    let out = play(&home, bin.path(), &id, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let args = recorded(&bin).expect("the player ran");
    assert_eq!(args[..2], ["-nodisp", "-autoexit"]);
    assert_eq!(
        args.last().unwrap(),
        &home
            .downloads()
            .join("stereo_44k.mp3")
            .display()
            .to_string()
    );
}

#[tokio::test]
async fn over_ssh_nothing_plays_unless_a_player_is_configured() {
    let home = Home::new();
    let id = home
        .completed_task_with(&fixture("stereo_44k.mp3"))
        .to_string();
    let bin = stand_in_player("mpv");
    let out = play(
        &home,
        bin.path(),
        &id,
        &[("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22")],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("SSH") && err.contains("https://r2.example/audio/result.mp3"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(recorded(&bin), None, "a player ran over SSH");

    // A configured player is the user's choice: it runs.
    let out = play(
        &home,
        bin.path(),
        &id,
        &[
            ("SSH_TTY", "/dev/pts/0"),
            ("KLANG_PLAYER", "mpv --no-terminal --volume=50"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let args = recorded(&bin).expect("the configured player ran");
    assert_eq!(args[..2], ["--no-terminal", "--volume=50"]);
}

#[tokio::test]
async fn a_configured_player_path_and_arguments_may_hold_spaces() {
    let home = Home::new();
    let id = home
        .completed_task_with(&fixture("stereo_44k.mp3"))
        .to_string();
    let bin = stand_in_player("mpv");
    let spaced = bin.path().join("My Players");
    std::fs::create_dir(&spaced).unwrap();
    std::fs::rename(bin.path().join("mpv"), spaced.join("mpv")).unwrap();
    home.write_config(&format!(
        "player = \"'{}' --title 'rain on a roof'\"\n",
        spaced.join("mpv").display()
    ));
    let out = play(&home, bin.path(), &id, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let args = recorded(&bin).expect("the configured player ran");
    assert_eq!(args[..2], ["--title", "rain on a roof"]);
    assert_eq!(args.len(), 3, "title, then the file: {args:?}");
}

#[tokio::test]
async fn no_player_says_what_to_install() {
    let home = Home::new();
    let id = home
        .completed_task_with(&fixture("stereo_44k.mp3"))
        .to_string();
    let empty = tempfile::tempdir().unwrap();
    let out = play(&home, empty.path(), &id, &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("install mpv"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[tokio::test]
async fn play_downloads_a_result_first() {
    let sb = sandbox(50, 100).await;
    let home = Home::new();
    let url = sb.base_url();
    let id = home.submitted_sfx(SANDBOX_KEY, &url, "thunder").await;
    let bin = stand_in_player("paplay");
    let out = play_on(&home, bin.path(), SANDBOX_KEY, &url, &id).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let args = recorded(&bin).expect("the player ran");
    let file = PathBuf::from(args.last().unwrap());
    assert!(
        file.starts_with(home.downloads()) && file.is_file(),
        "{file:?}"
    );
    assert!((audio_seconds(&file) - 3.0).abs() < 0.06);
}

/// ffplay with no audio device: exit 0 at once, not a word.
#[tokio::test]
async fn a_player_that_quits_at_once_is_reported() {
    let home = Home::new();
    let id = home
        .completed_task_with(&fixture("stereo_44k.mp3"))
        .to_string();
    let bin = stand_in_playing("ffplay", "exit 0");
    let out = play(&home, bin.path(), &id, &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(recorded(&bin).is_some(), "the player ran");
    let err = stderr(&out);
    let report = err.lines().last().unwrap_or_default();
    assert!(
        report.contains("the player (ffplay) stopped after 0.")
            && report.contains(" s of 3.0 s: is there an audio device?"),
        "{err}"
    );
}

/// `bin` holding only a stand-in `aplay` (WAV only).
fn aplay_only() -> tempfile::TempDir {
    stand_in_player("aplay")
}

/// `fixture` copied under another name.
fn renamed(fixture_name: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(name);
    std::fs::copy(fixture(fixture_name), &copy).unwrap();
    (dir, copy)
}

#[tokio::test]
async fn the_player_is_chosen_by_what_the_file_is_not_its_name() {
    let home = Home::new();
    let (_dir, wav) = renamed("stereo_48k.wav", "result.mp3");
    let id = home.completed_task_with(&wav).to_string();
    let bin = aplay_only();
    let out = play(&home, bin.path(), &id, &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let args = recorded(&bin).expect("aplay played the WAV named .mp3");
    assert!(args.last().unwrap().ends_with("result.mp3"), "{args:?}");

    let (_dir, mp3) = renamed("stereo_44k.mp3", "result.wav");
    let id = home.completed_task_with(&mp3).to_string();
    let bin = aplay_only();
    let out = play(&home, bin.path(), &id, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no audio player found"),
        "{}",
        stderr(&out)
    );
    assert_eq!(recorded(&bin), None, "aplay was handed an MP3");
}

/// Before the download nothing says the result is not a WAV: an
/// aplay-only host downloads it and plays it.
#[tokio::test]
async fn an_aplay_only_host_plays_a_wav_result_not_yet_downloaded() {
    const KEY: &str = "sk-aplay-test";
    let api = common::takes_api::start(KEY).await;
    let home = Home::new();
    let url = api.base_url();
    let id = home.submitted_sfx(KEY, &url, "rain").await;
    let bin = aplay_only();
    let out = play_on(&home, bin.path(), KEY, &url, &id).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let args = recorded(&bin).expect("aplay ran");
    assert_eq!(args[0], "-q");
    assert!(
        PathBuf::from(args.last().unwrap()).starts_with(home.downloads()),
        "{args:?}"
    );
}
