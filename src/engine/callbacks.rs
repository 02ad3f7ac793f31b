//! The callback receiver. The provider POSTs a task's result to the
//! `callback_url` of its create request; nothing signs that POST, so a
//! callback is only a hint: klang answers 2xx at once and re-queries the
//! task with GET before it records anything. A forged callback therefore
//! changes nothing, and duplicates cost one extra query at most.
//! The same receiver serves `--video-file` clips to the provider (`media`).

use super::Engine;
pub use super::guarded_listener::ReceiverLimits;
use super::guarded_listener::{ConnHandle, GuardedListener};
use crate::api::decode_callback;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;

/// Callbacks are small JSON documents; anything larger is refused (413).
pub const MAX_CALLBACK_BYTES: usize = 64 * 1024;

/// Counters, for the status bar and tests.
#[derive(Debug, Default)]
pub struct CallbackStats {
    pub accepted: AtomicU64,
    pub rejected: AtomicU64,
    /// Clip requests answered with the clip (see `media`).
    pub media_served: AtomicU64,
    /// Clip requests answered 404.
    pub media_refused: AtomicU64,
}

/// How a receiver runs: its connection limits and the clock that ends
/// serving clips (tests move it forward).
#[derive(Clone)]
pub struct ReceiverOptions {
    pub limits: ReceiverLimits,
    pub clock: Arc<dyn super::media::Clock>,
}

impl Default for ReceiverOptions {
    fn default() -> Self {
        ReceiverOptions {
            limits: ReceiverLimits::default(),
            clock: Arc::new(super::media::SystemClock),
        }
    }
}

struct Shared {
    token: String,
    engine: Engine,
    stats: Arc<CallbackStats>,
}

pub struct CallbackReceiver {
    addr: SocketAddr,
    cancel: CancellationToken,
    stats: Arc<CallbackStats>,
}

impl CallbackReceiver {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stats(&self) -> &CallbackStats {
        &self.stats
    }
}

impl Drop for CallbackReceiver {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The path a callback must be posted to: anything else is a 404.
pub fn callback_path(token: &str) -> String {
    format!("/klang/callback/{token}")
}

/// A new random token: 128 bits, URL-safe.
pub fn new_token() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// Binds `listen` and serves callbacks for `engine` until dropped.
pub async fn start(
    listen: SocketAddr,
    token: String,
    engine: Engine,
) -> std::io::Result<CallbackReceiver> {
    start_with_limits(listen, token, engine, ReceiverLimits::default()).await
}

/// [`start`] with other read timeouts and connection cap (tests).
pub async fn start_with_limits(
    listen: SocketAddr,
    token: String,
    engine: Engine,
    limits: ReceiverLimits,
) -> std::io::Result<CallbackReceiver> {
    let options = ReceiverOptions {
        limits,
        ..ReceiverOptions::default()
    };
    start_with(listen, token, engine, options).await
}

/// [`start`] with other options.
pub async fn start_with(
    listen: SocketAddr,
    token: String,
    engine: Engine,
    options: ReceiverOptions,
) -> std::io::Result<CallbackReceiver> {
    let limits = options.limits;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let listener = GuardedListener::new(listener, limits);
    let stats = Arc::new(CallbackStats::default());
    let shared = Arc::new(Shared {
        token,
        engine: engine.clone(),
        stats: stats.clone(),
    });
    let app = Router::new()
        .route("/klang/callback/{token}", post(receive))
        .route("/klang/callback/{token}/{id}", post(receive_for_task))
        .layer(DefaultBodyLimit::max(MAX_CALLBACK_BYTES))
        .with_state(shared)
        .merge(super::media::router(engine, options.clock, stats.clone()));
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<ConnHandle>();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!("callback receiver stopped: {e}");
        }
    });
    tracing::info!("callback receiver listening on {addr}");
    Ok(CallbackReceiver {
        addr,
        cancel,
        stats,
    })
}

/// How long a connection that posted to the callback path may stay open
/// for its next request (the provider's keep-alive).
const CALLBACK_CONN_TIME: std::time::Duration = std::time::Duration::from_secs(60);

async fn receive(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(token): Path<String>,
    body: Bytes,
) -> StatusCode {
    accept(&shared, &conn, &token, None, &body)
}

/// A callback on one task's own path (`…/{token}/{local id}`).
async fn receive_for_task(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path((token, id)): Path<(String, String)>,
    body: Bytes,
) -> StatusCode {
    match id.parse::<i64>() {
        Ok(id) => accept(&shared, &conn, &token, Some(id), &body),
        Err(_) => {
            shared.stats.rejected.fetch_add(1, Ordering::Relaxed);
            StatusCode::NOT_FOUND
        }
    }
}

fn accept(
    shared: &Shared,
    conn: &ConnHandle,
    token: &str,
    row: Option<i64>,
    body: &[u8],
) -> StatusCode {
    // Without an early exit, so response timing does not reveal how much
    // of a guessed token was right.
    if !bool::from(token.as_bytes().ct_eq(shared.token.as_bytes())) {
        shared.stats.rejected.fetch_add(1, Ordering::Relaxed);
        return StatusCode::NOT_FOUND;
    }
    // The callback path is known only to klang and the provider: no
    // stranger's connection may cut this one.
    conn.vouch(CALLBACK_CONN_TIME);
    let payload = match decode_callback(body) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("callback body refused: {e}");
            shared.stats.rejected.fetch_add(1, Ordering::Relaxed);
            return StatusCode::BAD_REQUEST;
        }
    };
    shared.stats.accepted.fetch_add(1, Ordering::Relaxed);
    match payload.task_id.as_deref().map(str::trim) {
        // Never trust the body's state: ask the API.
        Some(task_id) if !task_id.is_empty() => match row {
            Some(id) => shared.engine.task_callback(id, task_id),
            None => shared.engine.refresh_task_id(task_id),
        },
        _ => tracing::warn!("callback without a taskId ignored"),
    }
    // Always 2xx once read, so the provider stops retrying.
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_compare_exactly() {
        let a = new_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_token());
        assert!(callback_path(&a).ends_with(&a));
    }
}
