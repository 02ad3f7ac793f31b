//! A result URL that answers 200 with a page instead of audio: `klang
//! download` refuses it (exit 4, one line naming what came), keeps nothing
//! under an audio name (no file, no `.part`), leaves the task downloadable,
//! and the next real answer downloads fine. A file an older klang saved
//! from such a page is replaced by the next download, not joined by a `-2`
//! copy. The dashboard shows the same one-line reason.
//!
//! Against a server written here: the API (a task that completes on its
//! first query) and the file host, whose answer the test switches.

use crate::common;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::home::{Home, json, stderr};
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const KEY: &str = "sk-not-audio-test";
const PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Link expired</title></head>\
    <body><h1>This link has expired</h1><p>Please sign in again.</p></body></html>";
const ERROR_JSON: &str = r#"{"code":403,"msg":"signature expired","requestId":"abc123"}"#;

/// What the file host answers (always HTTP 200).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Answer {
    Page,
    Json,
    Audio,
}

#[derive(Clone)]
struct Ctx {
    addr: SocketAddr,
    answer: Arc<Mutex<Answer>>,
}

struct Server {
    addr: SocketAddr,
    answer: Arc<Mutex<Answer>>,
}

impl Server {
    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }
}

fn audio_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio/stereo_44k.mp3")
}

async fn start() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(Mutex::new(Answer::Page));
    let ctx = Ctx {
        addr,
        answer: answer.clone(),
    };
    let app = Router::new()
        .route("/api/v1/audio/generations", get(query).post(create))
        .route("/files/result.mp3", get(file))
        .with_state(ctx);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { addr, answer }
}

async fn create() -> Response {
    axum::Json(json!({"code": 200, "msg": "success", "data": {
        "taskId": "clnotaudio00000000000001", "state": "pending",
        "model": "kling-audio/kling-sound-effects"}}))
    .into_response()
}

async fn query(State(ctx): State<Ctx>, Query(q): Query<HashMap<String, String>>) -> Response {
    let id = q.get("task_id").cloned().unwrap_or_default();
    axum::Json(json!({"code": 200, "msg": "success", "data": {
        "taskId": id, "state": "completed", "model": "kling-audio/kling-sound-effects",
        "resultUrls": [format!("http://{}/files/result.mp3", ctx.addr)],
        "createTime": 1_705_123_450_000i64, "completeTime": 1_705_123_500_000i64}}))
    .into_response()
}

/// Like a CDN in front of an expired link: 200, and a body that is not
/// audio (labelled as audio, for the page: the type alone proves nothing).
async fn file(State(ctx): State<Ctx>) -> Response {
    let answer = *ctx.answer.lock().unwrap();
    match answer {
        Answer::Page => ([(header::CONTENT_TYPE, "audio/mpeg")], PAGE).into_response(),
        Answer::Json => ([(header::CONTENT_TYPE, "application/json")], ERROR_JSON).into_response(),
        Answer::Audio => (
            [(header::CONTENT_TYPE, "audio/mpeg")],
            std::fs::read(audio_fixture()).unwrap(),
        )
            .into_response(),
    }
}

/// A completed task (submitted through the server), not downloaded.
async fn completed_task(home: &Home, server: &Server) -> String {
    home.submitted_sfx(KEY, &server.base_url(), "rain on a tin roof")
        .await
}

async fn download(home: &Home, server: &Server, id: &str) -> std::process::Output {
    home.run(
        Some(KEY),
        &["--base-url", &server.base_url(), "download", id],
    )
    .await
}

/// Every name in the download folder (hidden `.part` files too).
fn downloads(home: &Home) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(home.downloads())
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn an_html_or_json_answer_is_refused_with_nothing_kept_then_audio_downloads() {
    let server = start().await;
    let home = Home::new();
    let id = completed_task(&home, &server).await;
    let local: i64 = id.parse().unwrap();

    for (answer, what) in [(Answer::Page, "an HTML page"), (Answer::Json, "JSON")] {
        server.answer(answer);
        let out = download(&home, &server, &id).await;
        assert_eq!(out.status.code(), Some(4), "{answer:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("the result URL answered with {what}, not audio")),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(
            downloads(&home),
            Vec::<String>::new(),
            "{answer:?}: nothing kept"
        );
        let row = home.store().get(local).unwrap();
        assert_eq!(row.state, klang::store::LocalState::Completed);
        assert_eq!(row.local_path, None, "{answer:?}");
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|e| e.contains("not audio")),
            "{row:?}"
        );
    }

    // The same task, once the host answers with the file.
    server.answer(Answer::Audio);
    let out = download(&home, &server, &id).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let saved = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        std::fs::read(audio_fixture()).unwrap()
    );
    assert_eq!(downloads(&home).len(), 1, "{:?}", downloads(&home));
    let row = home.store().get(local).unwrap();
    assert_eq!(
        row.local_path.as_deref().map(Path::new),
        Some(saved.as_path())
    );
    assert_eq!(row.last_error, None);
}

#[tokio::test]
async fn a_saved_page_is_replaced_by_the_next_download_not_joined_by_a_copy() {
    let server = start().await;
    let home = Home::new();
    let id = completed_task(&home, &server).await;
    let local: i64 = id.parse().unwrap();
    server.answer(Answer::Audio);
    let out = download(&home, &server, &id).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let saved = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let name = downloads(&home);

    // What an older klang kept: the page under the audio name, measured
    // as not decoding.
    std::fs::write(&saved, PAGE).unwrap();
    let shown = json(&home.run(None, &["show", &id, "--json"]).await);
    assert!(shown["audio_error"].is_string(), "{shown}");

    let out = download(&home, &server, &id).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let again = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(again, saved, "the broken file's name, not a -2 copy");
    assert_eq!(downloads(&home), name);
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        std::fs::read(audio_fixture()).unwrap()
    );
    // Measured anew: the old failure does not stick to the new file.
    let shown = json(&home.run(None, &["show", &id, "--json"]).await);
    assert!(shown["audio"]["duration_s"].as_f64().is_some(), "{shown}");

    // A page kept under another name is removed once the file is in.
    let page = home.downloads().join("result-page.mp3");
    std::fs::write(&page, PAGE).unwrap();
    home.store().set_local_path(local, &page).unwrap();
    let out = download(&home, &server, &id).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!page.exists(), "the page is gone");
    let names = downloads(&home);
    assert_eq!(names.len(), 2, "the good file and the new one: {names:?}");
}

#[tokio::test]
async fn the_dashboard_says_why_in_one_line() {
    use crossterm::event::KeyCode;
    use klang::store::LocalState;
    use klang::tui::harness::Runner;
    let server = start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut r = Runner::on_server(dir.path(), &server.base_url(), KEY, 120, 40);
    r.key(KeyCode::Char('n'));
    r.type_text("rain on a tin roof");
    r.key(KeyCode::Enter);
    r.wait_for("completion", |a| {
        a.selected()
            .is_some_and(|t| t.state == LocalState::Completed)
    })
    .await;
    r.key(KeyCode::Esc);
    r.key(KeyCode::Char('d'));
    r.wait_for("the refusal", |a| {
        a.toasts
            .iter()
            .any(|t| t.error && t.text.contains("answered with an HTML page, not audio"))
    })
    .await;
    let toast = r
        .app
        .toasts
        .iter()
        .find(|t| t.error)
        .map(|t| t.text.clone())
        .unwrap();
    assert!(!toast.contains('\n'), "{toast}");
    let task = r.app.selected().unwrap();
    assert_eq!(task.local_path, None);
    assert!(
        task.last_error
            .as_deref()
            .is_some_and(|e| e.contains("not audio")),
        "{task:?}"
    );
    let files: Vec<_> = std::fs::read_dir(dir.path().join("downloads"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(files.is_empty(), "{files:?}");
}
