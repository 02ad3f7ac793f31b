//! Writing the render: WAV with `hound`, FLAC with `flacenc`, always into
//! a temporary file in the target directory that is then linked to its
//! final name, so a reader never sees half a file, and an existing file
//! is never replaced (a second render of the same task gets `-2`).

use crate::engine::download::numbered;
use flacenc::component::BitRepr;
use flacenc::error::Verify;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file formats a render writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    Wav,
    Flac,
}

impl Container {
    pub fn extension(self) -> &'static str {
        match self {
            Container::Wav => "wav",
            Container::Flac => "flac",
        }
    }
}

/// Integer samples, interleaved, and how to read them.
pub struct Pcm<'a> {
    pub samples: &'a [i32],
    pub channels: usize,
    pub rate: u32,
    pub bits: u16,
}

/// Encodes `pcm` and writes it as `dir/name` (or `name-2`, `name-3`, ...
/// when taken); returns the path written.
pub fn write_new(
    dir: &Path,
    name: &str,
    pcm: &Pcm<'_>,
    container: Container,
) -> Result<PathBuf, String> {
    let bytes = encode(pcm, container)?;
    let part = dir.join(format!(".{name}.part-{}", std::process::id()));
    let written = write_part(&part, &bytes).and_then(|()| claim_name(&part, dir, name));
    let _ = std::fs::remove_file(&part);
    written
}

fn encode(pcm: &Pcm<'_>, container: Container) -> Result<Vec<u8>, String> {
    match container {
        Container::Wav => wav(pcm).map_err(|e| format!("cannot encode the WAV: {e}")),
        Container::Flac => flac(pcm),
    }
}

fn wav(pcm: &Pcm<'_>) -> Result<Vec<u8>, hound::Error> {
    let spec = hound::WavSpec {
        channels: u16::try_from(pcm.channels).unwrap_or(u16::MAX),
        sample_rate: pcm.rate,
        bits_per_sample: pcm.bits,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::with_capacity(pcm.samples.len() * 3 + 64));
    {
        let mut writer = hound::WavWriter::new(&mut out, spec)?;
        for &s in pcm.samples {
            writer.write_sample(s)?;
        }
        writer.finalize()?;
    }
    Ok(out.into_inner())
}

fn flac(pcm: &Pcm<'_>) -> Result<Vec<u8>, String> {
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|(_, e)| format!("FLAC encoder settings: {e}"))?;
    let source = flacenc::source::MemSource::from_samples(
        pcm.samples,
        pcm.channels,
        usize::from(pcm.bits),
        pcm.rate as usize,
    );
    let mut stream = flacenc::encode_with_fixed_block_size(&config, source, config.block_size)
        .map_err(|e| format!("cannot encode the FLAC: {e}"))?;
    // flacenc records the shorter last block as the minimum block size;
    // in a fixed-size stream the minimum leaves the last block out (as
    // libFLAC writes it), and symphonia's reader refuses the stream
    // otherwise ("ends before any audio").
    let info = stream.stream_info_mut();
    let max = info.max_block_size();
    info.set_block_sizes(max, max)
        .map_err(|e| format!("cannot encode the FLAC: {e}"))?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream
        .write(&mut sink)
        .map_err(|e| format!("cannot encode the FLAC: {e}"))?;
    Ok(sink.into_inner())
}

fn write_part(part: &Path, bytes: &[u8]) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", part.display());
    let mut file = std::fs::File::create(part).map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// Gives `part` the first free name of `name`, `name-2`, ...: a hard link
/// fails when the name exists, so two renders at once never share one.
pub(crate) fn claim_name(part: &Path, dir: &Path, name: &str) -> Result<PathBuf, String> {
    for n in 1..=999 {
        let target = dir.join(numbered(name, n));
        match std::fs::hard_link(part, &target) {
            Ok(()) => return Ok(target),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // A file system without hard links: rename, having checked.
            Err(_) if !target.exists() => {
                return std::fs::rename(part, &target)
                    .map(|()| target.clone())
                    .map_err(|e| format!("cannot write {}: {e}", target.display()));
            }
            Err(e) => return Err(format!("cannot write {}: {e}", target.display())),
        }
    }
    Err(format!(
        "{} already has 999 files named like {name}: move some away",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm(samples: &[i32]) -> Pcm<'_> {
        Pcm {
            samples,
            channels: 2,
            rate: 48_000,
            bits: 24,
        }
    }

    #[test]
    fn a_second_write_gets_a_new_name_and_leaves_no_part_file() {
        let dir = tempfile::tempdir().unwrap();
        let samples = vec![1_000, -1_000, 8_388_607, -8_388_608];
        let first = write_new(dir.path(), "take.wav", &pcm(&samples), Container::Wav).unwrap();
        let second = write_new(dir.path(), "take.wav", &pcm(&samples), Container::Wav).unwrap();
        assert_eq!(first, dir.path().join("take.wav"));
        assert_eq!(second, dir.path().join("take-2.wav"));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let mut reader = hound::WavReader::open(&first).unwrap();
        assert_eq!(reader.spec().bits_per_sample, 24);
        let back: Vec<i32> = reader.samples::<i32>().map(Result::unwrap).collect();
        assert_eq!(back, samples);
    }

    #[test]
    fn flac_reads_back_through_the_decoder() {
        let dir = tempfile::tempdir().unwrap();
        let samples: Vec<i32> = (0..9_600).map(|i| (i % 200 - 100) * 1_000).collect();
        let path = write_new(dir.path(), "t.flac", &pcm(&samples), Container::Flac).unwrap();
        assert!(std::fs::read(&path).unwrap().starts_with(b"fLaC"));
        let a = crate::audio::analyse_file(&path).unwrap();
        assert_eq!((a.stats.channels, a.stats.sample_rate), (2, 48_000));
        assert!((a.stats.duration_s - 0.1).abs() < 1e-9);
    }
}
