//! Which program plays a result: the configured one, else the first known
//! player on PATH. Over SSH with nothing configured, nothing is spawned: a
//! player on the remote host would play into a room the user is not in.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A player that exits 0 before this share of the file's length has
/// passed did not play it (ffplay or paplay with no audio device end at
/// once, and say nothing).
const EARLY_SHARE: f64 = 0.25;

/// Players tried in order when none is configured: program and arguments
/// before the file. `aplay` only understands WAV.
const KNOWN: &[(&str, &[&str])] = &[
    ("mpv", &["--no-terminal", "--no-video"]),
    ("ffplay", &["-nodisp", "-autoexit", "-loglevel", "quiet"]),
    ("pw-play", &[]),
    ("paplay", &[]),
    ("aplay", &["-q"]),
    ("afplay", &[]),
];

/// A player ready to be given a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Player {
    pub program: PathBuf,
    pub args: Vec<String>,
}

impl Player {
    /// The command playing `file`, with every stream on /dev/null so it never
    /// draws over the dashboard or waits for input.
    pub fn command(&self, file: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    /// The program's name alone (`ffplay`), for short messages.
    pub fn name(&self) -> String {
        self.program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.program.display().to_string())
    }

    /// For messages: the program's name and its arguments, quoted where
    /// they hold spaces, as `player` would spell them.
    pub fn describe(&self) -> String {
        let name = self.name();
        shell_words::join(
            std::iter::once(name.as_str()).chain(self.args.iter().map(String::as_str)),
        )
    }
}

/// Why nothing will play.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoPlayer {
    #[error("over SSH nothing plays here: {offer}, or set `player` in config.toml")]
    Remote { offer: String },
    #[error(
        "no audio player found: install mpv (or ffmpeg for ffplay, or pipewire), or set `player` in config.toml"
    )]
    NotFound,
    #[error(
        "the configured player {0:?} is not an executable on PATH: fix `player` or KLANG_PLAYER"
    )]
    Configured(String),
    #[error("`player` is empty: give a command, e.g. player = \"mpv --no-terminal\"")]
    Empty,
    #[error(
        "the configured player {0:?} has a quote that is never closed: fix `player` or KLANG_PLAYER"
    )]
    Unquoted(String),
}

/// What [`choose`] looks at, so tests need not touch the real environment.
#[derive(Clone, Debug)]
pub struct Environment {
    /// `KLANG_PLAYER`, else `player` from config.toml.
    pub configured: Option<String>,
    /// `SSH_CONNECTION` or `SSH_TTY` is set.
    pub over_ssh: bool,
    pub path: Option<OsString>,
}

impl Environment {
    /// The process environment plus the config's `player`.
    pub fn current(config_player: Option<&str>) -> Environment {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        Environment {
            configured: std::env::var("KLANG_PLAYER")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .or_else(|| config_player.map(str::to_string)),
            over_ssh: set("SSH_CONNECTION") || set("SSH_TTY"),
            path: std::env::var_os("PATH"),
        }
    }
}

/// The player for `file`. `offer` completes the SSH message with what does
/// reach the user (e.g. "copy the URL with y").
pub fn choose(env: &Environment, file: &Path, offer: &str) -> Result<Player, NoPlayer> {
    if let Some(line) = &env.configured {
        // Split as a shell would (quotes, backslashes), so a path or an
        // argument with spaces stays one word; nothing else of a shell runs.
        let mut words = shell_words::split(line)
            .map_err(|_| NoPlayer::Unquoted(line.clone()))?
            .into_iter();
        let program = words.next().ok_or(NoPlayer::Empty)?;
        let found =
            find_program(&program, env.path.as_deref()).ok_or(NoPlayer::Configured(program))?;
        return Ok(Player {
            program: found,
            args: words.collect(),
        });
    }
    if env.over_ssh {
        return Err(NoPlayer::Remote {
            offer: offer.to_string(),
        });
    }
    let aplay_can = aplay_can_play(file);
    KNOWN
        .iter()
        .filter(|(name, _)| *name != "aplay" || aplay_can)
        .find_map(|(name, args)| {
            find_program(name, env.path.as_deref()).map(|program| Player {
                program,
                args: args.iter().map(|a| a.to_string()).collect(),
            })
        })
        .ok_or(NoPlayer::NotFound)
}

/// Whether `aplay` (WAV only) may play `file`: by what its first bytes
/// are, not its name (a WAV result can be named `.mp3`). A file not on disk
/// yet may be a WAV: the choice is made again once it is.
fn aplay_can_play(file: &Path) -> bool {
    match super::sniff::file_head(file) {
        Ok(head) => super::sniff::audio_signature(&head) == Some("WAV"),
        Err(_) => true,
    }
}

/// Why a player that exited 0 after `played` did not play a file of
/// `length_s` seconds, if it stopped long before the end: one line for the
/// user. `name` is the player as [`Player::describe`] gives it.
pub fn stopped_early(name: &str, played: Duration, length_s: Option<f64>) -> Option<String> {
    let length = length_s.filter(|l| l.is_finite() && *l > 0.0)?;
    let played = played.as_secs_f64();
    (played < length * EARLY_SHARE).then(|| {
        format!(
            "the player ({name}) stopped after {played:.1} s of {length:.1} s: is there an audio device?"
        )
    })
}

/// `name` itself when it contains a slash, else the first executable file
/// of that name in `path`.
pub(crate) fn find_program(name: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_executable(&p).then_some(p);
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn bin_dir(names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for n in names {
            let p = dir.path().join(n);
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        dir
    }

    fn env(dir: &tempfile::TempDir, configured: Option<&str>, ssh: bool) -> Environment {
        Environment {
            configured: configured.map(str::to_string),
            over_ssh: ssh,
            path: Some(dir.path().as_os_str().to_owned()),
        }
    }

    #[test]
    fn first_known_player_wins_and_aplay_only_for_what_is_wav_inside() {
        let files = tempfile::tempdir().unwrap();
        let mp3 = files.path().join("a.wav");
        std::fs::write(&mp3, b"ID3\x04\x00\x00\x00\x00\x00\x00").unwrap();
        let wav = files.path().join("a.mp3");
        std::fs::write(&wav, b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00").unwrap();
        let dir = bin_dir(&["aplay", "paplay"]);
        let first = choose(&env(&dir, None, false), &mp3, "").unwrap();
        assert_eq!(first.describe(), "paplay");
        let dir = bin_dir(&["aplay"]);
        // Named .wav, an MP3 inside.
        assert_eq!(
            choose(&env(&dir, None, false), &mp3, ""),
            Err(NoPlayer::NotFound)
        );
        // Named .mp3, a WAV inside.
        let chosen = choose(&env(&dir, None, false), &wav, "").unwrap();
        assert_eq!(chosen.describe(), "aplay -q");
        // Not downloaded yet: it may be a WAV.
        let later = choose(&env(&dir, None, false), &files.path().join("b.mp3"), "");
        assert_eq!(later.map(|p| p.describe()), Ok("aplay -q".into()));
    }

    #[test]
    fn a_player_that_ends_long_before_the_file_does_is_named() {
        let early = stopped_early("ffplay", Duration::from_millis(100), Some(5.0)).unwrap();
        assert_eq!(
            early,
            "the player (ffplay) stopped after 0.1 s of 5.0 s: is there an audio device?"
        );
        assert_eq!(
            stopped_early("mpv", Duration::from_secs(4), Some(5.0)),
            None
        );
        assert_eq!(stopped_early("mpv", Duration::from_millis(1), None), None);
        assert_eq!(stopped_early("mpv", Duration::ZERO, Some(0.0)), None);
    }

    #[test]
    fn ssh_spawns_nothing_unless_configured() {
        let dir = bin_dir(&["mpv"]);
        let err = choose(
            &env(&dir, None, true),
            Path::new("a.mp3"),
            "copy the URL with y",
        );
        let Err(NoPlayer::Remote { offer }) = err else {
            panic!("{err:?}")
        };
        assert_eq!(offer, "copy the URL with y");
        let p = choose(
            &env(&dir, Some("mpv --no-terminal"), true),
            Path::new("a.mp3"),
            "",
        )
        .unwrap();
        assert_eq!(p.args, vec!["--no-terminal"]);
        assert_eq!(p.program, dir.path().join("mpv"));
    }

    #[test]
    fn a_configured_player_is_split_like_a_shell_line() {
        let dir = bin_dir(&[]);
        let spaced = dir.path().join("my players");
        std::fs::create_dir(&spaced).unwrap();
        let program = spaced.join("play it");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let line = format!("'{}' --title \"rain on a roof\" it\\'s", program.display());
        let p = choose(&env(&dir, Some(&line), false), Path::new("a.mp3"), "").unwrap();
        assert_eq!(p.program, program);
        assert_eq!(p.args, vec!["--title", "rain on a roof", "it's"]);
        assert_eq!(
            p.describe(),
            "'play it' --title 'rain on a roof' 'it'\\''s'"
        );
        assert_eq!(
            choose(&env(&dir, Some("mpv 'unclosed"), false), Path::new("a"), ""),
            Err(NoPlayer::Unquoted("mpv 'unclosed".into()))
        );
    }

    #[test]
    fn a_configured_player_that_is_missing_is_named() {
        let dir = bin_dir(&[]);
        assert_eq!(
            choose(&env(&dir, Some("vlc -I dummy"), false), Path::new("a"), ""),
            Err(NoPlayer::Configured("vlc".into()))
        );
        assert_eq!(
            choose(&env(&dir, Some("  "), false), Path::new("a"), ""),
            Err(NoPlayer::Empty)
        );
    }
}
