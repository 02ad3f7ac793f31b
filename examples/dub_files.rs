//! What `klang dub` does once every take is on disk, as one process, for
//! scripts/bench-dub.sh: the subtitles parsed into lines, every take
//! measured, the lines placed (`--overrun shift`), and the speech track
//! written on the timeline (WAV, -16 LUFS, as long as the film).
//!
//!     cargo run --release --features tools --example dub_files -- SUBS OUT.wav LENGTH_S TAKE...
//!
//! TAKE n is cue n's take, in cue order.

use klang::audio::assemble::{AssemblyOptions, TimedInput, measure_chunks, write_timeline};
use klang::dub::lines::lines;
use klang::dub::place::{Overrun, ToPlace, place};
use std::path::PathBuf;
use std::time::Duration;

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [subs, out, length, takes @ ..] = args.as_slice() else {
        eprintln!("usage: dub_files SUBS OUT.wav LENGTH_S TAKE...");
        std::process::exit(2);
    };
    let fail = |what: String| -> ! {
        eprintln!("dub_files: {what}");
        std::process::exit(1)
    };
    let length_s: f64 = length
        .to_string_lossy()
        .parse()
        .unwrap_or_else(|_| fail("LENGTH_S is seconds".into()));
    let subtitles = klang::subtitles::read(subs).unwrap_or_else(|e| fail(e.to_string()));
    let lines = lines(&subtitles.cues);
    if lines.len() != takes.len() {
        fail(format!("{} lines but {} takes", lines.len(), takes.len()));
    }
    let measured = measure_chunks(takes).unwrap_or_else(|e| fail(e.to_string()));
    let to_place: Vec<ToPlace> = lines
        .iter()
        .zip(&measured)
        .map(|(l, m)| ToPlace {
            slot_start_ms: l.slot_start_ms,
            speech_ms: (m.speech.end - m.speech.start) * 1000 / u64::from(m.rate),
            retaken: false,
        })
        .collect();
    let end_ms = (length_s * 1000.0) as u64;
    let placed = place(&to_place, Some(end_ms), Overrun::Shift);
    let inputs: Vec<TimedInput> = takes
        .iter()
        .zip(&placed)
        .map(|(t, p)| TimedInput {
            path: t.clone(),
            speech_at: Duration::from_millis(p.start_ms),
        })
        .collect();
    let opts = AssemblyOptions::default();
    let length = Some(Duration::from_millis(end_ms));
    match write_timeline(&inputs, &measured, &opts, length, out, None) {
        Ok(r) => println!(
            "{} {} lines {:.1} s {:.2} LUFS {:.2} dBTP",
            r.path.display(),
            r.placements.len(),
            r.audio.duration_s,
            r.audio.loudness_lufs.unwrap_or(f64::NAN),
            r.audio.true_peak_dbtp.unwrap_or(f64::NAN)
        ),
        Err(e) => fail(e.to_string()),
    }
}
