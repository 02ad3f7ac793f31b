//! The contract's limits, checked before anything is sent: each refusal
//! names the field and says what it takes.

use super::model::{
    CreateRequest, DURATION_MAX, DURATION_MIN, SFX_PROMPT_MAX, SPEED_MAX, SPEED_MIN,
    SoundEffectsParams, TTS_TEXT_MAX, TtsParams, VideoToAudioParams,
};

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

pub(super) fn non_blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CreateRequest {
    /// Checks every limit in the contract; nothing is sent unless this passes.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            CreateRequest::SoundEffects(p) => p.validate(),
            CreateRequest::VideoToAudio(p) => p.validate(),
            CreateRequest::Tts(p) => p.validate(),
        }
    }
}

impl SoundEffectsParams {
    fn validate(&self) -> Result<(), ValidationError> {
        let chars = self.prompt.trim().chars().count();
        if chars == 0 {
            return Err(ValidationError::new("prompt", "must not be empty"));
        }
        if self.prompt.chars().count() > SFX_PROMPT_MAX {
            return Err(ValidationError::new(
                "prompt",
                format!(
                    "at most {SFX_PROMPT_MAX} characters, got {}",
                    self.prompt.chars().count()
                ),
            ));
        }
        let normalized = normalize_duration(&self.duration)?;
        if normalized != self.duration {
            return Err(ValidationError::new(
                "duration",
                format!("must be written with one decimal, e.g. {normalized:?}"),
            ));
        }
        check_callback_url(&self.callback_url)
    }
}

impl VideoToAudioParams {
    fn validate(&self) -> Result<(), ValidationError> {
        match (non_blank(&self.video_id), non_blank(&self.video_url)) {
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
            (None, Some(url)) if super::redact::is_redacted(url) => {
                return Err(ValidationError::new(
                    "video_url",
                    "is the URL klang served a clip on disk at, kept without its token, so the provider cannot fetch it: give the file again with --video-file",
                ));
            }
            _ => {}
        }
        check_callback_url(&self.callback_url)
    }
}

impl TtsParams {
    fn validate(&self) -> Result<(), ValidationError> {
        let chars = self.text.chars().count();
        if self.text.trim().is_empty() {
            return Err(ValidationError::new("text", "must not be empty"));
        }
        if chars > TTS_TEXT_MAX {
            return Err(ValidationError::new(
                "text",
                format!("at most {TTS_TEXT_MAX} characters, got {chars}"),
            ));
        }
        self.validate_voice()?;
        if let Some(speed) = self.voice_speed {
            let tenths = (speed * 10.0).round();
            if !(SPEED_MIN..=SPEED_MAX).contains(&speed) || (speed * 10.0 - tenths).abs() > 1e-6 {
                return Err(ValidationError::new(
                    "voice_speed",
                    format!(
                        "must be {SPEED_MIN:.1} to {SPEED_MAX:.1} with one decimal, got {speed}"
                    ),
                ));
            }
        }
        check_callback_url(&self.callback_url)
    }

    /// A voice is given, in a language the API has, and speaks it.
    fn validate_voice(&self) -> Result<(), ValidationError> {
        if self.voice_id.trim().is_empty() {
            return Err(ValidationError::new("voice_id", "must not be empty"));
        }
        if !matches!(self.voice_language.as_str(), "zh" | "en") {
            return Err(ValidationError::new(
                "voice_language",
                format!("must be \"zh\" or \"en\", got {:?}", self.voice_language),
            ));
        }
        if let super::voices::VoiceCheck::WrongLanguage { speaks } =
            super::voices::check(&self.voice_id, &self.voice_language)
        {
            return Err(ValidationError::new(
                "voice_id",
                format!(
                    "voice {:?} speaks {speaks}, not {}; pick one from `klang voices --lang {}`",
                    self.voice_id.trim(),
                    self.voice_language,
                    self.voice_language
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::model::tests::sfx;

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
        // A clip's URL as kept (the dashboard's edit loads it): no token,
        // nothing the provider could fetch, so nothing is paid for.
        let kept = v2a(None, Some("https://h/klang/media/redacted/walk.mp4"))
            .validate()
            .unwrap_err();
        assert_eq!(kept.field, "video_url");
        assert!(kept.message.contains("--video-file"), "{kept}");
    }
}
