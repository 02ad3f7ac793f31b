//! A hostile API on loopback: it accepts any key, and answers creates and
//! queries the way a broken or malicious server would (bodies that never
//! end, bodies too large, answers about another task, states that do not
//! exist, huge failure messages), and serves a result file that drips one
//! byte at a time. It counts what it managed to send.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server answers one kind of request.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A well-formed answer about the task asked for, in this state, with a
    /// result link to the dripping file when completed.
    Honest(&'static str),
    /// A chunked JSON body that never ends.
    Endless,
    /// A chunked JSON body of this many bytes (no Content-Length).
    Huge(usize),
    /// A body that announces this many bytes in Content-Length.
    Announced(usize),
    /// A completed answer, with a result link, about this other task id.
    OtherTask(&'static str),
    /// Never answers (the request hangs until the client gives up).
    Hang,
    /// HTTP 200 whose envelope says `code: 500`.
    Envelope500,
    /// A failed answer whose failMsg is this many bytes long.
    LongFailMsg(usize),
}

#[derive(Clone)]
struct Ctx {
    create: Arc<Mutex<Answer>>,
    query: Arc<Mutex<Answer>>,
    addr: SocketAddr,
    sent: Arc<AtomicU64>,
    file_requests: Arc<AtomicU64>,
    creates: Arc<AtomicU64>,
    drip_every: Duration,
}

pub struct HostileApi {
    pub addr: SocketAddr,
    create: Arc<Mutex<Answer>>,
    query: Arc<Mutex<Answer>>,
    /// Body bytes of API answers handed to the connection so far.
    sent: Arc<AtomicU64>,
    file_requests: Arc<AtomicU64>,
    creates: Arc<AtomicU64>,
}

impl HostileApi {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Create requests that reached the server (each one may be paid for).
    pub fn creates(&self) -> u64 {
        self.creates.load(Ordering::SeqCst)
    }

    pub fn file_requests(&self) -> u64 {
        self.file_requests.load(Ordering::SeqCst)
    }

    pub fn set_create(&self, answer: Answer) {
        *self.create.lock().unwrap() = answer;
    }

    pub fn set_query(&self, answer: Answer) {
        *self.query.lock().unwrap() = answer;
    }
}

pub const CREATED_ID: &str = "clhostile00000000000000001";

/// Starts the server; the result file sends one byte every `drip_every`.
pub async fn start(on_create: Answer, on_query: Answer, drip_every: Duration) -> HostileApi {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ctx = Ctx {
        create: Arc::new(Mutex::new(on_create)),
        query: Arc::new(Mutex::new(on_query)),
        addr,
        sent: Arc::new(AtomicU64::new(0)),
        file_requests: Arc::new(AtomicU64::new(0)),
        creates: Arc::new(AtomicU64::new(0)),
        drip_every,
    };
    let api = HostileApi {
        addr,
        create: ctx.create.clone(),
        query: ctx.query.clone(),
        sent: ctx.sent.clone(),
        file_requests: ctx.file_requests.clone(),
        creates: ctx.creates.clone(),
    };
    let app = Router::new()
        .route("/api/v1/audio/generations", get(query).post(create))
        .route("/files/drip.mp3", get(drip))
        .with_state(ctx);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    api
}

async fn create(State(ctx): State<Ctx>) -> Response {
    ctx.creates.fetch_add(1, Ordering::SeqCst);
    let answer = ctx.create.lock().unwrap().clone();
    if matches!(answer, Answer::Hang) {
        std::future::pending::<()>().await;
    }
    respond(&ctx, answer, CREATED_ID)
}

async fn query(State(ctx): State<Ctx>, Query(q): Query<HashMap<String, String>>) -> Response {
    let answer = ctx.query.lock().unwrap().clone();
    let id = q.get("task_id").cloned().unwrap_or_default();
    respond(&ctx, answer, &id)
}

fn respond(ctx: &Ctx, answer: Answer, task_id: &str) -> Response {
    let file = format!("http://{}/files/drip.mp3", ctx.addr);
    let document = |data: serde_json::Value| {
        let body = json!({"code": 200, "msg": "success", "data": data}).to_string();
        ctx.sent.fetch_add(body.len() as u64, Ordering::SeqCst);
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    match answer {
        Answer::Honest(state) => document(json!({
            "taskId": task_id, "state": state, "model": "kling-audio/kling-sound-effects",
            "resultUrls": if state == "completed" { vec![file] } else { vec![] },
        })),
        Answer::OtherTask(other) => document(json!({
            "taskId": other, "state": "completed", "model": "kling-audio/kling-sound-effects",
            "resultUrls": [file],
        })),
        Answer::LongFailMsg(len) => document(json!({
            "taskId": task_id, "state": "failed", "model": "kling-audio/kling-sound-effects",
            "failMsg": format!("policy: {}", "x".repeat(len)),
        })),
        Answer::Hang => StatusCode::GATEWAY_TIMEOUT.into_response(),
        Answer::Envelope500 => {
            let body = json!({"code": 500, "msg": "internal error"}).to_string();
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Answer::Endless => streamed(ctx, None),
        Answer::Huge(len) => streamed(ctx, Some(len)),
        Answer::Announced(len) => Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, len)
            .body(padding_stream(ctx, Some(len)))
            .unwrap(),
    }
}

/// `{"code":200,"msg":"aaaa…` for `len` bytes, or forever.
fn streamed(ctx: &Ctx, len: Option<usize>) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(padding_stream(ctx, len))
        .unwrap()
}

fn padding_stream(ctx: &Ctx, len: Option<usize>) -> Body {
    const CHUNK: usize = 64 * 1024;
    let sent = ctx.sent.clone();
    let head = Bytes::from_static(br#"{"code":200,"msg":""#);
    let pad = Bytes::from(vec![b'a'; CHUNK]);
    let total = len.unwrap_or(usize::MAX);
    let chunks = futures::stream::iter(std::iter::once(head.clone()).chain(std::iter::repeat(pad)))
        .scan(0usize, move |offset, chunk| {
            let left = total.saturating_sub(*offset);
            if left == 0 {
                return futures::future::ready(None);
            }
            let chunk = chunk.slice(..chunk.len().min(left));
            *offset += chunk.len();
            futures::future::ready(Some(chunk))
        })
        .map(move |chunk| {
            sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            Ok::<_, std::io::Error>(chunk)
        });
    Body::from_stream(chunks)
}

/// A result file that never finishes: one byte every `drip_every`.
async fn drip(State(ctx): State<Ctx>) -> Response {
    ctx.file_requests.fetch_add(1, Ordering::SeqCst);
    let every = ctx.drip_every;
    let bytes = futures::stream::repeat(()).then(move |()| async move {
        tokio::time::sleep(every).await;
        // MPEG frame sync bytes: it starts like audio, and never ends.
        Ok::<_, std::io::Error>(Bytes::from_static(b"\xff"))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "audio/mpeg")],
        Body::from_stream(bytes),
    )
        .into_response()
}
