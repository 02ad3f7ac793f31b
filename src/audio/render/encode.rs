//! Encoding as the samples come: WAV with `hound` (its header's lengths
//! are filled in by `finalize`), FLAC with `flacenc` one frame at a time
//! (`encode_fixed_size_frame`; the STREAMINFO block at the start is
//! written again at the end, when the length and MD5 are known). Memory
//! is one FLAC block, whatever the length.

use super::Container;
use flacenc::component::{BitRepr, Stream, StreamInfo};
use flacenc::config;
use flacenc::error::{Verified, Verify};
use flacenc::source::{Context, Fill, FrameBuf};
use std::io::{BufWriter, Seek, SeekFrom, Write};

/// The layout of the integers an [`Encoder`] takes.
#[derive(Clone, Copy, Debug)]
pub struct PcmSpec {
    pub channels: usize,
    pub rate: u32,
    pub bits: u16,
}

pub enum Encoder<W: Write + Seek> {
    Wav(hound::WavWriter<BufWriter<W>>),
    Flac(Box<FlacWriter<W>>),
}

impl<W: Write + Seek> Encoder<W> {
    pub fn new(out: W, spec: PcmSpec, container: Container) -> Result<Encoder<W>, String> {
        match container {
            Container::Wav => {
                let wav = hound::WavSpec {
                    channels: u16::try_from(spec.channels).unwrap_or(u16::MAX),
                    sample_rate: spec.rate,
                    bits_per_sample: spec.bits,
                    sample_format: hound::SampleFormat::Int,
                };
                hound::WavWriter::new(BufWriter::with_capacity(1 << 16, out), wav)
                    .map(Encoder::Wav)
                    .map_err(|e| format!("cannot encode the WAV: {e}"))
            }
            Container::Flac => FlacWriter::new(out, spec).map(|f| Encoder::Flac(Box::new(f))),
        }
    }

    /// Interleaved integers, whole frames.
    pub fn write(&mut self, samples: &[i32]) -> Result<(), String> {
        match self {
            Encoder::Wav(w) => {
                for &s in samples {
                    w.write_sample(s)
                        .map_err(|e| format!("cannot encode the WAV: {e}"))?;
                }
                Ok(())
            }
            Encoder::Flac(f) => f.write(samples),
        }
    }

    /// Completes the file's headers and flushes it.
    pub fn finish(self) -> Result<(), String> {
        match self {
            Encoder::Wav(w) => w
                .finalize()
                .map_err(|e| format!("cannot encode the WAV: {e}")),
            Encoder::Flac(f) => f.finish(),
        }
    }
}

pub struct FlacWriter<W: Write + Seek> {
    out: BufWriter<W>,
    config: Verified<config::Encoder>,
    info: StreamInfo,
    block: usize,
    channels: usize,
    /// Interleaved samples of the block being filled.
    pending: Vec<i32>,
    frame: (FrameBuf, Context),
    sink: flacenc::bitsink::ByteSink,
}

fn flac_error(e: impl std::fmt::Display) -> String {
    format!("cannot encode the FLAC: {e}")
}

impl<W: Write + Seek> FlacWriter<W> {
    fn new(out: W, spec: PcmSpec) -> Result<FlacWriter<W>, String> {
        let config = config::Encoder::default()
            .into_verified()
            .map_err(|(_, e)| format!("FLAC encoder settings: {e}"))?;
        let block = config.block_size;
        let bits = usize::from(spec.bits);
        let info = StreamInfo::new(spec.rate as usize, spec.channels, bits).map_err(flac_error)?;
        let frame = (
            FrameBuf::with_size(spec.channels, block).map_err(flac_error)?,
            Context::new(bits, spec.channels),
        );
        let mut writer = FlacWriter {
            out: BufWriter::with_capacity(1 << 16, out),
            config,
            info,
            block,
            channels: spec.channels,
            pending: Vec::with_capacity(block * spec.channels),
            frame,
            sink: flacenc::bitsink::ByteSink::new(),
        };
        // A placeholder of the same size, rewritten by `finish`.
        writer.write_header()?;
        Ok(writer)
    }

    /// `fLaC` and the STREAMINFO block as they stand (before the first
    /// frame: a placeholder with the same size and valid fields).
    fn write_header(&mut self) -> Result<(), String> {
        let mut info = self.info.clone();
        if info.total_samples() == 0 {
            info.set_block_sizes(self.block, self.block)
                .map_err(flac_error)?;
            info.set_frame_sizes(0, 0).map_err(flac_error)?;
        }
        let header = Stream::with_stream_info(info);
        self.sink.clear();
        header.write(&mut self.sink).map_err(flac_error)?;
        self.out.write_all(self.sink.as_slice()).map_err(flac_error)
    }

    fn write(&mut self, mut samples: &[i32]) -> Result<(), String> {
        let whole = self.block * self.channels;
        while !samples.is_empty() {
            let take = (whole - self.pending.len()).min(samples.len());
            self.pending.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.pending.len() == whole {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    fn encode_pending(&mut self) -> Result<(), String> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.frame
            .fill_interleaved(&self.pending)
            .map_err(flac_error)?;
        self.pending.clear();
        let number = self.frame.1.current_frame_number().unwrap_or(0);
        let frame =
            flacenc::encode_fixed_size_frame(&self.config, &self.frame.0, number, &self.info)
                .map_err(flac_error)?;
        self.info.update_frame_info(&frame);
        self.sink.clear();
        frame.write(&mut self.sink).map_err(flac_error)?;
        self.out.write_all(self.sink.as_slice()).map_err(flac_error)
    }

    fn finish(mut self) -> Result<(), String> {
        self.encode_pending()?;
        let digest = self.frame.1.md5_digest();
        self.info.set_md5_digest(&digest);
        // A fixed-size stream names the block size as both minimum and
        // maximum (the shorter last block is left out, as libFLAC writes
        // it; symphonia refuses the stream otherwise).
        self.info
            .set_block_sizes(self.block, self.block)
            .map_err(flac_error)?;
        self.out.seek(SeekFrom::Start(0)).map_err(flac_error)?;
        self.write_header()?;
        self.out.flush().map_err(flac_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flac_written_in_blocks_decodes_to_the_same_samples() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.flac");
        let samples: Vec<i32> = (0..2 * 10_001).map(|i| (i % 200 - 100) * 1_000).collect();
        let spec = PcmSpec {
            channels: 2,
            rate: 48_000,
            bits: 24,
        };
        let mut enc =
            Encoder::new(std::fs::File::create(&path).unwrap(), spec, Container::Flac).unwrap();
        for block in samples.chunks(2 * 333) {
            enc.write(block).unwrap();
        }
        enc.finish().unwrap();
        let a = crate::audio::analyse_file(&path).unwrap();
        assert_eq!((a.stats.channels, a.stats.sample_rate), (2, 48_000));
        assert!((a.stats.duration_s - 10_001.0 / 48_000.0).abs() < 1e-9);
    }
}
