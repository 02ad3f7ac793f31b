//! A second, minimal server that follows the API (docs/api.md), written apart from
//! the sandbox: one fixed key, tasks that complete on the first query, and
//! a slow result file that honours Range. It records what it was sent.

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const FILE_LEN: usize = 2 * 1024 * 1024;
const CHUNK: usize = 32 * 1024;

#[derive(Default)]
pub struct Seen {
    /// Authorization headers that reached the file route.
    pub file_auth: Vec<String>,
    /// Range headers that reached the file route.
    pub ranges: Vec<String>,
    pub creates: usize,
    pub queries: usize,
}

#[derive(Clone)]
struct Ctx {
    key: String,
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    chunk_delay: Duration,
}

pub struct MiniApi {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Seen>>,
}

impl MiniApi {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The bytes of the result file, deterministic.
pub fn file_bytes() -> Vec<u8> {
    super::wav::as_wav((0..FILE_LEN).map(|i| (i % 251) as u8).collect())
}

pub async fn start(key: &str, chunk_delay: Duration) -> MiniApi {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let ctx = Ctx {
        key: key.to_string(),
        addr,
        seen: seen.clone(),
        chunk_delay,
    };
    let app = Router::new()
        .route("/api/v1/audio/generations", get(query).post(create))
        .route("/files/result.mp3", get(file))
        .with_state(ctx);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    MiniApi { addr, seen }
}

fn authorized(ctx: &Ctx, headers: &HeaderMap) -> bool {
    bearer_is(headers, &ctx.key)
}

/// Whether a request carries `Authorization: Bearer <key>`; shared by the
/// test servers written apart from the sandbox.
pub fn bearer_is(headers: &HeaderMap, key: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {key}"))
}

async fn create(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if !authorized(&ctx, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            "{\"code\":401,\"msg\":\"Invalid API key\"}",
        )
            .into_response();
    }
    ctx.seen.lock().unwrap().creates += 1;
    axum::Json(json!({"code": 200, "msg": "success",
        "data": {"taskId": "clminitask0000000000001", "state": "pending", "model": "kling-audio/kling-sound-effects"}}))
    .into_response()
}

async fn query(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&ctx, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    ctx.seen.lock().unwrap().queries += 1;
    let id = q.get("task_id").cloned().unwrap_or_default();
    axum::Json(json!({"code": 200, "msg": "success", "data": {
        "taskId": id, "state": "completed", "model": "kling-audio/kling-sound-effects",
        "resultUrls": [format!("http://{}/files/result.mp3", ctx.addr)],
        "createTime": 1_705_123_450_000i64, "completeTime": 1_705_123_500_000i64}}))
    .into_response()
}

async fn file(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    let start = {
        let mut seen = ctx.seen.lock().unwrap();
        if let Some(a) = headers.get(header::AUTHORIZATION) {
            seen.file_auth.push(a.to_str().unwrap_or("?").to_string());
        }
        let range = headers
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(r) = &range {
            seen.ranges.push(r.clone());
        }
        range
            .and_then(|r| r.strip_prefix("bytes=").map(str::to_string))
            .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
            .unwrap_or(0)
    };
    let bytes = file_bytes();
    if start >= bytes.len() {
        return StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    }
    let delay = ctx.chunk_delay;
    let tail: Vec<Vec<u8>> = bytes[start..].chunks(CHUNK).map(<[u8]>::to_vec).collect();
    let stream = futures::stream::iter(tail).then(move |chunk| async move {
        tokio::time::sleep(delay).await;
        Ok::<_, std::io::Error>(chunk)
    });
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, "audio/mpeg")
        .header(header::CONTENT_LENGTH, bytes.len() - start)
        .header(header::ACCEPT_RANGES, "bytes");
    builder = if start > 0 {
        builder.status(StatusCode::PARTIAL_CONTENT).header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{}", bytes.len() - 1, bytes.len()),
        )
    } else {
        builder.status(StatusCode::OK)
    };
    builder
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

use futures::StreamExt;
