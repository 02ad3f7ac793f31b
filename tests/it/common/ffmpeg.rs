//! ffmpeg and ffprobe as the independent judge of the audio klang reads
//! and writes: loudness (ebur128), peaks, sample count (astats), silence
//! (silencedetect at klang's -60 dBFS) and the container (ffprobe).

use std::path::Path;
use std::process::Command;

/// True when ffmpeg is missing and the test may skip (it says so); in CI
/// or with `KLANG_LONG_TESTS` a missing ffmpeg fails instead.
pub fn missing() -> bool {
    let missing = super::judge::ffmpeg_missing();
    if missing {
        println!("skipped: ffmpeg is not installed (CI installs it)");
    }
    missing
}

/// Runs `scripts/make-audio-fixtures.sh --judged DIR`.
pub fn make_judged(dir: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-audio-fixtures.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg("--judged")
        .arg(dir)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "make-audio-fixtures.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What ffmpeg measures in one file.
#[derive(Debug)]
pub struct Judged {
    pub rate: u32,
    pub channels: u32,
    /// Frames ffmpeg decodes.
    pub samples: u64,
    pub lufs: f64,
    pub lra: f64,
    pub sample_peak_db: f64,
    pub true_peak_db: f64,
    /// Silence before the first sample above -60 dBFS, and after the last.
    pub lead_s: f64,
    pub tail_s: f64,
    /// The `codec_name` of the first audio stream (`pcm_s24le`, `flac`).
    pub codec: String,
}

impl Judged {
    pub fn decoded_s(&self) -> f64 {
        self.samples as f64 / f64::from(self.rate)
    }
}

fn number_after(text: &str, label: &str) -> Option<f64> {
    let rest = &text[text.find(label)? + label.len()..];
    rest.split_whitespace()
        .next()?
        .trim_end_matches(',')
        .parse()
        .ok()
}

/// One ffprobe field of the first audio stream.
pub fn probe(path: &Path, entry: &str) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
        .arg(format!("stream={entry}"))
        .args(["-of", "default=nw=1:nk=1"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "ffprobe cannot read {}",
        path.display()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The stream length the container declares, in seconds.
pub fn probe_duration(path: &Path) -> f64 {
    probe(path, "duration").parse().expect("a duration")
}

pub fn judge(path: &Path) -> Judged {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args([
            "-af",
            "ebur128=peak=true+sample,silencedetect=n=-60dB:d=0.001,\
             astats=measure_perchannel=none:measure_overall=Number_of_samples",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ffmpeg cannot read {}: {log}",
        path.display()
    );
    let summary = &log[log.rfind("Summary:").expect("an ebur128 summary")..];
    let true_peak_at = summary.find("True peak:").expect("a true peak");
    let rate: u32 = probe(path, "sample_rate").parse().expect("a rate");
    let samples = number_after(&log, "Number of samples:").expect("a sample count") as u64;
    let total = samples as f64 / f64::from(rate);
    let (lead_s, tail_s) = silence(&log, total);
    Judged {
        rate,
        channels: probe(path, "channels").parse().expect("channels"),
        samples,
        lufs: number_after(summary, "I:").expect("I"),
        lra: number_after(summary, "LRA:").expect("LRA"),
        sample_peak_db: number_after(&summary[..true_peak_at], "Peak:").expect("peak"),
        true_peak_db: number_after(&summary[true_peak_at..], "Peak:").expect("true peak"),
        lead_s,
        tail_s,
        codec: probe(path, "codec_name"),
    }
}

/// Lead and tail silence from silencedetect's lines: a silence starting at
/// 0 is the lead, one still running at the end (ended at the total) the
/// tail.
fn silence(log: &str, total: f64) -> (f64, f64) {
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    for line in log.lines() {
        if let Some(v) = number_after(line, "silence_start:") {
            starts.push(v);
        }
        if let Some(v) = number_after(line, "silence_end:") {
            ends.push(v);
        }
    }
    let lead = match (starts.first(), ends.first()) {
        (Some(s), Some(e)) if *s <= 0.0005 => *e,
        _ => 0.0,
    };
    let tail = match starts.last() {
        Some(s)
            if starts.len() > ends.len() || ends.last().is_some_and(|e| *e >= total - 0.0005) =>
        {
            total - s
        }
        _ => 0.0,
    };
    (lead, tail)
}
