//! `klang render`'s chain on any file, as one process, for
//! scripts/bench-render.sh: decode, resample to 48 kHz, bring the
//! loudness to -23 LUFS under -1 dBTP, write 24-bit WAV, measure it again.
//!
//!     cargo run --release --example render_file -- IN.mp3 OUT_DIR

use klang::audio::render::{Container, Settings, render};
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(source), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: render_file IN OUT_DIR");
        std::process::exit(2);
    };
    let settings = Settings {
        container: Container::Wav,
        rate: Some(48_000),
        bits: 24,
        normalize: Some(-23.0),
        ..Settings::default()
    };
    let (source, dir) = (PathBuf::from(source), PathBuf::from(dir));
    match render(&source, &settings, &dir, "bench", None) {
        Ok(r) => println!(
            "{} {:.2} LUFS",
            r.path.display(),
            r.written.stats.loudness_lufs.unwrap_or(f64::NAN)
        ),
        Err(e) => {
            eprintln!("render failed: {e}");
            std::process::exit(1);
        }
    }
}
