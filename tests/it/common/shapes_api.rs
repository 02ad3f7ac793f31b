//! A third contract server, written apart from the sandbox and `mini_api`,
//! whose query answers take the callback's shape (docs/api.md, "Answers in
//! either shape"): `resultJson` and `param` as JSON strings, `failCode`,
//! `costTime`, and no `resultUrls` or `audioDuration` at the top of `data`.
//! `Shape::Mixed` adds an empty top-level `resultUrls` beside `resultJson`.
//! Any model is accepted; a prompt or text containing "fail" fails.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// Only the callback's fields.
    Callback,
    /// The callback's fields plus an empty `resultUrls`.
    Mixed,
}

/// The audio length every completed task reports, in seconds.
pub const AUDIO_SECONDS: f64 = 6.25;
pub const FAIL_MESSAGE: &str = "Content policy violation";

#[derive(Clone)]
struct Ctx {
    key: String,
    addr: SocketAddr,
    shape: Shape,
    /// Create bodies by task id.
    tasks: Arc<Mutex<HashMap<String, Value>>>,
}

pub struct ShapesApi {
    pub addr: SocketAddr,
    tasks: Arc<Mutex<HashMap<String, Value>>>,
}

impl ShapesApi {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn creates(&self) -> usize {
        self.tasks.lock().unwrap().len()
    }
}

pub async fn start(key: &str, shape: Shape) -> ShapesApi {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tasks = Arc::new(Mutex::new(HashMap::new()));
    let ctx = Ctx {
        key: key.to_string(),
        addr,
        shape,
        tasks: tasks.clone(),
    };
    let app = Router::new()
        .route("/api/v1/audio/generations", get(query).post(create))
        .route("/files/{name}", get(file))
        .with_state(ctx);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    ShapesApi { addr, tasks }
}

fn authorized(ctx: &Ctx, headers: &HeaderMap) -> bool {
    super::mini_api::bearer_is(headers, &ctx.key)
}

async fn create(State(ctx): State<Ctx>, headers: HeaderMap, body: String) -> Response {
    if !authorized(&ctx, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            "{\"code\":400,\"msg\":\"bad json\"}",
        )
            .into_response();
    };
    let model = request["model"].as_str().unwrap_or_default().to_string();
    let mut tasks = ctx.tasks.lock().unwrap();
    let task_id = format!("shape{:020}", tasks.len() + 1);
    tasks.insert(task_id.clone(), request);
    axum::Json(json!({"code": 200, "msg": "success",
        "data": {"taskId": task_id, "state": "pending", "model": format!("kling-audio/{model}")}}))
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
    let id = q.get("task_id").cloned().unwrap_or_default();
    let Some(request) = ctx.tasks.lock().unwrap().get(&id).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            "{\"code\":404,\"msg\":\"Task not found\"}",
        )
            .into_response();
    };
    let words = format!("{} {}", request["prompt"], request["text"]);
    let failed = words.contains("fail");
    let model = request["model"].as_str().unwrap_or_default();
    let mut data = json!({
        "taskId": id,
        "model": format!("kling-audio/{model}"),
        "state": if failed { "failed" } else { "completed" },
        // JSON strings holding JSON, as the callback carries them.
        "param": request.to_string(),
        "resultJson": if failed { Value::Null } else {
            Value::String(json!({
                "resultUrls": [format!("http://{}/files/{id}.mp3", ctx.addr)],
                "audioDuration": AUDIO_SECONDS,
            }).to_string())
        },
        "failCode": if failed { json!("1301") } else { Value::Null },
        "failMsg": if failed { json!(FAIL_MESSAGE) } else { Value::Null },
        "costTime": 4100,
        "createTime": 1_705_123_450_000i64,
        "completeTime": 1_705_123_454_100i64,
    });
    if matches!(ctx.shape, Shape::Mixed) {
        data["resultUrls"] = json!([]);
    }
    axum::Json(json!({"code": 200, "msg": "success", "data": data})).into_response()
}

async fn file() -> Response {
    (
        [(header::CONTENT_TYPE, "audio/mpeg")],
        super::mini_api::file_bytes(),
    )
        .into_response()
}
