//! The form and a create request: `build` reads the fields into a
//! validated request, `load` (`e`, edit) writes one back into them.

use super::InputForm;
use super::{Field, LANGUAGES};
use crate::api::{
    CreateRequest, Model, SoundEffectsParams, TTS_TEXT_MAX, TtsParams, VideoToAudioParams,
};
use crate::pieces::Voice;
use crate::pieces::submit::{Preview, preview};

impl InputForm {
    /// The request these fields describe, already validated.
    pub fn build(&self) -> Result<CreateRequest, (String, String)> {
        let request = self.read()?;
        request
            .validate()
            .map_err(|e| (e.field.to_string(), e.message))?;
        Ok(request)
    }

    /// TTS text longer than one call takes, as a piece: its text and
    /// voice, the voice and speed checked as a request's are. None for any
    /// other form.
    pub fn piece(&self) -> Option<Result<(String, Voice), (String, String)>> {
        if self.model != Model::Tts {
            return None;
        }
        let text = self.text("text");
        if text.chars().count() <= TTS_TEXT_MAX {
            return None;
        }
        let checked = self.read().and_then(|request| {
            let CreateRequest::Tts(mut p) = request else {
                return Err(("text".to_string(), "not a TTS form".to_string()));
            };
            // The text goes in pieces; the rest is checked on a stand-in.
            p.text = "x".into();
            let voice = Voice {
                voice_id: p.voice_id.clone(),
                language: p.voice_language.clone(),
                speed: p.voice_speed,
            };
            CreateRequest::Tts(p)
                .validate()
                .map_err(|e| (e.field.to_string(), e.message))?;
            Ok((text, voice))
        });
        Some(checked)
    }

    /// What Enter would send for a TTS text longer than one call takes.
    pub fn piece_preview(&self) -> Option<Preview> {
        if self.model != Model::Tts {
            return None;
        }
        let text = self.text("text");
        if text.chars().count() <= TTS_TEXT_MAX {
            return None;
        }
        Some(preview(&text))
    }

    /// The fields read into a request, not validated yet.
    fn read(&self) -> Result<CreateRequest, (String, String)> {
        let request = match self.model {
            Model::SoundEffects => {
                let raw = self.text("duration");
                let duration = crate::api::normalize_duration(&raw).unwrap_or(raw);
                CreateRequest::SoundEffects(SoundEffectsParams {
                    prompt: self.text("prompt"),
                    duration,
                    callback_url: None,
                })
            }
            Model::VideoToAudio => {
                let video = self.optional("video");
                let is_url = video
                    .as_deref()
                    .is_some_and(|v| v.starts_with("http://") || v.starts_with("https://"));
                CreateRequest::VideoToAudio(VideoToAudioParams {
                    video_id: video.clone().filter(|_| !is_url),
                    video_url: video.filter(|_| is_url),
                    sound_effect_prompt: self.optional("sound_effect_prompt"),
                    bgm_prompt: self.optional("bgm_prompt"),
                    asmr_mode: self.field("asmr_mode").map(|f| f.on).filter(|on| *on),
                    callback_url: None,
                })
            }
            Model::Tts => {
                let speed = match self.optional("voice_speed") {
                    None => None,
                    Some(s) => Some(s.parse::<f64>().map_err(|_| {
                        (
                            "voice_speed".to_string(),
                            format!("must be a number from 0.8 to 2.0, got {s:?}"),
                        )
                    })?),
                };
                let language = self
                    .field("voice_language")
                    .map(|f| LANGUAGES.get(f.choice).copied().unwrap_or("en"))
                    .unwrap_or("en");
                CreateRequest::Tts(TtsParams {
                    text: self.text("text"),
                    voice_id: self.text("voice_id").trim().to_string(),
                    voice_language: language.to_string(),
                    voice_speed: speed,
                    callback_url: None,
                })
            }
        };
        Ok(request)
    }

    /// `e`: loads a task's parameters, switching to its model.
    pub fn load(&mut self, request: &CreateRequest) {
        self.set_model(request.model());
        let fields = self.fields_mut();
        let set = |fields: &mut Vec<Field>, name: &str, v: Option<&str>| {
            if let Some(f) = fields.iter_mut().find(|f| f.name == name) {
                f.set_text(v);
            }
        };
        match request {
            CreateRequest::SoundEffects(p) => {
                set(fields, "prompt", Some(&p.prompt));
                set(fields, "duration", Some(&p.duration));
            }
            CreateRequest::VideoToAudio(p) => {
                set(
                    fields,
                    "video",
                    p.video_url.as_deref().or(p.video_id.as_deref()),
                );
                set(
                    fields,
                    "sound_effect_prompt",
                    p.sound_effect_prompt.as_deref(),
                );
                set(fields, "bgm_prompt", p.bgm_prompt.as_deref());
                if let Some(f) = fields.iter_mut().find(|f| f.name == "asmr_mode") {
                    f.on = p.asmr_mode.unwrap_or(false);
                }
            }
            CreateRequest::Tts(p) => {
                set(fields, "text", Some(&p.text));
                set(fields, "voice_id", Some(&p.voice_id));
                let speed = p.voice_speed.map(|s| format!("{s:.1}"));
                set(fields, "voice_speed", speed.as_deref());
                if let Some(f) = fields.iter_mut().find(|f| f.name == "voice_language") {
                    f.choice = LANGUAGES
                        .iter()
                        .position(|l| *l == p.voice_language)
                        .unwrap_or(0);
                }
            }
        }
        self.focus = 1;
        self.error = None;
        self.reset_picker();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::state::form::{SFX_PROMPT_MAX, TTS_TEXT_MAX};
    use crossterm::event::{KeyCode, KeyEvent};

    fn typed(model: Model, text: &str) -> Result<CreateRequest, (String, String)> {
        let mut form = InputForm::default();
        form.set_model(model);
        form.focus_first_field();
        form.paste(text);
        if model == Model::Tts {
            form.focus = 2;
            form.paste("voice_1");
        }
        form.build()
    }

    #[test]
    fn counters_match_the_limits_the_api_enforces() {
        assert!(typed(Model::SoundEffects, &"a".repeat(SFX_PROMPT_MAX)).is_ok());
        let err = typed(Model::SoundEffects, &"a".repeat(SFX_PROMPT_MAX + 1)).unwrap_err();
        assert_eq!(err.0, "prompt");
        assert!(typed(Model::Tts, &"a".repeat(TTS_TEXT_MAX)).is_ok());
        let err = typed(Model::Tts, &"a".repeat(TTS_TEXT_MAX + 1)).unwrap_err();
        assert_eq!(err.0, "text");
    }

    #[test]
    fn a_bare_duration_is_normalized_and_a_url_goes_to_video_url() {
        let mut form = InputForm::default();
        form.paste("wind");
        form.focus = 2;
        form.edit_focused(KeyEvent::from(KeyCode::Backspace));
        form.edit_focused(KeyEvent::from(KeyCode::Backspace));
        form.edit_focused(KeyEvent::from(KeyCode::Backspace));
        form.paste("7");
        match form.build() {
            Ok(CreateRequest::SoundEffects(p)) => assert_eq!(p.duration, "7.0"),
            other => panic!("{other:?}"),
        }
        let mut form = InputForm::default();
        form.set_model(Model::VideoToAudio);
        form.paste("https://v.example/a.mp4");
        match form.build() {
            Ok(CreateRequest::VideoToAudio(p)) => {
                assert_eq!(p.video_url.as_deref(), Some("https://v.example/a.mp4"));
                assert_eq!(p.video_id, None);
            }
            other => panic!("{other:?}"),
        }
    }
}
