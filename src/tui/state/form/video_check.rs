//! The video check in the form: a video URL typed into the video-to-audio
//! form is checked as `klang submit v2a` checks it (`video::check_url`),
//! off the UI task and `timing::DEBOUNCE` after the last keystroke; a newer URL
//! replaces the older check (its token no longer matches, and the effects
//! abort it). The result shows under the field, and Enter waits for a pass.

use super::InputForm;
use crate::api::Model;
use crate::video::{Refusal, VideoFacts};

/// What is known about the form's video URL.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum VideoCheck {
    /// Nothing to check: no URL (empty, or a `video_id`).
    #[default]
    Idle,
    Checking {
        url: String,
        token: u64,
    },
    Passed {
        url: String,
        facts: VideoFacts,
    },
    Refused {
        url: String,
        refusal: Refusal,
    },
}

impl VideoCheck {
    fn url(&self) -> Option<&str> {
        match self {
            VideoCheck::Idle => None,
            VideoCheck::Checking { url, .. }
            | VideoCheck::Passed { url, .. }
            | VideoCheck::Refused { url, .. } => Some(url),
        }
    }
}

/// What the effects must do about the check after an edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckRequest {
    /// Check `url` after the debounce; the answer carries `token`.
    Start { token: u64, url: String },
    /// Drop the running check: the field holds no URL any more.
    Cancel,
}

/// The field's value when it is a URL the check applies to.
fn as_url(value: &str) -> Option<&str> {
    let value = value.trim();
    (value.starts_with("http://") || value.starts_with("https://")).then_some(value)
}

impl InputForm {
    /// The video-to-audio form's Video field, whichever model is shown.
    fn video_value(&self) -> String {
        let index = Model::ALL
            .iter()
            .position(|m| *m == Model::VideoToAudio)
            .unwrap_or(0);
        self.fields[index]
            .iter()
            .find(|f| f.name == "video")
            .map(|f| f.value().to_string())
            .unwrap_or_default()
    }

    /// After any message: a Video field whose URL changed starts a new
    /// check (or cancels the running one when it holds no URL now).
    pub fn sync_video_check(&mut self) -> Option<CheckRequest> {
        let value = self.video_value();
        let url = as_url(&value);
        if url == self.video_check.url() {
            return None;
        }
        let was_checking = matches!(self.video_check, VideoCheck::Checking { .. });
        match url {
            Some(url) => {
                self.check_token += 1;
                let token = self.check_token;
                self.video_check = VideoCheck::Checking {
                    url: url.to_string(),
                    token,
                };
                Some(CheckRequest::Start {
                    token,
                    url: url.to_string(),
                })
            }
            None => {
                self.video_check = VideoCheck::Idle;
                was_checking.then_some(CheckRequest::Cancel)
            }
        }
    }

    /// The answer to check `token`; true when it is the current one.
    pub fn video_checked(&mut self, token: u64, result: Result<VideoFacts, Refusal>) -> bool {
        let VideoCheck::Checking {
            url,
            token: current,
        } = &self.video_check
        else {
            return false;
        };
        if *current != token {
            return false;
        }
        let url = url.clone();
        self.video_check = match result {
            Ok(facts) => VideoCheck::Passed { url, facts },
            Err(refusal) => VideoCheck::Refused { url, refusal },
        };
        true
    }

    /// Why Enter may not send the video-to-audio task yet, if it may not.
    pub fn video_check_blocks(&self) -> Option<String> {
        if self.model() != Model::VideoToAudio {
            return None;
        }
        match &self.video_check {
            VideoCheck::Checking { .. } => {
                Some("the video is still being checked: Enter again once its length shows".into())
            }
            VideoCheck::Refused { refusal, .. } if refusal.host_trouble => Some(format!(
                "{}; nothing was sent (klang submit v2a --no-check sends it anyway)",
                refusal.message
            )),
            VideoCheck::Refused { refusal, .. } => {
                Some(format!("{}; nothing was sent", refusal.message))
            }
            VideoCheck::Idle | VideoCheck::Passed { .. } => None,
        }
    }
}
