//! Decoding and measuring a result: a 10 s, 44.1 kHz MP3 as the sandbox
//! serves it (the provider's format), decoded packet by packet, measured
//! (peak, EBU R128, silence) and reduced to 1,024 waveform peaks.
//! Target: under 50 ms in a release build. `cargo bench --bench audio`.

use criterion::{Criterion, criterion_group, criterion_main};
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
    group.finish();
}

criterion_group!(benches, decode_and_measure);
criterion_main!(benches);
