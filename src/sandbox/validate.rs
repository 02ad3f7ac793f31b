//! Create-request validation, per model, as docs/api.md lists it. Every error
//! message names the field and its limit so a client bug is obvious from the
//! 400 alone.

use serde_json::{Map, Value};

use super::FAIL_WORD;
use super::taskid::Model;
use crate::api::voices::{self, VoiceCheck};

/// What a valid create request asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub model: Model,
    /// Length of the audio to produce, in centiseconds.
    pub audio_cs: u32,
    /// The request contains the fail word: the task will end `failed`.
    pub fail: bool,
    pub callback_url: Option<String>,
}

const PROMPT_MAX: usize = 200;
/// The provider's answer to a voice id it does not have for the language.
pub const VOICE_NOT_FOUND: &str = "voice id not found";
const TEXT_MAX: usize = 1000;
const V2A_CS: u32 = 500;

pub fn validate(body: &Value) -> Result<Spec, String> {
    let obj = body
        .as_object()
        .ok_or_else(|| "request body must be a JSON object".to_string())?;
    let model_msg = || {
        let names: Vec<String> = Model::ALL
            .iter()
            .map(|m| format!("\"{}\"", m.name()))
            .collect();
        format!("model must be one of {}", names.join(", "))
    };
    let model = match field(obj, "model") {
        Some(Value::String(name)) => Model::from_name(name).ok_or_else(model_msg)?,
        _ => return Err(model_msg()),
    };
    let callback_url = match field(obj, "callback_url") {
        None => None,
        Some(Value::String(url)) if is_http_url(url) => Some(url.clone()),
        Some(_) => return Err("callback_url must be an http or https URL".into()),
    };
    let (audio_cs, fail) = match model {
        Model::SoundEffects => sound_effects(obj)?,
        Model::VideoToAudio => video_to_audio(obj)?,
        Model::Tts => tts(obj)?,
    };
    Ok(Spec {
        model,
        audio_cs,
        fail,
        callback_url,
    })
}

/// A present, non-null field. JSON `null` counts as absent, as most JSON APIs
/// treat it.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).filter(|v| !v.is_null())
}

fn sound_effects(obj: &Map<String, Value>) -> Result<(u32, bool), String> {
    let prompt = match field(obj, "prompt") {
        Some(Value::String(p)) if !p.trim().is_empty() && p.chars().count() <= PROMPT_MAX => p,
        _ => {
            return Err(format!(
                "prompt must be a non-empty string of at most {PROMPT_MAX} characters"
            ));
        }
    };
    let duration_msg = "duration must be a string between \"3.0\" and \"10.0\" with one decimal";
    let tenths = match field(obj, "duration") {
        Some(Value::String(d)) => parse_tenths(d).filter(|t| (30..=100).contains(t)),
        _ => None,
    }
    .ok_or_else(|| duration_msg.to_string())?;
    Ok((tenths * 10, has_fail_word(prompt)))
}

/// `"4.5"` → 45; exactly one decimal, digits only.
fn parse_tenths(s: &str) -> Option<u32> {
    let (whole, frac) = s.split_once('.')?;
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || whole.len() > 3 || frac.len() != 1 || !digits(frac) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = frac.parse().ok()?;
    Some(whole * 10 + frac)
}

fn video_to_audio(obj: &Map<String, Value>) -> Result<(u32, bool), String> {
    match (field(obj, "video_id"), field(obj, "video_url")) {
        (Some(_), Some(_)) | (None, None) => {
            return Err("exactly one of video_id or video_url is required".into());
        }
        (Some(id), None) => {
            if id.as_str().is_none_or(|s| s.trim().is_empty()) {
                return Err("video_id must be a non-empty string".into());
            }
        }
        (None, Some(url)) => {
            if !url.as_str().is_some_and(is_http_url) {
                return Err("video_url must be an http or https URL".into());
            }
        }
    }
    let mut fail = false;
    for name in ["sound_effect_prompt", "bgm_prompt"] {
        match field(obj, name) {
            None => {}
            Some(Value::String(p)) => fail |= has_fail_word(p),
            Some(_) => return Err(format!("{name} must be a string")),
        }
    }
    match field(obj, "asmr_mode") {
        None | Some(Value::Bool(_)) => {}
        Some(_) => return Err("asmr_mode must be a boolean".into()),
    }
    Ok((V2A_CS, fail))
}

fn tts(obj: &Map<String, Value>) -> Result<(u32, bool), String> {
    let text = match field(obj, "text") {
        Some(Value::String(t)) if !t.trim().is_empty() && t.chars().count() <= TEXT_MAX => t,
        _ => {
            return Err(format!(
                "text must be a string of 1 to {TEXT_MAX} characters"
            ));
        }
    };
    let voice = match field(obj, "voice_id") {
        Some(Value::String(v)) if !v.trim().is_empty() => v,
        _ => return Err("voice_id must be a non-empty string".into()),
    };
    let language = match field(obj, "voice_language") {
        Some(Value::String(l)) if l == "zh" || l == "en" => l,
        _ => return Err("voice_language must be \"zh\" or \"en\"".into()),
    };
    // The provider answers an unknown voice and a voice with a language it
    // does not speak alike, with these words.
    if voices::check(voice, language) != VoiceCheck::Known {
        return Err(VOICE_NOT_FOUND.into());
    }
    match field(obj, "voice_speed") {
        None => {}
        Some(v) => {
            let ok = v.as_f64().is_some_and(|s| {
                // One decimal: 1.2 passes, 1.25 does not (float noise tolerated).
                let tenths = s * 10.0;
                (0.8..=2.0).contains(&s) && (tenths - tenths.round()).abs() < 1e-6
            });
            if !ok {
                return Err(
                    "voice_speed must be a number between 0.8 and 2.0 with one decimal".into(),
                );
            }
        }
    }
    let speed = field(obj, "voice_speed").and_then(Value::as_f64);
    Ok((super::speech::speech_cs(text, speed), has_fail_word(text)))
}

fn is_http_url(s: &str) -> bool {
    url::Url::parse(s)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false)
}

/// Whole-word, case-insensitive: "door slam FAIL!" yes, "waterfall" no.
pub fn has_fail_word(s: &str) -> bool {
    s.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case(FAIL_WORD))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fail_word_is_whole_word() {
        assert!(has_fail_word("door slam fail"));
        assert!(has_fail_word("FAIL: boom"));
        assert!(!has_fail_word("waterfall"));
        assert!(!has_fail_word("failure"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_tenths("4.5"), Some(45));
        assert_eq!(parse_tenths("10.0"), Some(100));
        assert_eq!(parse_tenths("12"), None);
        assert_eq!(parse_tenths("5.25"), None);
        assert_eq!(parse_tenths(".5"), None);
        assert_eq!(parse_tenths("-3.0"), None);
    }

    #[test]
    fn tts_length() {
        let body =
            json!({"model":"kling-tts","text":"hi","voice_id":"uk_boy1","voice_language":"en"});
        assert_eq!(validate(&body).map(|s| s.audio_cs), Ok(100));
        let body = json!({"model":"kling-tts","text":"x".repeat(100),"voice_id":"ai_kaiya",
            "voice_language":"zh","voice_speed":1.2});
        // 0.07 s a character at 1.0, faster at 1.2.
        assert_eq!(validate(&body).map(|s| s.audio_cs), Ok(583));
    }

    #[test]
    fn voice_and_language_pair_like_the_provider() {
        let tts = |voice: &str, lang: &str| json!({"model":"kling-tts","text":"hi","voice_id":voice,"voice_language":lang});
        assert!(validate(&tts("uk_boy1", "en")).is_ok());
        assert!(validate(&tts("mengwa-v1", "zh")).is_ok());
        assert_eq!(validate(&tts("uk_boy1", "zh")), Err(VOICE_NOT_FOUND.into()));
        assert_eq!(
            validate(&tts("no_such_voice", "en")),
            Err(VOICE_NOT_FOUND.into())
        );
    }
}
