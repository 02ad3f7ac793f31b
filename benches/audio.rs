//! Decoding and measuring a result: a 10 s, 44.1 kHz MP3 as the sandbox
//! serves it (the provider's format), decoded packet by packet, measured
//! (peak, EBU R128, silence) and reduced to 1,024 waveform peaks.
//! Target: under 50 ms in a release build. Then its spectrogram for a
//! 200x50 pane: decoded again, one FFT per column, drawn into a ratatui
//! buffer (at the pane's size, and as the dashboard does it: at the
//! engine's size, fitted to the pane). `cargo bench --bench audio`.

use criterion::{Criterion, criterion_group, criterion_main};
use klang::audio::spectrogram_file;
use klang::engine::spectrograms::{COLUMNS, ROWS};
use klang::tui::ui::spectrogram::{Colours, draw};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use std::time::Duration;

fn decode_and_measure(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rain-10s.mp3");
    std::fs::write(
        &path,
        klang::sandbox::sample_mp3("rain on a tin roof", 1000),
    )
    .expect("write the sample");
    let mut group = c.benchmark_group("audio");
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(30);
    group.bench_function("analyse 10 s 44.1 kHz mono MP3", |b| {
        b.iter(|| klang::audio::analyse_file(&path).expect("decodes"))
    });
    let pane = Rect::new(0, 0, 200, 50);
    let colours = Colours::Xterm256;
    group.bench_function("spectrogram 10 s 44.1 kHz MP3 at 200x50, drawn", |b| {
        b.iter(|| {
            let s = spectrogram_file(&path, 200, 50, None).expect("decodes");
            let mut buffer = Buffer::empty(pane);
            draw(&mut buffer, pane, &s, colours, Style::default());
            buffer
        })
    });
    group.bench_function(
        "spectrogram 10 s at the engine's size, fitted to 200x50, drawn",
        |b| {
            b.iter(|| {
                let s = spectrogram_file(&path, COLUMNS, ROWS, None).expect("decodes");
                let mut buffer = Buffer::empty(pane);
                draw(&mut buffer, pane, &s, colours, Style::default());
                buffer
            })
        },
    );
    group.finish();
}

criterion_group!(benches, decode_and_measure);
criterion_main!(benches);
