//! `GET /klang/media/{token}/{name}` (and HEAD): one task's clip, streamed
//! from disk with Range support. Every refusal of a request without the
//! right token and name is the same bare 404, so a guess learns nothing:
//! an unknown token, another task's name, a task that ended more than
//! [`super::SERVE_AFTER_END`] ago. With them, a file gone is a 404 and a
//! file that is not the clip submitted (other bytes, a FIFO) a 409, with a
//! notice in the task. The file served is the one the store names for the
//! token; nothing in the request ever becomes a path.

use super::send::Sending;
use super::verify::{Refused, Verified, Why};
use super::{Clock, SEND_TIMEOUT, SERVE_AFTER_END, has_ended, token_hash};
use crate::engine::Engine;
use crate::engine::callbacks::CallbackStats;
use crate::engine::guarded_listener::ConnHandle;
use crate::store::{MediaFile, ServedMedia};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub(super) struct MediaState {
    pub(super) engine: Engine,
    clock: Arc<dyn Clock>,
    stats: Arc<CallbackStats>,
}

/// The media route, for the callback receiver's router.
pub(crate) fn router(engine: Engine, clock: Arc<dyn Clock>, stats: Arc<CallbackStats>) -> Router {
    Router::new()
        .route("/klang/media/{token}/{name}", get(serve))
        .with_state(Arc::new(MediaState {
            engine,
            clock,
            stats,
        }))
}

fn not_found(state: &MediaState) -> Response {
    state.stats.media_refused.fetch_add(1, Ordering::Relaxed);
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// Whether the token's clip may be served now.
fn servable(served: &ServedMedia, name: &str, now_ms: i64) -> bool {
    if served.file.name != name {
        return false;
    }
    if !has_ended(served.state) {
        return true;
    }
    let after = i64::try_from(SERVE_AFTER_END.as_millis()).unwrap_or(i64::MAX);
    served
        .ended_at
        .is_some_and(|ended| now_ms < ended.saturating_add(after))
}

async fn serve(
    State(state): State<Arc<MediaState>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path((token, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let store = state.engine.store().clone();
    let hash = token_hash(&token);
    let found = tokio::task::spawn_blocking(move || store.media_by_token(&hash)).await;
    let served = match found {
        Ok(Ok(Some(served))) => served,
        Ok(Ok(None)) => return not_found(&state),
        Ok(Err(e)) => {
            tracing::warn!("looking up a served clip: {e}");
            return not_found(&state);
        }
        Err(e) => {
            tracing::warn!("looking up a served clip: {e}");
            return not_found(&state);
        }
    };
    if !servable(&served, &name, state.clock.now_ms()) {
        return not_found(&state);
    }
    // A real request for a clip klang serves: no stranger may cut it, and
    // it may take long to send.
    conn.vouch(SEND_TIMEOUT);
    let clip = served.file;
    let engine = state.engine.clone();
    let checked = {
        let clip = clip.clone();
        tokio::task::spawn_blocking(move || engine.media_cache.open(&clip)).await
    };
    let verified = match checked {
        Ok(Ok(verified)) => verified,
        Ok(Err(Refused::New(why, text))) => {
            tracing::warn!("{text}");
            state.engine.media_problem(clip.task, &text);
            return refused(&state, why);
        }
        Ok(Err(Refused::Said(why))) => return refused(&state, why),
        Err(e) => {
            tracing::warn!("checking a served clip: {e}");
            return not_found(&state);
        }
    };
    respond(&state, verified, clip, &headers).await
}

/// A clip the token is good for, not served: 404 when the file is gone,
/// 409 when it is not the clip that was submitted. Only a holder of the
/// token ever sees the difference.
fn refused(state: &MediaState, why: Why) -> Response {
    state.stats.media_refused.fetch_add(1, Ordering::Relaxed);
    match why {
        Why::Gone => (StatusCode::NOT_FOUND, "not found\n").into_response(),
        Why::Changed => (
            StatusCode::CONFLICT,
            "the file changed since it was submitted\n",
        )
            .into_response(),
    }
}

/// What part of the file a request gets.
#[derive(Debug, PartialEq, Eq)]
enum Slice {
    Whole,
    /// First and last byte, inclusive.
    Part(u64, u64),
    Unsatisfiable,
}

/// The part `range` asks for of a file of `len` bytes whose ETag is
/// `etag`. Several ranges get the whole file (allowed, and no fetcher of
/// a video needs a multipart answer); a Range in another unit is ignored.
fn slice(range: Option<&str>, if_range: Option<&str>, etag: &str, len: u64) -> Slice {
    use http_range_header::{RangeInvalid, RangeUnsatisfiableError};
    let Some(range) = range else {
        return Slice::Whole;
    };
    // A Range under an If-Range for another version is for another file.
    if if_range.is_some_and(|v| v.trim() != etag) {
        return Slice::Whole;
    }
    let parsed = match http_range_header::parse_range_header(range) {
        Ok(parsed) => parsed,
        Err(RangeUnsatisfiableError::Invalid(RangeInvalid::DoesNotStartWithToken)) => {
            return Slice::Whole;
        }
        Err(_) => return Slice::Unsatisfiable,
    };
    match parsed.validate(len).as_deref() {
        Ok([one]) => Slice::Part(*one.start(), *one.end()),
        Ok(_) => Slice::Whole,
        Err(_) => Slice::Unsatisfiable,
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

async fn respond(
    state: &Arc<MediaState>,
    verified: Verified,
    clip: MediaFile,
    headers: &HeaderMap,
) -> Response {
    let len = clip.bytes;
    // The content's own hash: a perfect strong validator.
    let etag = format!("\"{}\"", clip.sha256);
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let wanted = slice(text(header::RANGE), text(header::IF_RANGE), &etag, len);
    let mut out = HeaderMap::new();
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(header::CONTENT_TYPE, header_value(&clip.content_type));
    out.insert(header::ETAG, header_value(&etag));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let (status, start, count) = match wanted {
        Slice::Whole => (StatusCode::OK, 0, len),
        Slice::Part(first, last) => {
            out.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {first}-{last}/{len}")),
            );
            (StatusCode::PARTIAL_CONTENT, first, last - first + 1)
        }
        Slice::Unsatisfiable => {
            state.stats.media_served.fetch_add(1, Ordering::Relaxed);
            out.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes */{len}")),
            );
            return (StatusCode::RANGE_NOT_SATISFIABLE, out).into_response();
        }
    };
    let mut sending = Sending {
        state: state.clone(),
        clip,
        verified: Some(verified),
        pos: start,
        end: start + count,
    };
    // The first block is checked before the answer starts, so a clip
    // changed since the last request gets a 409, not a cut-off 200.
    let first = match sending.next_chunk().await {
        Some(Ok(chunk)) => Some(chunk),
        Some(Err(why)) => return refused(state, why),
        None => None,
    };
    state.stats.media_served.fetch_add(1, Ordering::Relaxed);
    out.insert(header::CONTENT_LENGTH, header_value(&count.to_string()));
    let rest = futures::stream::unfold(sending, |mut sending| async move {
        let chunk = sending.next_chunk().await?;
        Some((
            chunk.map_err(|_| std::io::Error::other("the clip changed while it was sent")),
            sending,
        ))
    });
    let first = futures::stream::iter(first.map(Ok::<_, std::io::Error>));
    // A block at a time from disk, never the whole file in memory; a block
    // that no longer hashes as submitted ends the answer before its bytes.
    (status, out, Body::from_stream(first.chain(rest))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LocalState;

    const TAG: &str = "\"abc\"";

    #[test]
    fn ranges_are_one_slice_the_whole_file_or_unsatisfiable() {
        let s = |r: &str| slice(Some(r), None, TAG, 1000);
        assert_eq!(slice(None, None, TAG, 1000), Slice::Whole);
        assert_eq!(s("bytes=0-99"), Slice::Part(0, 99));
        assert_eq!(s("bytes=990-"), Slice::Part(990, 999));
        assert_eq!(s("bytes=-10"), Slice::Part(990, 999));
        assert_eq!(s("bytes=900-5000"), Slice::Part(900, 999));
        assert_eq!(s("bytes=1000-"), Slice::Unsatisfiable);
        assert_eq!(s("bytes=50-10"), Slice::Unsatisfiable);
        assert_eq!(s("bytes=abc"), Slice::Unsatisfiable);
        assert_eq!(s("bytes=0-1,5-6"), Slice::Whole);
        assert_eq!(s("pages=1-2"), Slice::Whole);
        assert_eq!(
            slice(Some("bytes=0-9"), Some(TAG), TAG, 1000),
            Slice::Part(0, 9)
        );
        assert_eq!(
            slice(Some("bytes=0-9"), Some("\"other\""), TAG, 1000),
            Slice::Whole
        );
    }

    fn served(state: LocalState, ended_at: Option<i64>) -> ServedMedia {
        ServedMedia {
            file: MediaFile {
                task: 1,
                token_sha256: String::new(),
                path: "/clips/a.mp4".into(),
                name: "a.mp4".into(),
                sha256: String::new(),
                bytes: 1,
                content_type: "video/mp4".into(),
            },
            state,
            ended_at,
        }
    }

    #[test]
    fn a_clip_is_served_until_ten_minutes_after_its_task_ended() {
        let minute = 60_000;
        let running = served(LocalState::Processing, None);
        assert!(servable(&running, "a.mp4", 0));
        assert!(!servable(&running, "b.mp4", 0));
        assert!(!servable(&running, "../a.mp4", 0));
        assert!(servable(
            &served(LocalState::SubmitUnknown, None),
            "a.mp4",
            0
        ));
        let done = served(LocalState::Completed, Some(100 * minute));
        assert!(servable(&done, "a.mp4", 109 * minute));
        assert!(!servable(&done, "a.mp4", 110 * minute));
        assert!(!servable(&served(LocalState::Failed, None), "a.mp4", 0));
    }
}
