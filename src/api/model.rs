//! Models, their price, and typed create requests, validated against the
//! limits in docs/api.md before anything is sent (`validate.rs`).

use super::validate::non_blank;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One of the three audio models the API routes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    #[serde(rename = "kling-sound-effects")]
    SoundEffects,
    #[serde(rename = "kling-video-to-audio")]
    VideoToAudio,
    #[serde(rename = "kling-tts")]
    Tts,
}

impl Model {
    pub const ALL: [Model; 3] = [Model::SoundEffects, Model::VideoToAudio, Model::Tts];

    /// The `model` value sent in a create request.
    pub fn api_name(self) -> &'static str {
        match self {
            Model::SoundEffects => "kling-sound-effects",
            Model::VideoToAudio => "kling-video-to-audio",
            Model::Tts => "kling-tts",
        }
    }

    /// Short name used on the command line, in file names and the table.
    pub fn short(self) -> &'static str {
        match self {
            Model::SoundEffects => "sfx",
            Model::VideoToAudio => "v2a",
            Model::Tts => "tts",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Model::SoundEffects => "Sound effects",
            Model::VideoToAudio => "Video to audio",
            Model::Tts => "Text to speech",
        }
    }

    /// Price per call in USD, from the provider's price table.
    pub fn price_usd(self) -> f64 {
        match self {
            Model::SoundEffects => 0.0295,
            Model::VideoToAudio => 0.0027,
            Model::Tts => 0.0006,
        }
    }

    /// What `count` takes cost, for showing before a submit: "$0.0006"
    /// for one, "3 × $0.0006 = $0.0018" for several.
    pub fn price_for(self, count: usize) -> String {
        let price = self.price_usd();
        if count == 1 {
            format!("${price:.4}")
        } else {
            format!("{count} × ${price:.4} = ${:.4}", price * count as f64)
        }
    }

    /// Accepts the API name, the `kling-audio/<name>` form responses carry,
    /// or the short name.
    pub fn parse(name: &str) -> Option<Model> {
        let name = name.trim();
        let name = name.strip_prefix("kling-audio/").unwrap_or(name);
        Model::ALL
            .into_iter()
            .find(|m| m.api_name() == name || m.short() == name)
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

/// The video URL a request for a clip on disk carries until klang's
/// receiver serves the clip (its real URL has this shape: the engine's
/// `media_url`), so everything else is checked before anything is sent.
pub const LOCAL_CLIP_PLACEHOLDER_URL: &str = "https://receiver.invalid/klang/media/token/clip.mp4";

/// Upstream caps a sound-effect prompt at 200 characters.
pub const SFX_PROMPT_MAX: usize = 200;
pub const TTS_TEXT_MAX: usize = 1000;
pub const DURATION_MIN: f64 = 3.0;
pub const DURATION_MAX: f64 = 10.0;
pub const SPEED_MIN: f64 = 0.8;
pub const SPEED_MAX: f64 = 2.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoundEffectsParams {
    pub prompt: String,
    /// Sent as a JSON string with one decimal, e.g. `"5.0"`.
    pub duration: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VideoToAudioParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound_effect_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bgm_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asmr_mode: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TtsParams {
    pub text: String,
    pub voice_id: String,
    /// `"zh"` or `"en"`.
    pub voice_language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_speed: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

/// A create request; serializes to exactly the JSON body the API expects,
/// `model` included.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model")]
pub enum CreateRequest {
    #[serde(rename = "kling-sound-effects")]
    SoundEffects(SoundEffectsParams),
    #[serde(rename = "kling-video-to-audio")]
    VideoToAudio(VideoToAudioParams),
    #[serde(rename = "kling-tts")]
    Tts(TtsParams),
}

impl CreateRequest {
    pub fn model(&self) -> Model {
        match self {
            CreateRequest::SoundEffects(_) => Model::SoundEffects,
            CreateRequest::VideoToAudio(_) => Model::VideoToAudio,
            CreateRequest::Tts(_) => Model::Tts,
        }
    }

    /// The words a person would recognise the task by: prompt, text, or video.
    pub fn summary(&self) -> String {
        match self {
            CreateRequest::SoundEffects(p) => p.prompt.clone(),
            CreateRequest::Tts(p) => p.text.clone(),
            CreateRequest::VideoToAudio(p) => {
                let source = p
                    .video_url
                    .clone()
                    .or_else(|| p.video_id.clone().map(|id| format!("video {id}")))
                    .unwrap_or_default();
                match non_blank(&p.sound_effect_prompt).or(non_blank(&p.bgm_prompt)) {
                    Some(prompt) => format!("{prompt} ({source})"),
                    None => source,
                }
            }
        }
    }

    pub fn callback_url(&self) -> Option<&str> {
        match self {
            CreateRequest::SoundEffects(p) => p.callback_url.as_deref(),
            CreateRequest::VideoToAudio(p) => p.callback_url.as_deref(),
            CreateRequest::Tts(p) => p.callback_url.as_deref(),
        }
    }

    pub fn set_callback_url(&mut self, url: Option<String>) {
        match self {
            CreateRequest::SoundEffects(p) => p.callback_url = url,
            CreateRequest::VideoToAudio(p) => p.callback_url = url,
            CreateRequest::Tts(p) => p.callback_url = url,
        }
    }

    /// The audio length this request asks for, when it says.
    pub fn requested_seconds(&self) -> Option<f64> {
        match self {
            CreateRequest::SoundEffects(p) => p.duration.parse().ok(),
            _ => None,
        }
    }

    /// Every parameter as (name, value) pairs, in the order a person reads them.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("model", self.model().api_name().to_string())];
        let mut push = |name: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.push((name, v));
            }
        };
        match self {
            CreateRequest::SoundEffects(p) => {
                push("prompt", Some(p.prompt.clone()));
                push("duration", Some(p.duration.clone()));
                push("callback_url", p.callback_url.clone());
            }
            CreateRequest::VideoToAudio(p) => {
                push("video_id", p.video_id.clone());
                push("video_url", p.video_url.clone());
                push("sound_effect_prompt", p.sound_effect_prompt.clone());
                push("bgm_prompt", p.bgm_prompt.clone());
                push("asmr_mode", p.asmr_mode.map(|b| b.to_string()));
                push("callback_url", p.callback_url.clone());
            }
            CreateRequest::Tts(p) => {
                push("text", Some(p.text.clone()));
                push("voice_id", Some(p.voice_id.clone()));
                push("voice_language", Some(p.voice_language.clone()));
                push("voice_speed", p.voice_speed.map(|s| format!("{s:.1}")));
                push("callback_url", p.callback_url.clone());
            }
        }
        out
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A sound-effects request (validation's tests use it too).
    pub(in crate::api) fn sfx(prompt: &str, duration: &str) -> CreateRequest {
        CreateRequest::SoundEffects(SoundEffectsParams {
            prompt: prompt.into(),
            duration: duration.into(),
            callback_url: None,
        })
    }

    #[test]
    fn sound_effects_serialize_duration_as_a_string() {
        let body = serde_json::to_value(sfx("wind", "5.0")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"model": "kling-sound-effects", "prompt": "wind", "duration": "5.0"})
        );
    }

    #[test]
    fn model_parses_every_spelling() {
        assert_eq!(Model::parse("kling-audio/kling-tts"), Some(Model::Tts));
        assert_eq!(Model::parse("sfx"), Some(Model::SoundEffects));
        assert_eq!(
            Model::parse("kling-video-to-audio"),
            Some(Model::VideoToAudio)
        );
        assert_eq!(Model::parse("other"), None);
    }
}
