//! A small RIFF WAVE writer that streams: `RIFF`, `fmt `, then the chunks
//! that say where the file came from (`bext`, `iXML`) and where it loops
//! (`smpl`), then `data`, written as the samples come; `finish` pads an
//! odd data chunk and fills in the sizes (and the `bext` loudness, known
//! only once everything is written).
//!
//! Not hound: hound 3.5 writes `RIFF`, `fmt ` and `data` and nothing else,
//! and its `finalize` patches the sizes at fixed offsets computed from its
//! own header (4 and 40/64), so a chunk put before `data` would be
//! overwritten and one put after it left out of the RIFF size; it also
//! does not pad an odd data chunk, which a chunk after it needs. The fmt
//! chunk is hound's: PCMWAVEFORMAT up to 2 channels of 16 bits, else
//! WAVEFORMATEXTENSIBLE, which readers expect past that.

use super::PcmSpec;
use crate::audio::origin::{self, Loudness, Origin};
use std::io::{BufWriter, Seek, SeekFrom, Write};

/// Where the file loops, in frames: `start` is the first frame of the
/// loop, `end` the last one played (inclusive, as `smpl` has it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopPoints {
    pub start: u64,
    pub end: u64,
}

pub struct WavWriter<W: Write + Seek> {
    out: BufWriter<W>,
    bytes_per_sample: usize,
    /// Offset of the data chunk's size field.
    data_size_at: u64,
    data_bytes: u64,
    /// Offset of the `bext` loudness fields, when there is a `bext`.
    loudness_at: Option<u64>,
    bytes: Vec<u8>,
}

fn wav_error(e: impl std::fmt::Display) -> String {
    format!("cannot encode the WAV: {e}")
}

/// KSDATAFORMAT_SUBTYPE_PCM.
const PCM_GUID: [u8; 16] = [
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];

fn fmt_chunk(spec: PcmSpec) -> Result<Vec<u8>, String> {
    let channels = u16::try_from(spec.channels).map_err(|_| wav_error("too many channels"))?;
    let bytes = spec.bits.div_ceil(8);
    let align = channels
        .checked_mul(bytes)
        .ok_or_else(|| wav_error("too many channels"))?;
    let mut f = Vec::with_capacity(40);
    let extensible = spec.channels > 2 || spec.bits > 16;
    f.extend_from_slice(&(if extensible { 0xfffe_u16 } else { 1 }).to_le_bytes());
    f.extend_from_slice(&channels.to_le_bytes());
    f.extend_from_slice(&spec.rate.to_le_bytes());
    f.extend_from_slice(&(spec.rate * u32::from(align)).to_le_bytes());
    f.extend_from_slice(&align.to_le_bytes());
    f.extend_from_slice(&(bytes * 8).to_le_bytes());
    if extensible {
        f.extend_from_slice(&22u16.to_le_bytes());
        f.extend_from_slice(&spec.bits.to_le_bytes());
        // Mono is the front centre speaker (as ffmpeg writes it): a mask
        // of front-left alone makes ffmpeg's AAC encoder refuse the file.
        let mask = if spec.channels == 1 {
            0x4
        } else if spec.channels >= 32 {
            0
        } else {
            (1u32 << spec.channels) - 1
        };
        f.extend_from_slice(&mask.to_le_bytes());
        f.extend_from_slice(&PCM_GUID);
    }
    Ok(f)
}

/// A `smpl` chunk with one forward loop, played forever.
pub fn smpl_chunk(rate: u32, points: LoopPoints) -> Vec<u8> {
    let frame = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let period_ns = 1_000_000_000u32.checked_div(rate).unwrap_or(0);
    let fields = [
        0,         // manufacturer
        0,         // product
        period_ns, // sample period
        60,        // MIDI unity note (middle C)
        0,         // pitch fraction
        0,         // SMPTE format
        0,         // SMPTE offset
        1,         // sample loops
        0,         // sampler data
        0,         // loop: cue point id
        0,         // loop: type (forward)
        frame(points.start),
        frame(points.end),
        0, // fraction
        0, // play count (0: forever)
    ];
    fields.iter().flat_map(|v: &u32| v.to_le_bytes()).collect()
}

/// `A=PCM,F=48000,W=24,M=mono,T=klang`: the bext coding history line.
fn coding_history(spec: PcmSpec) -> String {
    let mode = match spec.channels {
        1 => "mono".to_string(),
        2 => "stereo".to_string(),
        n => format!("{n}ch"),
    };
    format!("A=PCM,F={},W={},M={mode},T=klang", spec.rate, spec.bits)
}

impl<W: Write + Seek> WavWriter<W> {
    /// Writes the header and the chunks before `data` into `out` (new,
    /// empty, at its start).
    pub fn new(
        out: W,
        spec: PcmSpec,
        origin: Option<&Origin>,
        loop_points: Option<LoopPoints>,
    ) -> Result<WavWriter<W>, String> {
        if !matches!(spec.bits, 16 | 24 | 32) {
            return Err(wav_error(format!("{} bits: give 16 or 24", spec.bits)));
        }
        let mut header = Vec::with_capacity(2048);
        header.extend_from_slice(b"RIFF\0\0\0\0WAVE");
        let mut chunk = |id: &[u8; 4], body: &[u8]| -> Result<u64, String> {
            header.extend_from_slice(id);
            let size = u32::try_from(body.len()).map_err(|_| wav_error("a chunk is too long"))?;
            header.extend_from_slice(&size.to_le_bytes());
            let at = header.len() as u64;
            header.extend_from_slice(body);
            if body.len() % 2 == 1 {
                header.push(0);
            }
            Ok(at)
        };
        chunk(b"fmt ", &fmt_chunk(spec)?)?;
        let mut loudness_at = None;
        if let Some(o) = origin {
            let at = chunk(b"bext", &origin::bext(o, &coding_history(spec)))?;
            loudness_at = Some(at + origin::BEXT_LOUDNESS_OFFSET as u64);
            chunk(b"iXML", &origin::ixml(o))?;
        }
        if let Some(points) = loop_points {
            chunk(b"smpl", &smpl_chunk(spec.rate, points))?;
        }
        header.extend_from_slice(b"data\0\0\0\0");
        let data_size_at = header.len() as u64 - 4;
        let mut out = BufWriter::with_capacity(1 << 16, out);
        out.write_all(&header).map_err(wav_error)?;
        Ok(WavWriter {
            out,
            bytes_per_sample: usize::from(spec.bits / 8),
            data_size_at,
            data_bytes: 0,
            loudness_at,
            bytes: Vec::new(),
        })
    }

    /// Interleaved integers, whole frames.
    pub fn write(&mut self, samples: &[i32]) -> Result<(), String> {
        let n = self.bytes_per_sample;
        self.bytes.clear();
        self.bytes.reserve(samples.len() * n);
        for &s in samples {
            self.bytes.extend_from_slice(&s.to_le_bytes()[..n]);
        }
        self.data_bytes += self.bytes.len() as u64;
        // The RIFF size counts the header too: stop well before 4 GiB.
        if self.data_bytes + self.data_size_at + 8 > u64::from(u32::MAX) {
            return Err(
                "the WAV would pass 4 GiB, the most a WAV holds: write FLAC (--format flac)".into(),
            );
        }
        self.out.write_all(&self.bytes).map_err(wav_error)
    }

    /// Pads the data chunk, fills in the sizes and the loudness, flushes.
    pub fn finish(mut self, loudness: Option<&Loudness>) -> Result<(), String> {
        if self.data_bytes % 2 == 1 {
            self.out.write_all(&[0]).map_err(wav_error)?;
        }
        let end = self.out.stream_position().map_err(wav_error)?;
        let riff = u32::try_from(end - 8).map_err(|_| wav_error("the file is too long"))?;
        let data = u32::try_from(self.data_bytes).map_err(|_| wav_error("the file is too long"))?;
        let mut patch = |at: u64, bytes: &[u8]| -> Result<(), String> {
            self.out.seek(SeekFrom::Start(at)).map_err(wav_error)?;
            self.out.write_all(bytes).map_err(wav_error)
        };
        patch(4, &riff.to_le_bytes())?;
        patch(self.data_size_at, &data.to_le_bytes())?;
        if let (Some(at), Some(l)) = (self.loudness_at, loudness) {
            patch(at, &origin::bext_loudness(l))?;
        }
        self.out.flush().map_err(wav_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// The chunks of a RIFF file: id and body.
    fn chunks(bytes: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        assert_eq!(&bytes[..4], b"RIFF");
        let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        assert_eq!(riff + 8, bytes.len(), "the RIFF size is the file's");
        let mut at = 12;
        let mut out = Vec::new();
        while at < bytes.len() {
            let id: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
            let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
            out.push((id, bytes[at + 8..at + 8 + size].to_vec()));
            at += 8 + size + size % 2;
        }
        assert_eq!(at, bytes.len());
        out
    }

    #[test]
    fn odd_data_is_padded_and_every_size_adds_up() {
        let mut file = Cursor::new(Vec::new());
        let spec = PcmSpec {
            channels: 1,
            rate: 44_100,
            bits: 24,
        };
        let points = LoopPoints { start: 0, end: 2 };
        let mut w = WavWriter::new(&mut file, spec, None, Some(points)).unwrap();
        w.write(&[1, -1, 0x7f_ffff]).unwrap();
        w.finish(None).unwrap();
        let all = chunks(file.get_ref());
        let ids: Vec<&[u8; 4]> = all.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, [b"fmt ", b"smpl", b"data"]);
        assert_eq!(all[2].1, [1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
        let smpl = &all[1].1;
        assert_eq!(u32::from_le_bytes(smpl[28..32].try_into().unwrap()), 1);
        assert_eq!(u32::from_le_bytes(smpl[48..52].try_into().unwrap()), 2);
    }
}
