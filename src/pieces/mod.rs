//! Pieces: one work longer than one call, made of many tasks. Narration
//! (`klang speak`) is the first kind: a script is split into chunks
//! ([`split`]), each chunk is one TTS request known by its content key,
//! the plan says what is already made and what must be sent ([`plan`]),
//! and the made chunks are assembled with captions and chapters
//! ([`captions`]).
//!
//! The content key is the SHA-256 of the canonical request (model, voice,
//! language, speed, text), never of a position: the same sentence in
//! another place, or in another piece, reuses the take already paid for.

pub mod bed;
pub mod build;
pub mod captions;
pub mod foley;
mod markdown;
pub mod plan;
pub mod split;
pub mod submit;

use crate::api::{CreateRequest, TtsParams};
use crate::store::{LocalState, TaskRecord};
use sha2::{Digest, Sha256};

pub use markdown::MAX_PAUSE_MS;

/// Who speaks, and how fast.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Voice {
    pub voice_id: String,
    /// `en` or `zh`.
    pub language: String,
    pub speed: Option<f64>,
}

/// The TTS request for one chunk.
pub fn request(text: &str, voice: &Voice) -> CreateRequest {
    CreateRequest::Tts(TtsParams {
        text: text.to_string(),
        voice_id: voice.voice_id.clone(),
        voice_language: voice.language.clone(),
        voice_speed: voice.speed,
        callback_url: None,
    })
}

/// The hash of the canonical request: its JSON body without the callback
/// address (which changes with the receiver, not the audio), as lowercase
/// hex.
pub fn content_key(request: &CreateRequest) -> String {
    let mut canonical = request.clone();
    canonical.set_callback_url(None);
    let body = serde_json::to_string(&canonical).unwrap_or_default();
    let mut hash = Sha256::new();
    hash.update(canonical.model().api_name().as_bytes());
    hash.update([0]);
    hash.update(body.as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the takes of one content key offer a segment.
#[derive(Clone, Debug, PartialEq)]
pub enum Take {
    /// A completed take that was not discarded: the starred one, else the
    /// newest. Nothing to send.
    Made(Box<TaskRecord>),
    /// A take is on its way (submitting, pending, processing): wait for
    /// it, never send another.
    Running(Box<TaskRecord>),
    /// A take that may have been charged and whose outcome klang cannot
    /// learn by itself (`submit-unknown`, `lost`): not sent again unless
    /// the user asks (`--retake`).
    Unknown(Box<TaskRecord>),
    /// Nothing usable: send a new take. `failed` is the last take that
    /// failed (policy), if any, for the report.
    Missing { failed: Option<Box<TaskRecord>> },
}

impl Take {
    pub fn record(&self) -> Option<&TaskRecord> {
        match self {
            Take::Made(r) | Take::Running(r) | Take::Unknown(r) => Some(r),
            Take::Missing { failed } => failed.as_deref(),
        }
    }

    pub fn is_made(&self) -> bool {
        matches!(self, Take::Made(_))
    }
}

/// The take a segment uses, from every charged take of its key (oldest
/// first).
pub fn choose(takes: &[TaskRecord]) -> Take {
    let usable = |t: &&TaskRecord| t.state == LocalState::Completed && !t.discarded;
    if let Some(starred) = takes.iter().filter(usable).rfind(|t| t.starred) {
        return Take::Made(Box::new(starred.clone()));
    }
    // A newer take still on its way wins over an older finished one.
    let newest = takes.iter().rfind(|t| !t.discarded);
    match newest {
        Some(t) if matches!(t.state, LocalState::Submitting) || t.state.is_running() => {
            return Take::Running(Box::new(t.clone()));
        }
        _ => {}
    }
    if let Some(made) = takes.iter().rfind(usable) {
        return Take::Made(Box::new(made.clone()));
    }
    if let Some(t) = takes
        .iter()
        .rfind(|t| matches!(t.state, LocalState::SubmitUnknown | LocalState::Lost))
    {
        return Take::Unknown(Box::new(t.clone()));
    }
    Take::Missing {
        failed: takes
            .iter()
            .rfind(|t| t.state == LocalState::Failed)
            .map(|t| Box::new(t.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice() -> Voice {
        Voice {
            voice_id: "v".into(),
            language: "en".into(),
            speed: None,
        }
    }

    fn take(id: i64, state: LocalState) -> TaskRecord {
        TaskRecord {
            id,
            state,
            ..TaskRecord::new(request("hi", &voice()))
        }
    }

    #[test]
    fn the_key_follows_the_request_not_the_callback() {
        let a = request("Hello.", &voice());
        let mut b = a.clone();
        b.set_callback_url(Some("https://cb.example/1".into()));
        assert_eq!(content_key(&a), content_key(&b));
        assert_ne!(content_key(&a), content_key(&request("Hello!", &voice())));
        let faster = Voice {
            speed: Some(1.2),
            ..voice()
        };
        assert_ne!(content_key(&a), content_key(&request("Hello.", &faster)));
        assert_eq!(content_key(&a).len(), 64);
    }

    #[test]
    fn the_starred_take_then_the_newest_made_one() {
        use LocalState::*;
        assert!(matches!(choose(&[]), Take::Missing { failed: None }));
        let failed = choose(&[take(1, Failed)]);
        assert!(matches!(failed, Take::Missing { failed: Some(_) }));
        let made = choose(&[take(1, Completed), take(2, Completed), take(3, Failed)]);
        assert_eq!(made.record().map(|r| r.id), Some(2));
        let mut starred = take(1, Completed);
        starred.starred = true;
        let made = choose(&[starred, take(2, Completed), take(3, Processing)]);
        assert_eq!(made.record().map(|r| r.id), Some(1));
        assert!(matches!(
            choose(&[take(1, Completed), take(2, Pending)]),
            Take::Running(_)
        ));
        let mut gone = take(1, Completed);
        gone.discarded = true;
        assert!(matches!(choose(&[gone]), Take::Missing { .. }));
        assert!(matches!(
            choose(&[take(1, SubmitUnknown)]),
            Take::Unknown(_)
        ));
    }
}
