//! What a video is, from its `ftyp` and `moov` boxes, parsed by symphonia's
//! isomp4 reader (already klang's audio decoder, so no second MP4 parser).

use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Mp4,
    Mov,
}

impl Container {
    pub fn label(self) -> &'static str {
        match self {
            Container::Mp4 => "MP4",
            Container::Mov => "MOV",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Container::Mp4 => "video/mp4",
            Container::Mov => "video/quicktime",
        }
    }
}

/// A video that passed the check.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoFacts {
    pub container: Container,
    pub seconds: f64,
    /// Of the first video track, when its codec says.
    pub size: Option<(u16, u16)>,
    pub bytes: u64,
}

impl std::fmt::Display for VideoFacts {
    /// `MP4 · 5.0 s · 320x240 · 1.2 MB`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} · {:.1} s", self.container.label(), self.seconds)?;
        if let Some((w, h)) = self.size {
            write!(f, " · {w}x{h}")?;
        }
        write!(f, " · {}", megabytes(self.bytes))
    }
}

/// `1.2 MB` (decimal, as the provider's 100 MB limit).
pub(crate) fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// A length outside 3-20 s, with enough decimals that it does not read as
/// a length inside (20.04 s is not "20.0 s").
pub(crate) fn seconds_outside(s: f64) -> String {
    let one = format!("{s:.1}");
    match one.parse::<f64>() {
        Ok(r) if (super::MIN_SECONDS..=super::MAX_SECONDS).contains(&r) => format!("{s:.2} s"),
        _ => format!("{one} s"),
    }
}

/// An `ftyp` for old QuickTime files that start without one (the reader
/// wants it first).
const QUICKTIME_FTYP: &[u8] = b"\0\0\0\x14ftypqt  \0\0\0\0qt  ";

/// Parses the `ftyp` box (if the file has one) and the whole `moov` box.
/// `bytes` is the file's size, known from elsewhere.
pub(crate) fn parse(ftyp: Option<&[u8]>, moov: &[u8], bytes: u64) -> Result<VideoFacts, String> {
    let container = if super::boxes::is_quicktime(ftyp) {
        Container::Mov
    } else {
        Container::Mp4
    };
    let mut file = ftyp.unwrap_or(QUICKTIME_FTYP).to_vec();
    file.extend_from_slice(moov);
    // An empty `mdat` where the samples would be: the reader stops there.
    file.extend_from_slice(b"\0\0\0\x08mdat");
    let stream = MediaSourceStream::new(Box::new(std::io::Cursor::new(file)), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("mp4");
    let reader = symphonia::default::get_probe()
        .probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| format!("its index (moov box) cannot be read ({e})"))?;
    let size = reader.tracks().iter().find_map(|t| {
        let video = t.codec_params.as_ref()?.video()?;
        Some((video.width?, video.height?))
    });
    let has_video = reader
        .tracks()
        .iter()
        .any(|t| t.codec_params.as_ref().is_some_and(|p| p.video().is_some()));
    if !has_video && reader.tracks().iter().any(|t| t.codec_params.is_some()) {
        return Err("the file has no video track".into());
    }
    let seconds = length(reader.as_ref()).ok_or("its length cannot be read")?;
    Ok(VideoFacts {
        container,
        seconds,
        size,
        bytes,
    })
}

/// The movie's length (`mvhd`), else its longest track's.
fn length(reader: &dyn FormatReader) -> Option<f64> {
    let seconds = |tb: Option<symphonia::core::units::TimeBase>, d| {
        tb?.calc_duration(d).map(|t| t.as_secs_f64())
    };
    let info = reader.media_info();
    let movie = info.duration.and_then(|d| seconds(info.time_base, d));
    movie.filter(|s| *s > 0.0).or_else(|| {
        reader
            .tracks()
            .iter()
            .filter_map(|t| seconds(t.time_base, t.duration?))
            .reduce(f64::max)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_read_as_one_line() {
        let facts = VideoFacts {
            container: Container::Mp4,
            seconds: 5.0,
            size: Some((320, 240)),
            bytes: 1_234_567,
        };
        assert_eq!(facts.to_string(), "MP4 · 5.0 s · 320x240 · 1.2 MB");
        assert_eq!(seconds_outside(25.0), "25.0 s");
        assert_eq!(seconds_outside(20.04), "20.04 s");
        assert_eq!(seconds_outside(1.5), "1.5 s");
    }
}
