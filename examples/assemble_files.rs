//! The assembler on files already on disk, as one process, for
//! scripts/bench-assemble.sh: the chunks in order, 400 ms apart, to a
//! 16-bit FLAC at -16 LUFS under -1.5 dBTP.
//!
//!     cargo run --release --example assemble_files -- OUT.flac CHUNK...

use klang::audio::assemble::{AssemblyInput, AssemblyOptions, assemble};
use klang::audio::render::{Container, OutputFormat};
use std::path::PathBuf;
use std::time::Duration;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: assemble_files OUT.flac CHUNK...");
        std::process::exit(2);
    };
    let inputs: Vec<AssemblyInput> = args
        .enumerate()
        .map(|(i, path)| AssemblyInput {
            path: PathBuf::from(path),
            gap_before: Duration::from_millis(if i == 0 { 0 } else { 400 }),
        })
        .collect();
    let opts = AssemblyOptions {
        format: OutputFormat {
            container: Container::Flac,
            rate: None,
            bits: 16,
        },
        ..AssemblyOptions::default()
    };
    match assemble(&inputs, &opts, &out, None) {
        Ok(r) => println!(
            "{} {} chunks {:.1} s {:.2} LUFS {:.2} dBTP",
            r.path.display(),
            r.placements.len(),
            r.audio.duration_s,
            r.audio.loudness_lufs.unwrap_or(f64::NAN),
            r.audio.true_peak_dbtp.unwrap_or(f64::NAN)
        ),
        Err(e) => {
            eprintln!("assemble failed: {e}");
            std::process::exit(1);
        }
    }
}
