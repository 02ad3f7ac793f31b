//! Callback (webhook) delivery, with the contract's retry schedule: a first
//! POST when the task reaches its terminal state, up to 3 retries after
//! 1 s / 2 s / 4 s, then a background loop until a 2xx or the retry window
//! ends. Each task's delivery runs on its own timer, so nothing polls.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use serde_json::Value;
use tokio::time::Instant;

use super::server::{Shared, bump};
use super::taskid::TaskId;
use super::tasks;

pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const BACKOFF: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];
const MAX_BACKGROUND_INTERVAL: Duration = Duration::from_secs(30);
const MIN_BACKGROUND_INTERVAL: Duration = Duration::from_millis(100);

/// Background retry period: 30 s for the default 30-minute window, shorter
/// for the small windows tests use so they still see background attempts.
fn background_interval(window: Duration) -> Duration {
    (window / 6).clamp(MIN_BACKGROUND_INTERVAL, MAX_BACKGROUND_INTERVAL)
}

/// Spawn the delivery of one task's callback. It is cancelled with the
/// sandbox; a restarted sandbox does not know about it (documented).
pub fn schedule(shared: Arc<Shared>, task_id: String, id: TaskId, params: Value, url: String) {
    let cancel = shared.cancel.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = cancel.cancelled() => {
                tracing::debug!(%task_id, "sandbox: callback cancelled by shutdown");
            }
            _ = deliver(&shared, &task_id, &id, &params, &url) => {}
        }
    });
}

async fn deliver(shared: &Shared, task_id: &str, id: &TaskId, params: &Value, url: &str) {
    let due = tasks::complete_ms(id, shared.timings);
    let wait = due.saturating_sub(tasks::now_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;

    // Serialized once: every retry and duplicate carries identical bytes.
    let payload = tasks::callback_payload(
        task_id,
        id,
        shared.timings,
        (&shared.base_url, shared.audio_format.extension()),
        params,
    );
    let body = Bytes::from(payload.to_string());
    let started = Instant::now();

    let mut ok = attempt(shared, task_id, url, &body).await;
    for backoff in BACKOFF {
        if ok {
            break;
        }
        tokio::time::sleep(backoff).await;
        ok = attempt(shared, task_id, url, &body).await;
    }
    if !ok {
        let deadline = started + shared.retry_window;
        let interval = background_interval(shared.retry_window);
        while !ok && Instant::now() + interval <= deadline {
            tokio::time::sleep(interval).await;
            ok = attempt(shared, task_id, url, &body).await;
        }
    }
    if ok {
        for _ in 0..shared.duplicates {
            attempt(shared, task_id, url, &body).await;
        }
    } else {
        // The log of a klang running the sandbox in-process is klang's:
        // no token in it.
        let url = crate::api::redact::text(url);
        tracing::warn!(%task_id, %url, "sandbox: callback never acknowledged, giving up");
    }
}

/// One POST; true on a 2xx.
async fn attempt(shared: &Shared, task_id: &str, url: &str, body: &Bytes) -> bool {
    bump(&shared.stats.callbacks_sent);
    let result = shared
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.clone())
        .timeout(ATTEMPT_TIMEOUT)
        .send()
        .await;
    match result {
        Ok(resp) if resp.status().is_success() => {
            bump(&shared.stats.callbacks_acknowledged);
            tracing::debug!(%task_id, status = %resp.status(), "sandbox: callback acknowledged");
            true
        }
        Ok(resp) => {
            tracing::debug!(%task_id, status = %resp.status(), "sandbox: callback rejected");
            false
        }
        Err(err) => {
            let err = err.without_url();
            tracing::debug!(%task_id, %err, "sandbox: callback failed");
            false
        }
    }
}
