//! What klang checks about a video before a paid video-to-audio request:
//! the provider takes MP4 or MOV, at most 100 MB, 3 to 20 seconds, and
//! charges for a request whose video it cannot use. Nothing here knows the
//! terminal; the CLI, batch files and the dashboard's form all call
//! [`check_url`] or [`check_file`].

mod boxes;
pub mod duck;
pub(crate) mod facts;
pub mod foley;
mod local;
pub(crate) mod locate;
pub mod mux;
mod preflight;

pub use facts::{Container, VideoFacts};
pub use local::{LocalVideo, check_file, hash, hash_reader};
pub use preflight::{Limits, check_url};

/// The provider's limits (docs/api.md).
pub const MAX_BYTES: u64 = 100_000_000;
pub const MIN_SECONDS: f64 = 3.0;
pub const MAX_SECONDS: f64 = 20.0;

/// Why a video is refused before anything is sent: one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub message: String,
    /// The host did not answer in time or broke off: the video may be fine,
    /// so the user may choose to send it unchecked (`--no-check`).
    pub host_trouble: bool,
}

impl Refusal {
    pub(crate) fn new(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            host_trouble: false,
        }
    }

    pub(crate) fn host(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            host_trouble: true,
        }
    }
}

/// The facts a video must meet once its size and length are known.
pub(crate) fn within_limits(facts: &VideoFacts) -> Result<(), Refusal> {
    if facts.bytes > MAX_BYTES {
        return Err(Refusal::new(format!(
            "video is {}; the provider takes at most 100 MB",
            facts::megabytes(facts.bytes)
        )));
    }
    // Half a millisecond of slack: a container's timescale cannot always
    // say exactly 3 or 20 seconds.
    let s = facts.seconds;
    if !(MIN_SECONDS - 0.0005..=MAX_SECONDS + 0.0005).contains(&s) {
        return Err(Refusal::new(format!(
            "video is {}; the provider takes 3-20 s",
            facts::seconds_outside(s)
        )));
    }
    Ok(())
}
