//! Encoding as the samples come: WAV with klang's RIFF writer (`wav.rs`:
//! the origin's `bext` and iXML and a loop's `smpl` before `data`, the
//! sizes filled in at the end), FLAC with `flacenc` one frame at a time
//! (`encode_fixed_size_frame`; the STREAMINFO block at the start, and the
//! VORBIS_COMMENT block after it holding the origin, are written again at
//! the end, when the length and MD5 are known). Memory is one FLAC block,
//! whatever the length.

use super::Container;
use super::wav::{LoopPoints, WavWriter};
use crate::audio::origin::{self, Loudness, Origin};
use flacenc::component::MetadataBlockData;
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
    Wav(WavWriter<W>),
    Flac(Box<FlacWriter<W>>),
}

impl<W: Write + Seek> Encoder<W> {
    /// An encoder into `out` (new, empty), the file carrying `origin`
    /// (WAV: `bext` and iXML; FLAC: Vorbis comments) when given.
    pub fn new(
        out: W,
        spec: PcmSpec,
        container: Container,
        origin: Option<&Origin>,
    ) -> Result<Encoder<W>, String> {
        Encoder::looped(out, spec, container, origin, None)
    }

    /// As [`Encoder::new`], marked to loop over `loop_points` (WAV: a
    /// `smpl` chunk; FLAC: LOOPSTART and LOOPLENGTH comments, which game
    /// engines such as RPG Maker and Ren'Py read).
    pub fn looped(
        out: W,
        spec: PcmSpec,
        container: Container,
        origin: Option<&Origin>,
        loop_points: Option<LoopPoints>,
    ) -> Result<Encoder<W>, String> {
        match container {
            Container::Wav => WavWriter::new(out, spec, origin, loop_points).map(Encoder::Wav),
            Container::Flac => {
                let mut extra = Vec::new();
                if let Some(p) = loop_points {
                    extra.push(("LOOPSTART", p.start.to_string()));
                    extra.push(("LOOPLENGTH", (p.end + 1 - p.start).to_string()));
                }
                let comments = origin::vorbis_comments(origin, &extra);
                FlacWriter::new(out, spec, &comments).map(|f| Encoder::Flac(Box::new(f)))
            }
        }
    }

    /// Interleaved integers, whole frames.
    pub fn write(&mut self, samples: &[i32]) -> Result<(), String> {
        match self {
            Encoder::Wav(w) => w.write(samples),
            Encoder::Flac(f) => f.write(samples),
        }
    }

    /// Completes the file's headers and flushes it; `loudness`, what was
    /// written measures, goes in the WAV's `bext`.
    pub fn finish(self, loudness: Option<&Loudness>) -> Result<(), String> {
        match self {
            Encoder::Wav(w) => w.finish(loudness),
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
    /// The VORBIS_COMMENT block's body, if any.
    comments: Option<Vec<u8>>,
}

fn flac_error(e: impl std::fmt::Display) -> String {
    format!("cannot encode the FLAC: {e}")
}

impl<W: Write + Seek> FlacWriter<W> {
    fn new(out: W, spec: PcmSpec, comments: &[(String, String)]) -> Result<FlacWriter<W>, String> {
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
            comments: (!comments.is_empty()).then(|| origin::vorbis_comment_block(comments)),
        };
        // A placeholder of the same size, rewritten by `finish`.
        writer.write_header()?;
        Ok(writer)
    }

    /// `fLaC`, the STREAMINFO block as it stands (before the first frame:
    /// a placeholder with the same size and valid fields) and the
    /// comments, the same bytes each time.
    fn write_header(&mut self) -> Result<(), String> {
        let mut info = self.info.clone();
        if info.total_samples() == 0 {
            info.set_block_sizes(self.block, self.block)
                .map_err(flac_error)?;
            info.set_frame_sizes(0, 0).map_err(flac_error)?;
        }
        let mut header = Stream::with_stream_info(info);
        if let Some(body) = &self.comments {
            // 4: VORBIS_COMMENT.
            header.add_metadata_block(MetadataBlockData::new_unknown(4, body).map_err(flac_error)?);
        }
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
        let mut enc = Encoder::new(
            std::fs::File::create(&path).unwrap(),
            spec,
            Container::Flac,
            None,
        )
        .unwrap();
        for block in samples.chunks(2 * 333) {
            enc.write(block).unwrap();
        }
        enc.finish(None).unwrap();
        let a = crate::audio::analyse_file(&path).unwrap();
        assert_eq!((a.stats.channels, a.stats.sample_rate), (2, 48_000));
        assert!((a.stats.duration_s - 10_001.0 / 48_000.0).abs() < 1e-9);
    }
}
