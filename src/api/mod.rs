//! The Kling audio API as klang speaks it: typed create requests with the
//! contract's limits, tolerant decoding of responses and callbacks, a typed
//! error for every way a call can go wrong, and the HTTP client.

mod client;
mod error;
mod model;
pub mod redact;
mod validate;
pub mod voices;
mod wire;

pub use client::{ApiClient, ApiKey, ClientOptions, DEFAULT_BASE_URL};
pub use error::ApiError;
pub use model::{
    CreateRequest, LOCAL_CLIP_PLACEHOLDER_URL, Model, SoundEffectsParams, TtsParams,
    VideoToAudioParams,
};
pub use model::{DURATION_MAX, DURATION_MIN, SFX_PROMPT_MAX, SPEED_MAX, SPEED_MIN, TTS_TEXT_MAX};
pub use validate::{ValidationError, normalize_duration};
pub use wire::{CreatedTask, Envelope, RemoteState, TaskStatus, decode_callback, snippet};
