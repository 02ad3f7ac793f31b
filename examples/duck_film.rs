//! The dubbed film's mix (`klang dub --video`) on any files, as one
//! process, for scripts/bench-duck.sh: N lines spread evenly over the
//! video (2.5 s of every 3.6 s), the original ducked 12 dB under them,
//! mixed with the speech track and muxed.
//!
//!     cargo run --release --features tools --example duck_film -- VIDEO SPEECH OUT.mp4 LINES MINUTES

use klang::video::duck::{Speech, duck_and_mux};
use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [video, speech, out, lines, minutes] = &args[..] else {
        eprintln!("usage: duck_film VIDEO SPEECH OUT.mp4 LINES MINUTES");
        std::process::exit(2);
    };
    let (Ok(lines), Ok(minutes)) = (lines.parse::<u64>(), minutes.parse::<u64>()) else {
        eprintln!("LINES and MINUTES are whole numbers");
        std::process::exit(2);
    };
    let every = minutes * 60_000 / lines.max(1);
    let speaking: Vec<Speech> = (0..lines)
        .map(|i| Speech {
            start_ms: i * every + 500,
            end_ms: i * every + 500 + every * 25 / 36,
        })
        .collect();
    let started = std::time::Instant::now();
    match duck_and_mux(
        &PathBuf::from(video),
        &PathBuf::from(speech),
        &speaking,
        12.0,
        &PathBuf::from(out),
    )
    .await
    {
        Ok(path) => println!(
            "{} lines: {} in {:.1} s",
            speaking.len(),
            path.display(),
            started.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
