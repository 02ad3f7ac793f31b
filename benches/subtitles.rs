//! Parsing a film's subtitles for `klang dub`: a 1,500-cue SRT (about
//! 90 minutes, two lines a cue, with italics, `{\an8}` and speaker labels
//! to clean), from bytes to cues, UTF-8 and the same file in CP1252 (whose
//! encoding is guessed first). Target: at most 50 ms in a release build.
//! `cargo bench --bench subtitles`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write;
use std::time::Duration;

fn film_srt(cues: usize) -> String {
    let mut srt = String::new();
    let clock = |ms: usize| {
        format!(
            "{:02}:{:02}:{:02},{:03}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    };
    for i in 0..cues {
        let start = i * 3_600;
        let label = if i % 3 == 0 { "JOHN: " } else { "" };
        let _ = write!(
            srt,
            "{}\r\n{} --> {}\r\n{{\\an8}}{label}<i>Line {i} of the film</i>, and café talk,\r\n- MARY: all of it said <b>twice</b>.\r\n\r\n",
            i + 1,
            clock(start),
            clock(start + 2_900)
        );
    }
    srt
}

fn parse_film(c: &mut Criterion) {
    let film = film_srt(1_500);
    let utf8 = film.as_bytes();
    let parsed = klang::subtitles::parse(utf8).expect("the film parses");
    assert_eq!(parsed.cues.len(), 1_500);
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(&film);
    let parsed = klang::subtitles::parse(&cp1252).expect("the film parses");
    assert_eq!(parsed.encoding, "windows-1252");
    let mut group = c.benchmark_group("subtitles");
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(50);
    group.bench_function("parse a 1,500-cue SRT (UTF-8)", |b| {
        b.iter(|| klang::subtitles::parse(utf8).expect("parses"))
    });
    group.bench_function("parse a 1,500-cue SRT (CP1252, guessed)", |b| {
        b.iter(|| klang::subtitles::parse(&cp1252).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, parse_film);
criterion_main!(benches);
