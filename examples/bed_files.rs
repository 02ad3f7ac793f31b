//! A bed from takes already on disk, as one process, for
//! scripts/bench-bed.sh: the takes laid as `klang bed` lays them (no take
//! back within 30 s, 2 s crossfades, every take at -20 LUFS) into MINUTES
//! of 24-bit WAV.
//!
//!     cargo run --release --features tools --example bed_files -- OUT.wav MINUTES TAKE...

use klang::audio::render::OutputFormat;
use klang::pieces::bed;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), Some(minutes)) = (args.next().map(PathBuf::from), args.next()) else {
        eprintln!("usage: bed_files OUT.wav MINUTES TAKE...");
        std::process::exit(2);
    };
    let Some(minutes) = minutes.to_str().and_then(|m| m.parse::<f64>().ok()) else {
        eprintln!("MINUTES must be a number");
        std::process::exit(2);
    };
    let takes: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let format = OutputFormat::default();
    match bed::write(takes, minutes, false, -20.0, format, 1, None, &out) {
        Ok(b) => println!(
            "{} {} clips {:.1} s {:.2} LUFS, no take back within {:.1} s",
            b.written.path.display(),
            b.layout.clips.len(),
            b.written.audio.duration_s,
            b.written.audio.loudness_lufs.unwrap_or(f64::NAN),
            b.layout.min_repeat_s
        ),
        Err(e) => {
            eprintln!("bed failed: {e}");
            std::process::exit(1);
        }
    }
}
