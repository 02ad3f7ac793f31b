//! Models, their price, and typed create requests validated against the
//! limits in docs/api.md before anything is sent.

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

/// Why a request was refused before sending: the field and the limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        ValidationError {
            field,
            message: message.into(),
        }
    }
}

/// Turns user input such as `5`, `5.0` or ` 4.5 ` into the one-decimal
/// string the API wants, refusing anything outside 3.0..10.0.
pub fn normalize_duration(input: &str) -> Result<String, ValidationError> {
    let limit = || {
        ValidationError::new(
            "duration",
            format!(
                "must be {DURATION_MIN:.1} to {DURATION_MAX:.1} seconds with at most one decimal, got {:?}",
                input.trim()
            ),
        )
    };
    let trimmed = input.trim();
    let (whole, frac) = match trimmed.split_once('.') {
        Some((w, f)) => (w, f),
        None => (trimmed, "0"),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) || frac.len() != 1 {
        return Err(limit());
    }
    let value: f64 = format!("{whole}.{frac}").parse().map_err(|_| limit())?;
    if !(DURATION_MIN..=DURATION_MAX).contains(&value) {
        return Err(limit());
    }
    Ok(format!("{value:.1}"))
}

fn check_callback_url(url: &Option<String>) -> Result<(), ValidationError> {
    match url {
        Some(u) if !is_http_url(u) => Err(ValidationError::new(
            "callback_url",
            "must be an http:// or https:// URL",
        )),
        _ => Ok(()),
    }
}

fn is_http_url(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(u) => matches!(u.scheme(), "http" | "https") && u.host_str().is_some(),
        Err(_) => false,
    }
}

fn non_blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CreateRequest {
    pub fn model(&self) -> Model {
        match self {
            CreateRequest::SoundEffects(_) => Model::SoundEffects,
            CreateRequest::VideoToAudio(_) => Model::VideoToAudio,
            CreateRequest::Tts(_) => Model::Tts,
        }
    }

    /// Checks every limit in the contract; nothing is sent unless this passes.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            CreateRequest::SoundEffects(p) => {
                let chars = p.prompt.trim().chars().count();
                if chars == 0 {
                    return Err(ValidationError::new("prompt", "must not be empty"));
                }
                if p.prompt.chars().count() > SFX_PROMPT_MAX {
                    return Err(ValidationError::new(
                        "prompt",
                        format!(
                            "at most {SFX_PROMPT_MAX} characters, got {}",
                            p.prompt.chars().count()
                        ),
                    ));
                }
                let normalized = normalize_duration(&p.duration)?;
                if normalized != p.duration {
                    return Err(ValidationError::new(
                        "duration",
                        format!("must be written with one decimal, e.g. {normalized:?}"),
                    ));
                }
                check_callback_url(&p.callback_url)
            }
            CreateRequest::VideoToAudio(p) => {
                match (non_blank(&p.video_id), non_blank(&p.video_url)) {
                    (Some(_), Some(_)) => {
                        return Err(ValidationError::new(
                            "video_id/video_url",
                            "give exactly one of video_id or video_url, not both",
                        ));
                    }
                    (None, None) => {
                        return Err(ValidationError::new(
                            "video_id/video_url",
                            "give exactly one of video_id or video_url (MP4/MOV, 3-20 s, <= 100 MB)",
                        ));
                    }
                    (None, Some(url)) if !is_http_url(url) => {
                        return Err(ValidationError::new(
                            "video_url",
                            "must be an http:// or https:// URL of an MP4 or MOV file",
                        ));
                    }
                    _ => {}
                }
                check_callback_url(&p.callback_url)
            }
            CreateRequest::Tts(p) => {
                let chars = p.text.chars().count();
                if p.text.trim().is_empty() {
                    return Err(ValidationError::new("text", "must not be empty"));
                }
                if chars > TTS_TEXT_MAX {
                    return Err(ValidationError::new(
                        "text",
                        format!("at most {TTS_TEXT_MAX} characters, got {chars}"),
                    ));
                }
                if p.voice_id.trim().is_empty() {
                    return Err(ValidationError::new("voice_id", "must not be empty"));
                }
                if !matches!(p.voice_language.as_str(), "zh" | "en") {
                    return Err(ValidationError::new(
                        "voice_language",
                        format!("must be \"zh\" or \"en\", got {:?}", p.voice_language),
                    ));
                }
                if let super::voices::VoiceCheck::WrongLanguage { speaks } =
                    super::voices::check(&p.voice_id, &p.voice_language)
                {
                    return Err(ValidationError::new(
                        "voice_id",
                        format!(
                            "voice {:?} speaks {speaks}, not {}; pick one from `klang voices --lang {}`",
                            p.voice_id.trim(),
                            p.voice_language,
                            p.voice_language
                        ),
                    ));
                }
                if let Some(speed) = p.voice_speed {
                    let tenths = (speed * 10.0).round();
                    if !(SPEED_MIN..=SPEED_MAX).contains(&speed)
                        || (speed * 10.0 - tenths).abs() > 1e-6
                    {
                        return Err(ValidationError::new(
                            "voice_speed",
                            format!(
                                "must be {SPEED_MIN:.1} to {SPEED_MAX:.1} with one decimal, got {speed}"
                            ),
                        ));
                    }
                }
                check_callback_url(&p.callback_url)
            }
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
mod tests {
    use super::*;

    fn sfx(prompt: &str, duration: &str) -> CreateRequest {
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
    fn duration_normalizes_and_refuses_out_of_range() {
        assert_eq!(normalize_duration("5").unwrap(), "5.0");
        assert_eq!(normalize_duration(" 4.5 ").unwrap(), "4.5");
        assert_eq!(normalize_duration("10.0").unwrap(), "10.0");
        for bad in [
            "12", "2.9", "10.1", "5.25", "", "abc", "-5", "5.", ".5", "1e1",
        ] {
            let err = normalize_duration(bad).unwrap_err();
            assert_eq!(err.field, "duration", "{bad}");
            assert!(err.message.contains("3.0 to 10.0"), "{bad}: {err}");
        }
    }

    #[test]
    fn validation_names_the_field_and_the_limit() {
        assert_eq!(sfx("", "5.0").validate().unwrap_err().field, "prompt");
        assert_eq!(sfx("   ", "5.0").validate().unwrap_err().field, "prompt");
        let long = "a".repeat(201);
        let err = sfx(&long, "5.0").validate().unwrap_err();
        assert!(err.to_string().contains("200"), "{err}");
        assert_eq!(sfx("x", "5").validate().unwrap_err().field, "duration");

        let tts = |text: &str, lang: &str, speed: Option<f64>| {
            CreateRequest::Tts(TtsParams {
                text: text.into(),
                voice_id: "uk_boy1".into(),
                voice_language: lang.into(),
                voice_speed: speed,
                callback_url: None,
            })
        };
        let err = tts(&"a".repeat(1001), "en", None).validate().unwrap_err();
        assert_eq!(err.field, "text");
        assert!(err.message.contains("1000"));
        assert!(tts(&"a".repeat(1000), "en", Some(1.5)).validate().is_ok());
        assert_eq!(
            tts("hi", "fr", None).validate().unwrap_err().field,
            "voice_language"
        );
        let err = tts("hi", "zh", None).validate().unwrap_err();
        assert_eq!(err.field, "voice_id");
        assert!(
            err.message.contains("\"uk_boy1\" speaks en, not zh"),
            "{err}"
        );
        assert_eq!(
            tts("hi", "en", Some(2.5)).validate().unwrap_err().field,
            "voice_speed"
        );
        assert_eq!(
            tts("hi", "en", Some(1.25)).validate().unwrap_err().field,
            "voice_speed"
        );

        let v2a = |id: Option<&str>, url: Option<&str>| {
            CreateRequest::VideoToAudio(VideoToAudioParams {
                video_id: id.map(Into::into),
                video_url: url.map(Into::into),
                ..Default::default()
            })
        };
        assert!(v2a(Some("vid"), None).validate().is_ok());
        assert!(v2a(None, Some("https://x.test/a.mp4")).validate().is_ok());
        assert!(v2a(None, None).validate().is_err());
        assert!(
            v2a(Some("a"), Some("https://x.test/a.mp4"))
                .validate()
                .is_err()
        );
        assert_eq!(
            v2a(None, Some("ftp://x/a.mp4"))
                .validate()
                .unwrap_err()
                .field,
            "video_url"
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
