//! A server whose takes differ in loudness, written apart from the
//! sandbox: every create makes a task that completes on its first query,
//! and task N's result is a 3 s noise WAV at one of three levels about
//! 10 dB apart (take 1 loud, take 2 middle, take 3 quiet, then again).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Peak amplitudes of the three takes: 10 dB steps.
const LEVELS: [f32; 3] = [0.7, 0.7 / 3.162, 0.7 / 10.0];

#[derive(Clone)]
struct Ctx {
    key: String,
    addr: SocketAddr,
    creates: Arc<AtomicUsize>,
    files: Arc<Vec<Vec<u8>>>,
}

pub struct TakesApi {
    pub addr: SocketAddr,
    pub creates: Arc<AtomicUsize>,
}

impl TakesApi {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// 12 s of mono 44.1 kHz noise peaking at `peak`, as 16-bit WAV bytes:
/// long enough that a playhead is still moving on a loaded machine.
fn noise_wav(peak: f32, seed: u32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut bytes, spec).unwrap();
    // A small LCG: the same noise on every run.
    let mut state = seed.wrapping_mul(747_796_405).wrapping_add(1);
    for _ in 0..44_100 * 12 {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let unit = (state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
        w.write_sample((unit * peak * 32767.0).round() as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    bytes.into_inner()
}

pub async fn start(key: &str) -> TakesApi {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let creates = Arc::new(AtomicUsize::new(0));
    let files = LEVELS
        .iter()
        .enumerate()
        .map(|(i, &peak)| noise_wav(peak, i as u32))
        .collect();
    let ctx = Ctx {
        key: key.to_string(),
        addr,
        creates: creates.clone(),
        files: Arc::new(files),
    };
    let app = Router::new()
        .route("/api/v1/audio/generations", get(query).post(create))
        .route("/files/{n}", get(file))
        .with_state(ctx);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TakesApi { addr, creates }
}

async fn create(State(ctx): State<Ctx>, headers: HeaderMap) -> Response {
    if !super::mini_api::bearer_is(&headers, &ctx.key) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let n = ctx.creates.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(json!({"code": 200, "msg": "success",
        "data": {"taskId": format!("take{n:04}"), "state": "pending", "model": "kling-audio/kling-sound-effects"}}))
    .into_response()
}

async fn query(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !super::mini_api::bearer_is(&headers, &ctx.key) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let id = q.get("task_id").cloned().unwrap_or_default();
    let n: usize = id.trim_start_matches("take").parse().unwrap_or(1);
    axum::Json(json!({"code": 200, "msg": "success", "data": {
        "taskId": id, "state": "completed", "model": "kling-audio/kling-sound-effects",
        "resultUrls": [format!("http://{}/files/{}.wav", ctx.addr, (n - 1) % 3)],
        "createTime": 1_705_123_450_000i64, "completeTime": 1_705_123_460_000i64}}))
    .into_response()
}

async fn file(State(ctx): State<Ctx>, Path(name): Path<String>) -> Response {
    let index: usize = name.trim_end_matches(".wav").parse().unwrap_or(usize::MAX);
    match ctx.files.get(index) {
        Some(bytes) => ([(header::CONTENT_TYPE, "audio/wav")], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
