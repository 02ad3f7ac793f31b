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

/// Decodes `source` and measures it. `extension` (e.g. "mp3") only helps
/// the probe; the content decides.
pub(crate) fn analyse(
    source: Box<dyn MediaSource>,
    extension: Option<&str>,
) -> Result<Analysis, String> {
    let mut opened = open(source, extension)?;
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
struct Opened {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    /// The length the container claims, in frames.
    declared_frames: Option<u64>,
}

fn open(source: Box<dyn MediaSource>, extension: Option<&str>) -> Result<Opened, String> {
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
    let track_id = track.id;
    let decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| format!("unsupported codec: {e}"))?;
    Ok(Opened {
        format,
        decoder,
        track_id,
        declared_frames,
    })
}

impl Opened {
    /// Every packet of the track through the meter (none when nothing
    /// decoded), and whether the bytes ran out inside a packet.
    fn measure(&mut self) -> Result<(Option<Meter>, bool), String> {
        let mut meter: Option<Meter> = None;
        let mut samples: Vec<f32> = Vec::new();
        let mut bad_in_a_row = 0u32;
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                // Running out of bytes inside a packet: a cut-off file.
                Err(Error::IoError(_)) => return Ok((meter, true)),
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
            let (rate, channels) = (decoded.spec().rate(), decoded.spec().channels().count());
            let m = match &mut meter {
                Some(m) => m,
                None => meter.insert(Meter::new(channels, rate)?),
            };
            if m.channels() != channels || m.sample_rate() != rate {
                return Err("the format changes in the middle of the stream".into());
            }
            decoded.copy_to_vec_interleaved(&mut samples);
            m.add(&samples)?;
            if m.frames() > MAX_SECONDS * u64::from(rate) {
                return Err("longer than four hours: not analysed".into());
            }
        }
        Ok((meter, false))
    }
}

/// Fewer frames than the container declared, beyond what encoder delay and
/// padding explain.
fn is_short(decoded: u64, declared: u64, ended_early: bool) -> bool {
    let slack = 2 * 1152 + declared / 50;
    decoded + slack < declared || (ended_early && decoded < declared.saturating_sub(2 * 1152))
}
