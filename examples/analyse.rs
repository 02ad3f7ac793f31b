//! Prints what klang measures in audio files: `cargo run --release
//! --example analyse -- FILE...`.

fn main() {
    for arg in std::env::args().skip(1) {
        let started = std::time::Instant::now();
        match klang::audio::analyse_file(std::path::Path::new(&arg)) {
            Ok(a) => println!(
                "{arg}: {:?} in {:?}\n  {}",
                a.stats,
                started.elapsed(),
                klang::audio::text_waveform(&a.peaks, 60, klang::audio::Glyphs::Braille)
            ),
            Err(e) => println!("{e}"),
        }
    }
}
