//! Streaming decode with symphonia: one packet at a time into the meter
//! (or the spectrogram, the matched copy, the render chain), so a long
//! file never sits in memory whole. Broken input of any kind ends in an
//! error string, never a panic or an endless loop.
//!
//! Two corrections make the samples those the file means (the ones ffmpeg
//! decodes): an AAC track in MP4 is cut to its edit list (`mp4_edit.rs`),
//! and an MPEG audio file without a Xing/Info header keeps its last frame
//! (see [`Opened::estimated_end`]).

use super::Analysis;
use super::measure::Meter;
use super::mp4_edit::Edit;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use symphonia::core::codecs::audio::well_known::{
    CODEC_ID_AAC, CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3,
};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::Duration;

/// Packets in a row that fail to decode before the file is given up.
const MAX_BAD_PACKETS: u32 = 64;
/// Longest audio analysed; a header claiming more is not trusted to end.
const MAX_SECONDS: u64 = 4 * 60 * 60;

/// Bytes read without one decoded audio frame before the input is called
/// "not audio". A probe scans at most 1 MB for a marker, but random bytes
/// hold false MPEG sync words all through: without this bound a large file
/// of noise is "decoded" to its end, and a stream never ends.
const NOT_AUDIO_BYTES: u64 = 8 << 20;

/// The refusal once [`NOT_AUDIO_BYTES`] are read with no audio frame.
const NOT_AUDIO: &str = "not audio: no audio frame in 8 MB past its header";

/// Where the packet loop stands: counting bytes since the probe, whether
/// a packet has decoded to audio, whether the source gave up for want of
/// one. Shared by the source and the decode loop.
#[derive(Default)]
struct Scan {
    /// Set once the probe is done: it has its own bound (1 MB scanned for
    /// a marker), and a large tag before the audio (cover art) is fine.
    counting: AtomicBool,
    found_audio: AtomicBool,
    gave_up: AtomicBool,
}

/// A source whose reads fail once [`NOT_AUDIO_BYTES`] are read after the
/// probe with no audio frame decoded: the packet loop then stops instead
/// of scanning a huge file of noise (or one endless stream) for sync words.
struct UntilAudio {
    inner: Box<dyn MediaSource>,
    read: u64,
    scan: Arc<Scan>,
}

impl std::io::Read for UntilAudio {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let scanning = self.scan.counting.load(Ordering::Relaxed)
            && !self.scan.found_audio.load(Ordering::Relaxed);
        if scanning && self.read >= NOT_AUDIO_BYTES {
            self.scan.gave_up.store(true, Ordering::Relaxed);
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                NOT_AUDIO,
            ));
        }
        if !scanning {
            return self.inner.read(buf);
        }
        let room = usize::try_from(NOT_AUDIO_BYTES - self.read).unwrap_or(usize::MAX);
        let wanted = buf.len().min(room);
        let n = self.inner.read(&mut buf[..wanted])?;
        self.read += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for UntilAudio {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl MediaSource for UntilAudio {
    fn is_seekable(&self) -> bool {
        self.inner.is_seekable()
    }

    fn byte_len(&self) -> Option<u64> {
        self.inner.byte_len()
    }
}

/// Why a file could not be opened for decoding.
#[derive(Debug, PartialEq)]
pub(crate) enum OpenError {
    /// A codec or variant klang cannot decode ("AAC with 6 channels"):
    /// fetching the file again will not help.
    Unsupported(String),
    /// Not audio, damaged or cut off.
    Broken(String),
}

impl From<String> for OpenError {
    fn from(reason: String) -> OpenError {
        OpenError::Broken(reason)
    }
}

impl From<&str> for OpenError {
    fn from(reason: &str) -> OpenError {
        OpenError::Broken(reason.to_string())
    }
}

/// Decodes an opened file and measures it.
pub(crate) fn analyse(mut opened: Opened) -> Result<Analysis, String> {
    let (meter, ended_early) = opened.measure()?;
    let meter = meter.ok_or("no audio could be decoded")?;
    if let Some(declared) = opened.declared_frames
        && is_short(meter.frames(), declared, ended_early)
    {
        return Err(format!(
            "the file ends after {:.2} s of the {:.2} s its header declares (an incomplete download?)",
            meter.frames() as f64 / f64::from(meter.sample_rate().max(1)),
            declared as f64 / f64::from(meter.sample_rate().max(1)),
        ));
    }
    Ok(meter.finish())
}

/// A probed file: its packets and the decoder of its audio track.
pub(crate) struct Opened {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    /// The length the container claims, in frames, when it is more than a
    /// guess (after the edit list, for AAC in MP4).
    pub declared_frames: Option<u64>,
    /// The rate the codec parameters claim (the decoded blocks decide).
    pub sample_rate: Option<u32>,
    /// symphonia's MPEG audio reader, given no Xing/Info header, guesses
    /// the length from the bitrate and the file size
    /// (`estimate_num_mpeg_frames`, which averages the first 17 frames and
    /// rounds down) and then trims every packet past the guess
    /// (`PacketBuilder::trimmed_dur`): a guess one frame short drops the
    /// last 1152 samples of real sound. With this set the trim is undone
    /// and the stream decodes to its last frame, as ffmpeg does.
    estimated_end: bool,
    /// The AAC edit to apply (symphonia's isomp4 reads `elst` but does
    /// not apply it, and sets no delay or padding).
    edit: Option<Edit>,
    /// Set once a packet decodes to frames, which lifts the byte bound.
    scan: Arc<Scan>,
}

/// Probes `source` and readies the decoder of its audio track. `extension`
/// (e.g. "mp3") only helps the probe; the content decides. `edit` is the
/// container's edit list (see `mp4_edit.rs`), applied to AAC only.
pub(crate) fn open(
    source: Box<dyn MediaSource>,
    extension: Option<&str>,
    edit: Option<Edit>,
) -> Result<Opened, OpenError> {
    let scan = Arc::new(Scan::default());
    let source = UntilAudio {
        inner: source,
        read: 0,
        scan: scan.clone(),
    };
    let stream = MediaSourceStream::new(Box::new(source), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = extension {
        hint.with_extension(ext);
    }
    let format = symphonia::default::get_probe()
        .probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            Error::Unsupported(_) => "not a known audio format".to_string(),
            Error::IoError(_) => "the file is empty or ends before any audio".to_string(),
            other => other.to_string(),
        })?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or("the file holds no audio track")?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or("the audio track has no codec parameters")?;
    let mpeg = [CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3].contains(&params.codec);
    let estimated_end = mpeg && track.delay.is_none();
    let edit = edit.filter(|_| params.codec == CODEC_ID_AAC);
    let sample_rate = params.sample_rate;
    let declared_frames = match (edit, sample_rate) {
        (Some(edit), Some(rate)) => edit.frames(rate).1.or(track.num_frames),
        _ => track.num_frames.filter(|_| !estimated_end),
    };
    let track_id = track.id;
    scan.counting.store(true, Ordering::Relaxed);
    let decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| match e {
            Error::Unsupported(_) => OpenError::Unsupported(unsupported(params)),
            other => OpenError::Broken(format!("unsupported codec: {other}")),
        })?;
    Ok(Opened {
        format,
        decoder,
        track_id,
        declared_frames,
        sample_rate,
        estimated_end,
        edit,
        scan,
    })
}

/// What the decoder refused, in a user's words.
fn unsupported(params: &AudioCodecParameters) -> String {
    if params.codec != CODEC_ID_AAC {
        return "unsupported: a codec klang cannot decode".into();
    }
    let channels = params.channels.as_ref().map_or(0, |c| c.count());
    // The first five bits of the AudioSpecificConfig: 5 is SBR (HE-AAC),
    // 29 parametric stereo (HE-AAC v2).
    let object_type = params
        .extra_data
        .as_deref()
        .and_then(|d| d.first())
        .map(|b| b >> 3);
    match object_type {
        _ if channels > 2 => format!("unsupported: AAC with {channels} channels"),
        Some(5) => "unsupported: HE-AAC".into(),
        Some(29) => "unsupported: HE-AAC v2".into(),
        _ => "unsupported: an AAC profile other than AAC-LC".into(),
    }
}

/// The frames still to drop at the start and to keep after that.
struct Window {
    skip: u64,
    keep: Option<u64>,
}

impl Window {
    /// The part of `samples` (interleaved, `channels` wide) to play.
    fn cut<'a>(&mut self, samples: &'a [f32], channels: usize) -> &'a [f32] {
        let frames = (samples.len() / channels) as u64;
        let skipped = self.skip.min(frames);
        self.skip -= skipped;
        let mut kept = frames - skipped;
        if let Some(left) = &mut self.keep {
            kept = kept.min(*left);
            *left -= kept;
        }
        let start = skipped as usize * channels;
        &samples[start..start + kept as usize * channels]
    }
}

impl Opened {
    /// Every packet of the track through the meter (none when nothing
    /// decoded), and whether the bytes ran out inside a packet.
    fn measure(&mut self) -> Result<(Option<Meter>, bool), String> {
        let mut meter: Option<Meter> = None;
        let ended_early = self.for_each_block(|block| {
            let m = match &mut meter {
                Some(m) => m,
                None => meter.insert(Meter::new(block.channels, block.rate)?),
            };
            m.add(block.samples)
        })?;
        Ok((meter, ended_early))
    }

    /// Hands every decoded packet of the track to `each`, in order, cut to
    /// the container's edit; the channel count and rate stay the same
    /// throughout (a stream that changes them is refused). Returns whether
    /// the bytes ran out inside a packet (a cut-off file), which ends the
    /// stream without an error.
    pub fn for_each_block(
        &mut self,
        mut each: impl FnMut(Block<'_>) -> Result<(), String>,
    ) -> Result<bool, String> {
        let mut samples: Vec<f32> = Vec::new();
        let mut format_seen: Option<(u32, usize)> = None;
        let mut window = Window {
            skip: 0,
            keep: None,
        };
        let mut frames = 0u64;
        let mut bad_in_a_row = 0u32;
        loop {
            let mut packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(Error::IoError(_)) if self.scan.gave_up.load(Ordering::Relaxed) => {
                    return Err(NOT_AUDIO.into());
                }
                // Running out of bytes inside a packet: a cut-off file.
                Err(Error::IoError(_)) => return Ok(true),
                Err(Error::ResetRequired) => break,
                Err(e) => return Err(e.to_string()),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            if self.estimated_end {
                packet.trim_end = Duration::ZERO;
            }
            let decoded = match self.decoder.decode(&packet) {
                Ok(d) => d,
                Err(Error::DecodeError(_) | Error::IoError(_)) => {
                    bad_in_a_row += 1;
                    if bad_in_a_row > MAX_BAD_PACKETS {
                        return Err("too many damaged packets".into());
                    }
                    continue;
                }
                Err(e) => return Err(e.to_string()),
            };
            bad_in_a_row = 0;
            if decoded.frames() == 0 {
                continue;
            }
            self.scan.found_audio.store(true, Ordering::Relaxed);
            let format = (decoded.spec().rate(), decoded.spec().channels().count());
            if format_seen.is_none()
                && let Some(edit) = self.edit
            {
                let (skip, keep) = edit.frames(format.0);
                window = Window { skip, keep };
            }
            if *format_seen.get_or_insert(format) != format {
                return Err("the format changes in the middle of the stream".into());
            }
            let (rate, channels) = format;
            if rate == 0 || channels == 0 {
                return Err("the header gives no channels or no sample rate".into());
            }
            frames += decoded.frames() as u64;
            if frames > MAX_SECONDS * u64::from(rate) {
                return Err("longer than four hours: not analysed".into());
            }
            decoded.copy_to_vec_interleaved(&mut samples);
            let playing = window.cut(&samples, channels);
            if playing.is_empty() {
                continue;
            }
            each(Block {
                samples: playing,
                channels,
                rate,
            })?;
        }
        Ok(false)
    }
}

/// One decoded packet: interleaved samples, a whole number of frames.
pub(crate) struct Block<'a> {
    pub samples: &'a [f32],
    pub channels: usize,
    pub rate: u32,
}

/// Fewer frames than the container declared, beyond what encoder delay and
/// padding explain.
fn is_short(decoded: u64, declared: u64, ended_early: bool) -> bool {
    let slack = 2 * 1152 + declared / 50;
    decoded + slack < declared || (ended_early && decoded < declared.saturating_sub(2 * 1152))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn zeros(scan: &Arc<Scan>) -> UntilAudio {
        UntilAudio {
            inner: Box::new(std::io::Cursor::new(vec![
                0u8;
                3 * NOT_AUDIO_BYTES as usize
            ])),
            read: 0,
            scan: scan.clone(),
        }
    }

    #[test]
    fn past_the_probe_bytes_without_an_audio_frame_are_not_audio() {
        let mut sink = Vec::new();
        // The probe's reads are not counted.
        let scan = Arc::new(Scan::default());
        let read = zeros(&scan).read_to_end(&mut sink).unwrap();
        assert_eq!(read as u64, 3 * NOT_AUDIO_BYTES);
        // After it, a source with no audio frame is cut at the bound.
        scan.counting.store(true, Ordering::Relaxed);
        sink.clear();
        let err = zeros(&scan).read_to_end(&mut sink).unwrap_err();
        assert_eq!(err.to_string(), NOT_AUDIO);
        assert_eq!(sink.len() as u64, NOT_AUDIO_BYTES);
        assert!(scan.gave_up.load(Ordering::Relaxed));
        // Once a frame decodes, the rest is read whatever its length.
        let scan = Arc::new(Scan::default());
        scan.counting.store(true, Ordering::Relaxed);
        scan.found_audio.store(true, Ordering::Relaxed);
        sink.clear();
        assert_eq!(
            zeros(&scan).read_to_end(&mut sink).unwrap() as u64,
            3 * NOT_AUDIO_BYTES
        );
    }

    #[test]
    fn the_window_skips_then_keeps_across_blocks() {
        let mut w = Window {
            skip: 3,
            keep: Some(4),
        };
        let block: Vec<f32> = (0..10).map(|i| i as f32).collect(); // 5 stereo frames
        assert_eq!(w.cut(&block, 2), &[6.0, 7.0, 8.0, 9.0]);
        assert_eq!(w.cut(&block, 2), &[0.0, 1.0, 2.0, 3.0]);
        assert!(w.cut(&block, 2).is_empty());
    }
}
