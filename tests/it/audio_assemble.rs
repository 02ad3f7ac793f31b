//! The assembler (`klang::audio::assemble`) on real speech: chunks spoken
//! by espeak-ng at levels 8 dB apart, with silence before and after, made
//! into one program. ffmpeg judges what is written: integrated loudness
//! (ebur128), every chunk's region and the gaps between them
//! (silencedetect), and the samples around every cut (its own decode).

use crate::common;

use klang::audio::assemble::{AssembleError, AssemblyInput, AssemblyOptions, assemble};
use klang::audio::render::{Container, OutputFormat};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// True when espeak-ng or ffmpeg is missing and the test may skip (it says
/// so); in CI a missing tool fails instead.
fn tools_missing() -> bool {
    if common::ffmpeg::missing() {
        return true;
    }
    let home = tempfile::tempdir().expect("tempdir");
    let missing = espeak_ng(home.path()).arg("--version").output().is_err();
    if missing && std::env::var_os("CI").is_some() {
        panic!("espeak-ng is required here (.ci/run installs it): apt-get install espeak-ng");
    }
    if missing {
        println!("skipped: espeak-ng is not installed (CI installs it)");
    }
    missing
}

/// espeak-ng with its home inside `home`: its audio library (PulseAudio)
/// writes a cookie under the home even when espeak-ng only writes a file,
/// and the user's home must stay untouched (CI checks it).
fn espeak_ng(home: &Path) -> Command {
    let mut cmd = Command::new("espeak-ng");
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_RUNTIME_DIR", home.join(".run"));
    cmd
}

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `text` spoken, with `lead` and `tail` seconds of silence, `gain_db` up
/// or down.
fn spoken(dir: &Path, name: &str, text: &str, gain_db: f64, lead: f64, tail: f64) -> PathBuf {
    let raw = dir.join(format!("{name}.raw.wav"));
    let out = espeak_ng(dir)
        .arg("-w")
        .arg(&raw)
        .arg(text)
        .output()
        .expect("espeak-ng runs");
    assert!(out.status.success(), "espeak-ng: {out:?}");
    let path = dir.join(format!("{name}.wav"));
    let filter = format!(
        "adelay={}:all=1,apad=pad_dur={tail},volume={gain_db}dB",
        (lead * 1000.0).round()
    );
    ffmpeg(&[
        "-i",
        raw.to_str().unwrap(),
        "-af",
        &filter,
        path.to_str().unwrap(),
    ]);
    path
}

/// A 150 Hz tone that starts and ends at full swing: a cut into sound.
fn abrupt_tone(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wav"));
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "aevalsrc=0.5*cos(2*PI*150*t):d=1.003:s=22050",
        path.to_str().unwrap(),
    ]);
    path
}

fn input(path: PathBuf, gap_ms: u64) -> AssemblyInput {
    AssemblyInput {
        path,
        gap_before: Duration::from_millis(gap_ms),
    }
}

/// ffmpeg's silences of at least `min_s` at or below `db`: (start, end).
fn silences(path: &Path, db: i32, min_s: f64) -> Vec<(f64, f64)> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-af", &format!("silencedetect=n={db}dB:d={min_s}")])
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    let log = String::from_utf8_lossy(&out.stderr);
    let after = |line: &str, label: &str| -> Option<f64> {
        let rest = &line[line.find(label)? + label.len()..];
        rest.split_whitespace().next()?.parse().ok()
    };
    let mut found = Vec::new();
    let mut start = None;
    for line in log.lines() {
        if let Some(s) = after(line, "silence_start:") {
            start = Some(s);
        }
        if let (Some(e), Some(s)) = (after(line, "silence_end:"), start) {
            found.push((s, e));
            start = None;
        }
    }
    if let Some(s) = start {
        found.push((s, f64::INFINITY));
    }
    found
}

/// ffmpeg's integrated loudness of `path` from `from` to `to` seconds.
fn region_lufs(path: &Path, from: f64, to: f64) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-af", &format!("atrim={from}:{to},ebur128")])
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    let log = String::from_utf8_lossy(&out.stderr);
    let at = log.rfind("I:").expect("an integrated loudness");
    log[at + 2..]
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a number")
}

/// ffmpeg's decode of `path`, mono, as f32 samples at `rate`.
fn decoded(path: &Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-ac", "1", "-f", "f32le", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success());
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

const SENTENCES: [&str; 4] = [
    "The lighthouse keeper climbed the stairs before dawn",
    "Rain drummed on the windows of the small stone house",
    "Far below the waves broke against the rocks",
    "By noon the storm had passed and the sea was calm",
];

#[test]
fn chunks_8_db_apart_come_out_level_at_the_target_with_the_gaps_asked() {
    if tools_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gains = [0.0, -8.0, -3.0, -6.0];
    let gaps = [0, 400, 900, 400];
    let inputs: Vec<AssemblyInput> = SENTENCES
        .iter()
        .zip(gains)
        .zip(gaps)
        .enumerate()
        .map(|(i, ((text, gain), gap))| {
            let lead = 0.1 + 0.1 * i as f64;
            let path = spoken(dir.path(), &format!("c{i}"), text, gain, lead, 0.5 - lead);
            input(path, gap)
        })
        .collect();
    // espeak-ng's voice peaks about 19 dB over its loudness: -16 LUFS
    // would pass the -1.5 dBTP ceiling, so this asks for -23.
    let opts = AssemblyOptions {
        target_lufs: -23.0,
        format: OutputFormat {
            container: Container::Flac,
            rate: Some(48_000),
            bits: 16,
        },
        ..AssemblyOptions::default()
    };
    let out = dir.path().join("narration.flac");
    let report = assemble(&inputs, &opts, &out, None).unwrap();
    assert_eq!(report.path, out);
    assert_eq!(report.placements.len(), 4);
    assert!(!report.limited_by_true_peak, "{report:?}");

    let judged = common::ffmpeg::judge(&out);
    eprintln!("{judged:?}");
    assert_eq!((judged.codec.as_str(), judged.rate), ("flac", 48_000));
    assert!((judged.lufs + 23.0).abs() <= 0.5, "{judged:?}");
    assert!(judged.true_peak_db <= -1.5 + 0.2, "{judged:?}");
    // The chunks' speech starts at once: nothing but the 5 ms kept.
    assert!(judged.lead_s < 0.02, "{judged:?}");

    // Speech regions and the gaps between them, as ffmpeg hears them.
    let quiet = silences(&out, -60, 0.2);
    let gaps_heard: Vec<f64> = quiet
        .iter()
        .filter(|(s, e)| *s > 0.01 && e.is_finite())
        .map(|(s, e)| e - s)
        .collect();
    eprintln!("silences {quiet:?}");
    assert_eq!(gaps_heard.len(), 3, "{quiet:?}");
    for (heard, asked) in gaps_heard.iter().zip(&gaps[1..]) {
        let asked = *asked as f64 / 1000.0;
        assert!(
            (heard - asked).abs() <= 0.030,
            "gap {heard} s, asked {asked} s"
        );
    }
    let mut bounds = vec![0.0];
    for (s, e) in quiet.iter().filter(|(s, _)| *s > 0.01) {
        bounds.push(*s);
        bounds.push(*e);
    }
    bounds.push(judged.decoded_s());
    let regions: Vec<f64> = bounds
        .chunks_exact(2)
        .map(|r| region_lufs(&out, r[0], r[1]))
        .collect();
    eprintln!("regions {regions:?} LUFS");
    let mut sorted = regions.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(sorted.len(), 4);
    let median = (sorted[1] + sorted[2]) / 2.0;
    for (i, r) in regions.iter().enumerate() {
        assert!(
            (r - median).abs() <= 1.5,
            "chunk {i} at {r} LUFS, median {median}: {regions:?}"
        );
    }
    // What the report says agrees with what ffmpeg heard.
    for (p, r) in report.placements.iter().zip(bounds.chunks_exact(2)) {
        assert!(
            (p.start.as_secs_f64() - r[0].max(0.005)).abs() < 0.03,
            "{p:?} {r:?}"
        );
    }
}

/// The largest sample-to-sample step within 15 ms of every cut ffmpeg
/// finds (a silence's start or end).
fn largest_step_at_cuts(path: &Path) -> f32 {
    let samples = decoded(path);
    let rate = common::ffmpeg::probe(path, "sample_rate")
        .parse::<f64>()
        .unwrap();
    let mut worst = 0.0f32;
    for (s, e) in silences(path, -60, 0.05) {
        for t in [s, e].into_iter().filter(|t| t.is_finite()) {
            let at = (t * rate) as usize;
            let span = (0.015 * rate) as usize;
            let from = at.saturating_sub(span).max(1);
            let to = (at + span).min(samples.len());
            for i in from..to {
                worst = worst.max((samples[i] - samples[i - 1]).abs());
            }
        }
    }
    worst
}

#[test]
fn cuts_into_sound_are_faded_so_nothing_clicks() {
    if tools_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<AssemblyInput> = (0..3)
        .map(|i| input(abrupt_tone(dir.path(), &format!("t{i}")), 400 * i))
        .collect();
    let faded = dir.path().join("faded.wav");
    assemble(&inputs, &AssemblyOptions::default(), &faded, None).unwrap();
    let step = largest_step_at_cuts(&faded);
    assert!(step < 0.05, "a click at a cut: a step of {step}");

    // The same without fades clicks, so the check above can fail.
    let opts = AssemblyOptions {
        fade: Duration::ZERO,
        ..AssemblyOptions::default()
    };
    let hard = dir.path().join("hard.wav");
    assemble(&inputs, &opts, &hard, None).unwrap();
    let step = largest_step_at_cuts(&hard);
    assert!(step > 0.1, "no click without fades? step {step}");
}

#[test]
fn a_silent_or_missing_chunk_is_named_and_nothing_is_written() {
    if tools_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let silent = dir.path().join("silent.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=22050:cl=mono",
        "-t",
        "1",
        silent.to_str().unwrap(),
    ]);
    let speech = spoken(dir.path(), "s", SENTENCES[1], 0.0, 0.1, 0.1);
    let out = dir.path().join("out.wav");
    let opts = AssemblyOptions::default();
    let err = assemble(
        &[input(speech.clone(), 0), input(silent.clone(), 400)],
        &opts,
        &out,
        None,
    )
    .unwrap_err();
    assert!(
        matches!(err, AssembleError::Silent { number: 2, .. }),
        "{err}"
    );
    let missing = dir.path().join("gone.mp3");
    let err = assemble(&[input(speech, 0), input(missing, 400)], &opts, &out, None).unwrap_err();
    assert!(
        matches!(err, AssembleError::Chunk { number: 2, .. }),
        "{err}"
    );
    assert!(!err.to_string().contains('\n'), "{err}");
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("klang"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    assert_eq!(
        assemble(&[], &opts, &out, None).unwrap_err(),
        AssembleError::Empty
    );
}

#[test]
fn chunks_of_other_rates_and_channels_join_in_the_first_ones_layout() {
    if tools_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let speech = spoken(dir.path(), "s", SENTENCES[2], 0.0, 0.2, 0.2);
    let stereo = dir.path().join("stereo48k.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=f=300:d=1.5:r=48000",
        "-af",
        "adelay=300:all=1,apad=pad_dur=0.3,volume=-12dB",
        "-ac",
        "2",
        stereo.to_str().unwrap(),
    ]);
    let opts = AssemblyOptions {
        target_lufs: -23.0,
        format: OutputFormat {
            container: Container::Wav,
            rate: Some(44_100),
            bits: 24,
        },
        ..AssemblyOptions::default()
    };
    let out = dir.path().join("mixed.wav");
    let report = assemble(&[input(speech, 0), input(stereo, 600)], &opts, &out, None).unwrap();
    let judged = common::ffmpeg::judge(&out);
    assert_eq!((judged.rate, judged.channels), (44_100, 1), "{judged:?}");
    assert!((judged.lufs + 23.0).abs() <= 0.5, "{judged:?}");
    let gaps: Vec<f64> = silences(&out, -60, 0.3)
        .iter()
        .filter(|(s, e)| *s > 0.01 && e.is_finite())
        .map(|(s, e)| e - s)
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!((gaps[0] - 0.6).abs() <= 0.030, "{gaps:?}");
    // The tone's 1.5 s, resampled, ends the file after its 5 ms.
    let tone = &report.placements[1];
    let length = (tone.end - tone.start).as_secs_f64();
    assert!((length - 1.5).abs() < 0.01, "{tone:?}");
    assert!(
        (judged.decoded_s() - tone.end.as_secs_f64() - 0.005).abs() < 0.002,
        "{judged:?}"
    );
}
