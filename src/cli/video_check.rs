//! The video check before a paid video-to-audio create (`submit v2a`,
//! `batch`): a `video_url` the provider would refuse is refused here,
//! exit 2, nothing sent. `--no-check` skips it.

use super::Failure;
use crate::api::CreateRequest;
use crate::batch::{Line, LineError};
use crate::video::{Limits, Refusal, VideoFacts, check_url};
use futures::StreamExt;
use std::collections::HashMap;

/// Checks at once, for a batch file with many URLs.
const CHECKS_AT_ONCE: usize = 4;

/// The video URL of a request that has one.
fn video_url(request: &CreateRequest) -> Option<&str> {
    match request {
        CreateRequest::VideoToAudio(p) => p.video_url.as_deref().map(str::trim),
        _ => None,
    }
}

/// The refusal's one line, with `--no-check` offered when the host, not
/// the video, was the trouble.
pub(super) fn describe(refusal: &Refusal) -> String {
    if refusal.host_trouble {
        format!(
            "{}; nothing was sent (`--no-check` sends it anyway)",
            refusal.message
        )
    } else {
        format!("{}; nothing was sent", refusal.message)
    }
}

/// Checks the request's `video_url`, if it has one.
pub(super) async fn check_request(request: &CreateRequest) -> Result<Option<VideoFacts>, Failure> {
    let Some(url) = video_url(request) else {
        return Ok(None);
    };
    check_url(url, &Limits::default())
        .await
        .map(Some)
        .map_err(|r| Failure::usage(describe(&r)))
}

/// Checks every distinct `video_url` of `lines`; each line whose video is
/// refused is named.
pub(super) async fn check_lines<'a>(lines: impl Iterator<Item = &'a Line>) -> Vec<LineError> {
    let mut by_url: HashMap<String, Vec<u64>> = HashMap::new();
    for line in lines {
        if let Some(url) = video_url(&line.request) {
            by_url.entry(url.to_string()).or_default().push(line.number);
        }
    }
    let verdicts: Vec<(Vec<u64>, Result<VideoFacts, Refusal>)> =
        futures::stream::iter(by_url.into_iter().map(|(url, numbers)| async move {
            (numbers, check_url(&url, &Limits::default()).await)
        }))
        .buffer_unordered(CHECKS_AT_ONCE)
        .collect()
        .await;
    let mut errors: Vec<LineError> = verdicts
        .into_iter()
        .filter_map(|(numbers, verdict)| Some((numbers, verdict.err()?)))
        .flat_map(|(numbers, refusal)| {
            numbers.into_iter().map(move |number| LineError {
                number,
                field: "video_url".into(),
                message: if refusal.host_trouble {
                    format!("{} (`--no-check` sends it anyway)", refusal.message)
                } else {
                    refusal.message.clone()
                },
            })
        })
        .collect();
    errors.sort_by_key(|e| e.number);
    errors
}
