//! The takes view (`=`): one group's takes side by side with their
//! waveforms and loudness, A/B playback at matched loudness (switching
//! takes while one plays), the playhead on tokio's paused clock, and the
//! discard confirmation. Exact screens at 80x24 and 200x50 are files in
//! tests/snapshots/ (`KLANG_UPDATE_SNAPSHOTS=1` rewrites them).

use crate::tui_support;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use klang::audio::analyse_file;
use klang::store::{LocalState, StoredAnalysis, TaskRecord};
use klang::tui::harness::Runner;
use klang::tui::{Command, Message, Playback, ShownTime};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tui_support::*;

/// 2025-11-28 12:00:00 UTC.
const NOW: i64 = 1_764_331_200_000;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

/// Three completed takes of one group, each with a real file measured,
/// and one task submitted alone.
fn takes_runner(size: (u16, u16)) -> Runner {
    crate::common::utc();
    let files = ["stereo_44k.mp3", "mono_22k.mp3", "stereo_48k.wav"];
    let mut tasks: Vec<TaskRecord> = files
        .iter()
        .enumerate()
        .map(|(i, file)| TaskRecord {
            group_id: Some("g7".into()),
            local_path: Some(fixture(file).display().to_string()),
            ..task_at(
                NOW,
                i as i64 + 1,
                LocalState::Completed,
                sfx("glass shatter"),
            )
        })
        .collect();
    tasks.push(task_at(NOW, 4, LocalState::Completed, sfx("alone")));
    let mut r = runner_with(tasks.clone(), size, |_| {});
    r.app.settings.clock = ShownTime::Fixed(NOW);
    for t in &tasks[..3] {
        let path = t.local_path.clone().unwrap();
        let analysis = analyse_file(Path::new(&path)).unwrap();
        r.app.selection.analyses.insert(
            t.id,
            Arc::new(StoredAnalysis {
                path,
                outcome: Ok(analysis),
            }),
        );
    }
    // Newest first: #4, then #3; select #3, a take.
    r.key(KeyCode::Char('j'));
    r
}

fn snapshot(name: &str, size: (u16, u16), screen: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}_{}x{}.txt", size.0, size.1));
    // The details show the fixture's absolute path, which differs per
    // checkout: that one line is compared as a placeholder.
    let checkout = env!("CARGO_MANIFEST_DIR");
    let actual: String = screen
        .lines()
        .map(|l| match l.find(checkout) {
            Some(at) => format!("{}<checkout path>\n", &l[..at]),
            None => format!("{}\n", l.trim_end()),
        })
        .collect();
    if std::env::var_os("KLANG_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&file, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e}\nscreen:\n{actual}", file.display()));
    assert_eq!(expected, actual, "{} differs", file.display());
}

fn take_rows(screen: &str) -> Vec<&str> {
    screen.lines().filter(|l| l.contains("LUFS ")).collect()
}

#[test]
fn the_takes_view_shows_each_take_with_its_waveform_and_loudness() {
    for size in SIZES {
        let mut r = takes_runner(size);
        r.key(KeyCode::Char('='));
        let screen = r.screen();
        assert!(screen.contains("Takes of group g7 · 3 takes"), "{screen}");
        let rows = take_rows(&screen);
        assert!(rows.len() >= 3, "{screen}");
        for row in &rows[..3] {
            assert!(
                row.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
                "no braille on the row: {row}"
            );
        }
        snapshot("takes", size, &screen);
        // Esc leaves it; the table is back.
        r.key(KeyCode::Esc);
        assert!(!r.screen().contains("Takes of group"));
    }
}

#[test]
fn a_task_submitted_alone_has_no_takes_view() {
    let mut r = takes_runner((80, 24));
    r.key(KeyCode::Char('k'));
    r.key(KeyCode::Char('='));
    assert!(r.app.selection.takes.is_none());
    assert!(r.screen().contains("submitted alone"));
}

/// A key handled by the app alone: the commands it returns are kept but
/// not carried out (no player starts on the test machine).
fn press(r: &mut Runner, c: char) {
    let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let commands = r.app.handle(Message::Terminal(Event::Key(key)));
    r.commands.extend(commands);
}

fn last_play(r: &Runner) -> (u64, PathBuf, Option<f64>) {
    r.commands
        .iter()
        .rev()
        .find_map(|c| match c {
            Command::Play {
                token,
                path,
                gain_db,
                ..
            } => Some((*token, path.clone(), *gain_db)),
            _ => None,
        })
        .expect("a Play command")
}

/// What the gain must be: every take to -23 LUFS, unless a peak would pass
/// -1 dBFS, then every take lower by the same amount.
fn expected_gains(r: &Runner) -> Vec<f64> {
    let figures: Vec<(f64, f64)> = (1..=3)
        .map(|id| {
            let a = r.app.selection.analyses[&id].outcome.as_ref().unwrap();
            (a.stats.loudness_lufs.unwrap(), a.stats.peak_dbfs.unwrap())
        })
        .collect();
    let level = figures
        .iter()
        .map(|(lufs, peak)| lufs + (-1.0 - peak))
        .fold(-23.0f64, f64::min);
    figures.iter().map(|(lufs, _)| level - lufs).collect()
}

#[tokio::test]
async fn p_switches_takes_while_one_plays_and_each_plays_at_the_common_level() {
    let mut r = takes_runner((160, 45));
    r.key(KeyCode::Char('='));
    let gains = expected_gains(&r);
    // The takes view starts on #3 (take 3); go to the top: take 1.
    r.key(KeyCode::Char('g'));
    let mut played = Vec::new();
    for step in 0..3 {
        press(&mut r, 'p');
        let (token, path, gain) = last_play(&r);
        let id = step + 1;
        assert_eq!(r.app.playback, Playback::Playing(id), "step {step}");
        let gain = gain.unwrap_or(0.0);
        assert!(
            (gain - gains[step as usize]).abs() < 0.02,
            "take {id}: gain {gain}, expected {}",
            gains[step as usize]
        );
        played.push((token, path));
        press(&mut r, 'j');
    }
    let tokens: Vec<u64> = played.iter().map(|(t, _)| *t).collect();
    assert_eq!(tokens, [1, 2, 3], "each p started a new player");
    // The first player's end (it was replaced) does not stop the third.
    r.app.handle(Message::PlayerEnded {
        token: 1,
        error: None,
    });
    assert_eq!(r.app.playback, Playback::Playing(3));
    // p on the playing take stops it.
    press(&mut r, 'p');
    assert_eq!(r.app.playback, Playback::Stopped);
    assert!(r.commands.contains(&Command::StopPlayer));
}

#[tokio::test(start_paused = true)]
async fn the_playhead_moves_while_a_take_plays_and_goes_when_it_ends() {
    let mut r = takes_runner((160, 45));
    r.key(KeyCode::Char('='));
    r.key(KeyCode::Char('g'));
    let still = r.screen();
    press(&mut r, 'p');
    let (token, _, _) = last_play(&r);
    assert!(
        !r.screen().contains('┃'),
        "no playhead before the player starts"
    );
    r.app.handle(Message::PlayerStarted { token });
    assert_eq!(r.app.tick_period(), std::time::Duration::from_millis(100));
    let playhead_column = |screen: &str| {
        let row = take_rows(screen)[0].to_string();
        row.chars().position(|c| c == '┃')
    };
    let at_start = r.screen();
    tokio::time::advance(std::time::Duration::from_secs(1)).await;
    let a_second_later = r.screen();
    let (x0, x1) = (playhead_column(&at_start), playhead_column(&a_second_later));
    assert!(x0.is_some() && x1.is_some(), "{a_second_later}");
    assert!(x1 > x0, "the playhead moved right: {x0:?} -> {x1:?}");
    r.app.handle(Message::PlayerEnded { token, error: None });
    assert_eq!(
        r.screen(),
        still,
        "the playhead is gone once the player exits"
    );
    assert!(!r.app.needs_tick(), "nothing ticks once idle");
}

#[test]
fn x_asks_once_then_discards_and_a_starred_take_is_refused() {
    let mut r = takes_runner((80, 24));
    r.key(KeyCode::Char('='));
    r.key(KeyCode::Char('x'));
    assert!(r.screen().contains("discard take #3?"));
    // Any other key answers no.
    r.key(KeyCode::Char('k'));
    assert!(r.app.overlays.confirm_discard.is_none());
    assert!(
        !r.commands
            .iter()
            .any(|c| matches!(c, Command::Discard { .. }))
    );
    r.key(KeyCode::Char('j'));
    r.key(KeyCode::Char('x'));
    r.key(KeyCode::Char('x'));
    assert!(r.commands.contains(&Command::Discard {
        id: 3,
        discard: true
    }));
    // A starred take is not discarded.
    let mut starred = r.app.selection.takes.as_ref().unwrap().takes()[0].clone();
    starred.starred = true;
    r.handle(Message::Starred(Ok(Box::new(starred))));
    r.key(KeyCode::Char('g'));
    r.key(KeyCode::Char('x'));
    assert!(r.screen().contains("unstar it"), "{}", r.screen());
    assert!(r.app.overlays.confirm_discard.is_none());
}

#[test]
fn v_turns_the_strips_into_spectrograms_where_each_take_has_four_rows() {
    use klang::engine::EngineEvent;
    use klang::engine::spectrograms::{COLUMNS, ROWS, StoredSpectrogram};
    let half_blocks = |row: &str| row.matches('\u{2580}').count();
    // 200x50: 28 rows for 3 takes; 80x24: 11 rows, too few for 4 each.
    for (size, tall) in [((200, 50), true), ((80, 24), false)] {
        let mut r = takes_runner(size);
        r.key(KeyCode::Char('='));
        r.key(KeyCode::Char('v'));
        let asked: Vec<i64> = r
            .commands
            .iter()
            .filter_map(|c| match c {
                Command::Spectrogram(id) => Some(*id),
                _ => None,
            })
            .collect();
        let takes: Vec<TaskRecord> = r.app.selection.takes.as_ref().unwrap().takes().to_vec();
        if tall {
            for t in &takes {
                assert!(asked.contains(&t.id), "take #{} asked: {asked:?}", t.id);
            }
        }
        for t in &takes {
            let path = t.local_path.clone().unwrap();
            let stats = r
                .app
                .analysis_of(t)
                .unwrap()
                .outcome
                .as_ref()
                .unwrap()
                .stats
                .clone();
            let spectrogram =
                klang::audio::spectrogram_file(Path::new(&path), COLUMNS, ROWS, Some(&stats));
            r.handle(Message::Engine(EngineEvent::Spectrogram {
                id: t.id,
                spectrogram: Arc::new(StoredSpectrogram {
                    path,
                    outcome: spectrogram.map_err(|e| e.to_string()),
                }),
            }));
        }
        let screen = r.screen();
        let lines: Vec<&str> = screen.lines().collect();
        // The takes pane: from its title to the first border below it.
        let top = lines
            .iter()
            .position(|l| l.contains("Takes of group"))
            .unwrap();
        let pane: Vec<&str> = lines[top + 1..]
            .iter()
            .take_while(|l| !l.starts_with('└'))
            .copied()
            .collect();
        let picture_rows = pane.iter().filter(|l| half_blocks(l) > 20).count();
        if tall {
            assert_eq!(picture_rows, 12, "3 takes x 4 rows:\n{screen}");
            let figures = pane.iter().filter(|l| l.contains("LUFS ")).count();
            assert_eq!(figures, 3, "figures on each take's first row:\n{screen}");
        } else {
            assert_eq!(picture_rows, 0, "1-row strips stay waveforms:\n{screen}");
        }
    }
}

#[tokio::test]
async fn l_loops_the_selected_take_and_the_details_show_the_loop() {
    let mut r = takes_runner((200, 50));
    let out = tempfile::tempdir().unwrap();
    r.app.settings.export_dir = Some(out.path().to_path_buf());
    r.key(KeyCode::Char('='));
    r.key(KeyCode::Char('L'));
    assert!(
        r.commands
            .iter()
            .any(|c| matches!(c, Command::MakeLoop { id: 3, .. })),
        "{:?}",
        r.commands
    );
    let screen = r.wait_for_text("ends match").await;
    let written = out.path().join("stereo_48k.loop.wav");
    assert!(screen.contains("stereo_48k.loop.wav"), "{screen}");
    assert!(written.is_file());
    // What the details say is what the file holds (ffprobe, a RIFF reader).
    let frames = crate::common::ffmpeg::judge(&written).samples;
    let (start, end) = crate::common::riff::smpl_loop(&written).expect("a smpl chunk");
    assert_eq!((u64::from(start), u64::from(end)), (0, frames - 1));
    let seconds = format!("{:.2} s", frames as f64 / 48_000.0);
    assert!(screen.contains(&seconds), "{seconds} not in\n{screen}");
    // Another take: the cursor moves, the loop stays with its take.
    r.key(KeyCode::Char('k'));
    assert!(!r.screen().contains("ends match"), "{}", r.screen());
    r.key(KeyCode::Char('j'));
    assert!(r.screen().contains("ends match"));
}

/// `seconds` of mono 44.1 kHz noise as a 16-bit WAV at `path`.
fn write_noise(path: &Path, seconds: u32, seed: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut state = seed.wrapping_mul(747_796_405).wrapping_add(1);
    for _ in 0..44_100 * seconds {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let unit = (state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
        w.write_sample((unit * 0.3 * 32767.0).round() as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

/// A group "rain" of four completed 10 s takes downloaded into `dir`,
/// the second selected.
fn rain_runner(dir: &Path) -> Runner {
    crate::common::utc();
    let tasks: Vec<TaskRecord> = (1..=4)
        .map(|i| {
            let path = dir.join(format!("rain-{i}.wav"));
            write_noise(&path, 10, i as u32);
            TaskRecord {
                group_id: Some("rain".into()),
                local_path: Some(path.display().to_string()),
                ..task_at(NOW, i, LocalState::Completed, sfx("rain on a tin roof"))
            }
        })
        .collect();
    let mut r = runner_with(tasks, (200, 50), |_| {});
    r.app.settings.clock = ShownTime::Fixed(NOW);
    r.key(KeyCode::Char('j'));
    r
}

#[tokio::test]
async fn b_in_the_takes_view_lays_the_groups_takes_into_a_minute_of_bed() {
    let downloads = tempfile::tempdir().unwrap();
    let mut r = rain_runner(downloads.path());
    // Outside the takes view the key says how to get there.
    r.key(KeyCode::Char('B'));
    assert!(
        r.screen().contains("opens the selected task's takes"),
        "{}",
        r.screen()
    );
    r.key(KeyCode::Char('='));
    r.key(KeyCode::Char('B'));
    let sent: Vec<_> = r
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::MakeBed { group, takes, .. } => Some((group.clone(), takes.len())),
            _ => None,
        })
        .collect();
    assert_eq!(sent, [("rain".to_string(), 4)], "{:?}", r.commands);
    let screen = r.wait_for_text("of bed from").await;
    let written = downloads.path().join("group-rain-bed.wav");
    assert!(written.is_file(), "{screen}");
    assert!(screen.contains("group-rain-bed.wav"), "{screen}");
    // One minute, as ffprobe reads the file; the details say as much.
    let seconds = crate::common::ffmpeg::probe_duration(&written);
    assert!((seconds - 60.0).abs() < 0.05, "{seconds} s");
    let shown = format!("{seconds:.2} s of bed from 4 takes");
    assert!(screen.contains(&shown), "{shown} not in\n{screen}");
    // Every take of the group shows it.
    r.key(KeyCode::Char('j'));
    assert!(r.screen().contains("group-rain-bed.wav"), "{}", r.screen());
}

#[tokio::test]
async fn b_on_a_group_too_short_for_a_bed_says_what_to_do() {
    let out = tempfile::tempdir().unwrap();
    let mut r = takes_runner((200, 50));
    r.app.settings.export_dir = Some(out.path().to_path_buf());
    r.key(KeyCode::Char('='));
    r.key(KeyCode::Char('B'));
    let screen = r.wait_for_text("no bed of group g7").await;
    assert!(screen.contains("give more or longer takes"), "{screen}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
