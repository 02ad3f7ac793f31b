//! The audio side of the CLI: the figures and one-line waveform `klang
//! show` prints (measuring a file on disk that was never measured), and
//! `klang play`.

use super::args::PlayArgs;
use super::headless::Headless;
use super::output::outln;
use super::{Context, Failure, exit};
use crate::audio::player::{self, Environment, NoPlayer};
use crate::audio::{Analysis, Glyphs, Peaks, text_waveform};
use crate::engine::analyse_and_store;
use crate::sanitize::{hyperlink, terminal_safe};
use crate::store::{Store, StoredAnalysis, TaskRecord};
use std::io::IsTerminal;
use std::path::Path;

/// Characters in the one-line waveform.
const WAVEFORM_WIDTH: usize = 60;

/// The stored analysis of the task's file, measuring it now when the file
/// is on disk but was never measured (or was replaced). `None` without a
/// file.
pub(super) fn analysis_for(store: &Store, record: &TaskRecord) -> Option<StoredAnalysis> {
    let path = record.local_path.as_deref()?;
    if !Path::new(path).is_file() {
        return None;
    }
    match store.analysis(record.id) {
        Ok(Some(stored)) if stored.is_for(record) => Some(stored),
        _ => match analyse_and_store(store, record) {
            Ok((_, stored)) => Some(stored),
            Err(e) => Some(StoredAnalysis {
                path: path.to_string(),
                outcome: Err(e.to_string()),
            }),
        },
    }
}

/// Braille where the terminal can be expected to draw it, else blocks.
fn glyphs() -> Glyphs {
    let plain = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || matches!(std::env::var("TERM").as_deref(), Ok("linux" | "dumb"));
    if plain {
        Glyphs::Blocks
    } else {
        Glyphs::Braille
    }
}

pub(super) fn print_audio(stored: &StoredAnalysis) {
    match &stored.outcome {
        Ok(a) => print_analysis(a, true),
        Err(reason) => outln!("{:<16} {}", "audio", terminal_safe(reason)),
    }
}

/// The figures of one file, and its one-line waveform when asked.
pub(super) fn print_analysis(a: &Analysis, with_waveform: bool) {
    let s = &a.stats;
    outln!("{:<16} {}", "audio", crate::audio::format::summary(s));
    outln!(
        "{:<16} {:.2} s lead, {:.2} s tail (below {} dBFS)",
        "silence",
        s.leading_silence_s,
        s.trailing_silence_s,
        crate::audio::SILENCE_THRESHOLD_DBFS
    );
    if with_waveform {
        outln!("{:<16} {}", "waveform", waveform(&a.peaks));
    }
}

fn waveform(peaks: &Peaks) -> String {
    text_waveform(peaks, WAVEFORM_WIDTH, glyphs())
}

/// A result URL for a person: a clickable OSC 8 link on a terminal (so a
/// click over SSH opens it on the user's machine), plain text otherwise.
pub fn link(url: &str) -> String {
    let term_ok = !matches!(std::env::var("TERM").as_deref(), Ok("dumb" | "linux"));
    if std::io::stdout().is_terminal() && term_ok {
        hyperlink(url, url)
    } else {
        terminal_safe(url).into_owned()
    }
}

/// `klang play ID`: download first when needed, then hand the file to the
/// player and wait for it to finish.
pub async fn play(ctx: Context, args: PlayArgs) -> Result<i32, Failure> {
    let mut record = super::find_completed(&ctx, &args.id, "play")?;
    let on_disk = |r: &TaskRecord| {
        r.local_path
            .as_deref()
            .is_some_and(|p| Path::new(p).is_file())
    };
    let env = Environment::current(ctx.config.player.as_deref());
    // Decide before downloading: over SSH nothing will play anyway.
    let offer = match record.first_url() {
        Some(url) => format!("open the result URL where you are: {}", link(url)),
        None => "copy the file to your machine".to_string(),
    };
    if let Err(why @ (NoPlayer::Remote { .. } | NoPlayer::NotFound)) = player::choose(
        &env,
        Path::new(record.local_path.as_deref().unwrap_or("x.mp3")),
        &offer,
    ) {
        return Err(Failure {
            code: exit::USAGE,
            message: why.to_string(),
        });
    }
    if !on_disk(&record) {
        let mut headless = Headless::start(&ctx, false).await?;
        record = headless.download(record.id, None).await?;
    }
    let path = record
        .local_path
        .clone()
        .ok_or_else(|| Failure::usage("the download left no file; try `klang download` first"))?;
    let player = player::choose(&env, Path::new(&path), &offer).map_err(|e| Failure {
        code: exit::USAGE,
        message: e.to_string(),
    })?;
    eprintln!(
        "klang: playing {} with {}",
        terminal_safe(&path),
        terminal_safe(&player.describe())
    );
    let started = std::time::Instant::now();
    let status = tokio::process::Command::from(player.command(Path::new(&path)))
        .kill_on_drop(true)
        .status()
        .await
        .map_err(|e| Failure {
            code: exit::USAGE,
            message: format!(
                "cannot start {}: {e}; set `player` in config.toml",
                player.describe()
            ),
        })?;
    if status.success() {
        let played = started.elapsed();
        // The length is needed only when the player quit early; measured
        // then if nothing knows it yet.
        let length = |record: &TaskRecord| {
            record.audio_seconds().or_else(|| {
                analysis_for(&ctx.store, record)
                    .and_then(|a| a.outcome.ok())
                    .map(|a| a.stats.duration_s)
            })
        };
        match player::stopped_early(&player.name(), played, length(&record)) {
            Some(message) => Err(Failure {
                code: exit::TASK_FAILED,
                message,
            }),
            None => Ok(exit::OK),
        }
    } else {
        Err(Failure {
            code: exit::TASK_FAILED,
            message: format!(
                "{} stopped with {status}; try another `player` in config.toml",
                player.describe()
            ),
        })
    }
}
