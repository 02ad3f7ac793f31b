//! Clips on disk served to the provider (`--video-file`). The provider can
//! only fetch a `video_url`, so klang serves the file itself through its
//! callback receiver, at `<receiver>/klang/media/<token>/<file name>`: a
//! random token per task (never the callback token), kept in the store by
//! its hash with the file's path and SHA-256, served for that task only
//! until it ends plus [`SERVE_AFTER_END`], then 404. A file that changed
//! since it was submitted is not served (the provider would dub another
//! video than the one paid for), and the user is told why.

mod route;
mod send;
mod verify;

pub(crate) use route::router;
pub use verify::MediaCache;

use super::{Engine, EngineEvent, SubmitError};
use crate::api::CreateRequest;
use crate::store::{LocalState, MediaFile, Store, StoreError};
use crate::video::LocalVideo;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long a clip stays served after its task ended: the provider may
/// still be reading it when it reports the result.
pub const SERVE_AFTER_END: Duration = Duration::from_secs(10 * 60);

/// How long one connection may take to send a clip once its request is
/// known to be for a clip klang serves (the receiver's read deadlines are
/// seconds, far too short for 100 MB to a slow reader).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Where "now" comes from for the end of serving; tests move it forward.
pub trait Clock: Send + Sync + 'static {
    /// Unix milliseconds, on the same clock as the store's timestamps.
    fn now_ms(&self) -> i64;
}

/// The system clock (the store writes its times with it).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        crate::store::now_ms()
    }
}

/// The path a clip is served at. The name is percent-encoded so any file
/// name makes one path segment.
pub fn media_path(token: &str, name: &str) -> String {
    let name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>();
    // form encoding writes a space as '+', which a path keeps literally.
    format!("/klang/media/{token}/{}", name.replace('+', "%20"))
}

/// The URL the provider fetches a clip from.
pub fn media_url(base: &str, token: &str, name: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), media_path(token, name))
}

/// Hex SHA-256 of a token: what the store keeps and looks clips up by.
pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A task's state that ends serving (after [`SERVE_AFTER_END`]). A
/// `submit-unknown` task has not ended: the provider may have made it and
/// be fetching the clip.
pub(crate) fn has_ended(state: LocalState) -> bool {
    matches!(
        state,
        LocalState::Completed | LocalState::Failed | LocalState::Lost | LocalState::SubmitFailed
    )
}

/// What a submit with a clip on disk needs: the clip, the receiver's base
/// URL and one token per task.
pub(super) struct Plan<'a> {
    video: &'a LocalVideo,
    base: String,
    tokens: Vec<String>,
}

impl Plan<'_> {
    fn url(&self, index: usize) -> Option<String> {
        let token = self.tokens.get(index)?;
        Some(media_url(&self.base, token, &self.video.name))
    }

    /// Keeps row `id`'s clip (the `index`th task of the submit) and points
    /// its request at the clip's URL, before the create leaves.
    pub(super) fn attach(
        &self,
        store: &Store,
        index: usize,
        id: i64,
        request: &mut CreateRequest,
    ) -> Result<(), SubmitError> {
        let (Some(token), Some(url)) = (self.tokens.get(index), self.url(index)) else {
            return Err(SubmitError::Stopped);
        };
        let file = MediaFile {
            task: id,
            token_sha256: token_hash(token),
            path: self.video.path.clone(),
            name: self.video.name.clone(),
            sha256: self.video.sha256.clone(),
            bytes: self.video.facts.bytes,
            content_type: self.video.facts.container.mime().to_string(),
        };
        store.attach_media(&file, &url)?;
        if let CreateRequest::VideoToAudio(p) = request {
            p.video_url = Some(url);
        }
        Ok(())
    }
}

impl Engine {
    /// Clips on disk are served under this base URL (the receiver's public
    /// address) while the receiver runs.
    pub fn set_media_base(&self, base: Option<String>) {
        if let Ok(mut slot) = self.media_base.write() {
            *slot = base;
        }
    }

    pub fn media_base(&self) -> Option<String> {
        self.media_base.read().ok().and_then(|u| u.clone())
    }

    /// Submits `count` video-to-audio tasks whose video is the checked
    /// clip `video` on disk, each served under its own token. `request`'s
    /// `video_url` and `video_id` are replaced.
    pub fn submit_video_file(
        &self,
        mut request: CreateRequest,
        video: &LocalVideo,
        count: usize,
    ) -> Result<Vec<i64>, SubmitError> {
        let Some(base) = self.media_base() else {
            return Err(SubmitError::NoReceiver);
        };
        if !(1..=super::MAX_VARIATIONS).contains(&count) {
            return Err(SubmitError::Count(count));
        }
        let plan = Plan {
            video,
            base,
            tokens: (0..count).map(|_| super::callbacks::new_token()).collect(),
        };
        if let CreateRequest::VideoToAudio(p) = &mut request {
            // The first task's URL until each row gets its own.
            p.video_url = plan.url(0);
            p.video_id = None;
        }
        match self.submit_tagged(request, None, count, Some(&plan))? {
            super::Submitted::New(ids) => Ok(ids),
            super::Submitted::Existing(record) => Ok(vec![record.id]),
        }
    }

    /// Submits one batch line whose video is the checked clip `video` on
    /// disk (see [`Engine::submit_batch_line`]).
    pub fn submit_batch_line_video(
        &self,
        mut request: CreateRequest,
        tag: &crate::store::BatchTag,
        video: &LocalVideo,
    ) -> Result<super::LineSubmit, SubmitError> {
        let Some(base) = self.media_base() else {
            return Err(SubmitError::NoReceiver);
        };
        let plan = Plan {
            video,
            base,
            tokens: vec![super::callbacks::new_token()],
        };
        if let CreateRequest::VideoToAudio(p) = &mut request {
            p.video_url = plan.url(0);
            p.video_id = None;
        }
        Ok(
            match self.submit_tagged(request, Some(tag), 1, Some(&plan))? {
                super::Submitted::New(ids) => {
                    super::LineSubmit::New(ids.first().copied().ok_or(SubmitError::Stopped)?)
                }
                super::Submitted::Existing(record) => super::LineSubmit::Existing(record),
            },
        )
    }

    /// A new task with the clip of an earlier one: the same file, checked
    /// again (blocking: it hashes the file), under a new token.
    pub(super) fn resubmit_media(
        &self,
        params: CreateRequest,
        clip: &MediaFile,
    ) -> Result<i64, SubmitError> {
        let video =
            crate::video::check_file(&clip.path).map_err(|r| SubmitError::Media(r.message))?;
        if video.sha256 != clip.sha256 {
            return Err(SubmitError::Media(format!(
                "the video {} changed since task #{} was submitted: submit it as a new clip",
                clip.path.display(),
                clip.task
            )));
        }
        let ids = self.submit_video_file(params, &video, 1)?;
        ids.first().copied().ok_or(SubmitError::Stopped)
    }

    /// Checks the clips of tasks that have not ended, once at start: a
    /// file gone or changed since it was submitted, or no receiver to
    /// serve it, is said now rather than when the provider fails the task.
    /// Blocking (hashes files): run it off the async workers.
    pub fn audit_media(&self, receiver_runs: bool) {
        let clips = match self.store.unended_media() {
            Ok(clips) => clips,
            Err(e) => {
                tracing::warn!("listing served clips: {e}");
                return;
            }
        };
        for clip in clips {
            let problem = if receiver_runs {
                self.media_cache.check_path(&clip)
            } else {
                Some(format!(
                    "#{}: its video {} is served by klang and no receiver runs: start klang with --callback-listen (and --callback-url) so the provider can fetch it",
                    clip.task,
                    clip.path.display()
                ))
            };
            if let Some(text) = problem {
                self.media_problem(clip.task, &text);
            }
        }
    }

    /// Says why a clip is not served: a notice now, and the task's last
    /// error for its details.
    pub(crate) fn media_problem(&self, id: i64, text: &str) {
        let text = crate::sanitize::single_line(text).into_owned();
        match self.store.set_last_error(id, &text) {
            Ok(Some(record)) => (self.sink)(EngineEvent::TaskChanged(Box::new(record))),
            Ok(None) => {}
            Err(StoreError::NoSuchTask(_)) => return,
            Err(e) => tracing::warn!("recording a clip problem for #{id}: {e}"),
        }
        (self.sink)(EngineEvent::Notice(text));
    }
}

/// The clip on disk task `id` was made from, for muxing its dub: klang's
/// own copy, not the URL it served it at (gone once no receiver runs).
/// None for a task made from a URL or an id; an error when the file is
/// gone or changed since the submit (the dub would not fit it).
pub async fn local_clip(store: Arc<Store>, id: i64) -> Result<Option<PathBuf>, String> {
    let checked = tokio::task::spawn_blocking(move || {
        let Some(clip) = store.media_for_task(id).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let shown = clip.path.display().to_string();
        // Never blocks on a FIFO swapped in for the clip.
        let hash = verify::open_regular(&clip.path)
            .and_then(|(file, _)| crate::video::hash_reader(file))
            .map_err(|e| format!("#{id}'s video {shown} cannot be read ({e}): put the file back"))?;
        if hash != clip.sha256 {
            return Err(format!(
                "#{id}'s video {shown} changed since it was submitted: the dub was made for the clip as it was"
            ));
        }
        Ok(Some(clip.path))
    })
    .await;
    checked.map_err(|e| format!("checking #{id}'s video failed: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_placeholder_of_a_local_clip_has_the_shape_of_its_real_url() {
        assert_eq!(
            media_url("https://receiver.invalid", "token", "clip.mp4"),
            crate::api::LOCAL_CLIP_PLACEHOLDER_URL
        );
    }

    #[test]
    fn a_name_is_one_encoded_path_segment() {
        assert_eq!(media_path("t0k", "walk.mp4"), "/klang/media/t0k/walk.mp4");
        assert_eq!(
            media_path("t0k", "my clip/../x?.mov"),
            "/klang/media/t0k/my%20clip%2F..%2Fx%3F.mov"
        );
        assert_eq!(
            media_url("http://h:1/", "t", "a.mp4"),
            "http://h:1/klang/media/t/a.mp4"
        );
        assert_eq!(token_hash("x").len(), 64);
        assert_ne!(token_hash("x"), token_hash("y"));
    }
}
