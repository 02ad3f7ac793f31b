//! Streaming decode with symphonia: one packet at a time into the meter, so
//! a long file never sits in memory whole. Broken input of any kind ends
//! in an error string, never a panic or an endless loop.

use super::Analysis;
use super::measure::Meter;
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

/// Packets in a row that fail to decode before the file is given up.
const MAX_BAD_PACKETS: u32 = 64;
/// Longest audio analysed; a header claiming more is not trusted to end.
const MAX_SECONDS: u64 = 4 * 60 * 60;

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
    /// The length the container claims, in frames.
    pub declared_frames: Option<u64>,
    /// The rate the codec parameters claim (the decoded blocks decide).
    pub sample_rate: Option<u32>,
}

/// Probes `source` and readies the decoder of its audio track. `extension`
/// (e.g. "mp3") only helps the probe; the content decides.
pub(crate) fn open(
    source: Box<dyn MediaSource>,
    extension: Option<&str>,
) -> Result<Opened, String> {
    let stream = MediaSourceStream::new(source, Default::default());
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
    let declared_frames = track.num_frames;
    let sample_rate = params.sample_rate;
    let track_id = track.id;
    let decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| format!("unsupported codec: {e}"))?;
    Ok(Opened {
        format,
        decoder,
        track_id,
        declared_frames,
        sample_rate,
    })
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

    /// Hands every decoded packet of the track to `each`, in order; the
    /// channel count and rate stay the same throughout (a stream that
    /// changes them is refused). Returns whether the bytes ran out inside
    /// a packet (a cut-off file), which ends the stream without an error.
    pub fn for_each_block(
        &mut self,
        mut each: impl FnMut(Block<'_>) -> Result<(), String>,
    ) -> Result<bool, String> {
        let mut samples: Vec<f32> = Vec::new();
        let mut format_seen: Option<(u32, usize)> = None;
        let mut frames = 0u64;
        let mut bad_in_a_row = 0u32;
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                // Running out of bytes inside a packet: a cut-off file.
                Err(Error::IoError(_)) => return Ok(true),
                Err(Error::ResetRequired) => break,
                Err(e) => return Err(e.to_string()),
            };
            if packet.track_id != self.track_id {
                continue;
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
            let format = (decoded.spec().rate(), decoded.spec().channels().count());
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
            each(Block {
                samples: &samples,
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
