//! Hostile input: text that would drive the terminal, and servers that try
//! to pull the key elsewhere.

use crate::common;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::any;
use common::home::{Home, json, stderr};
use common::*;
use klang::api::ApiError;
use klang::store::LocalState;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Escape sequences and characters that must never reach a terminal raw.
const HOSTILE: &str = "boom\x1b]52;c;ZXZpbA==\x07 \x1b[31mred\x1b[0m \r\u{202e}txt.exe \u{9b}2J";

fn has_raw_controls(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

#[tokio::test]
async fn server_and_user_text_is_shown_never_executed_by_the_cli() {
    let home = Home::new();
    let store = home.store();
    let id = store.insert_intent(&sfx(HOSTILE, "5.0"), false).unwrap();
    store.mark_submitted(id, "clhostile").unwrap();
    let status = klang::api::TaskStatus {
        state: Some(klang::api::RemoteState::Failed),
        fail_msg: Some(HOSTILE.into()),
        result_urls: vec![format!("https://x.example/{HOSTILE}.mp3")],
        ..Default::default()
    };
    assert_eq!(
        store.apply_status(id, &status).unwrap().after.state,
        LocalState::Failed
    );
    drop(store);
    for args in [vec!["show", "1"], vec!["list"]] {
        let out = home.run(None, &args).await;
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("boom"), "{text}");
        assert!(
            !has_raw_controls(&text),
            "{args:?} printed raw controls: {text:?}"
        );
    }
}

#[tokio::test]
async fn the_key_does_not_follow_a_redirect_to_another_host() {
    // Host B records any Authorization header that reaches it.
    let leaked = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = leaked.clone();
    let b = Router::new().fallback(any(move |headers: HeaderMap| {
        let record = record.clone();
        async move {
            if let Some(v) = headers.get(header::AUTHORIZATION) {
                record
                    .lock()
                    .unwrap()
                    .push(v.to_str().unwrap_or("?").to_string());
            }
            StatusCode::OK
        }
    }));
    let b_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_addr = b_listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(b_listener, b).await });
    // Host A, the configured API, redirects everything to B.
    let a = Router::new().fallback(any(move || async move {
        (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, format!("http://{b_addr}/steal"))],
        )
            .into_response()
    }));
    let a_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a_addr = a_listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(a_listener, a).await });

    let api = client(&format!("http://{a_addr}"), "sk-test-SECRET");
    let err = api.create(&sfx("x", "5.0")).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Unexpected { status: 307, .. }),
        "{err:?}"
    );
    let err = api.query("cl1").await.unwrap_err();
    assert!(
        matches!(err, ApiError::Unexpected { status: 307, .. }),
        "{err:?}"
    );
    assert!(
        leaked.lock().unwrap().is_empty(),
        "the key reached another host"
    );
}

#[test]
fn terminal_safe_neutralises_every_escape() {
    let safe = klang::sanitize::terminal_safe(HOSTILE);
    assert!(safe.contains("boom") && safe.contains("red"));
    assert!(!has_raw_controls(&safe), "{safe:?}");
}

/// At most this many answer bytes may leave the hostile server before klang
/// hangs up: the 256 KiB cap plus what loopback socket buffers hold.
const SENT_BOUND: u64 = 24 * 1024 * 1024;

#[tokio::test]
async fn an_endless_answer_is_cut_at_the_cap_for_creates_and_queries() {
    let api = hostile_api::start(
        hostile_api::Answer::Endless,
        hostile_api::Answer::Endless,
        Duration::from_secs(1),
    )
    .await;
    let client = client(&api.base_url(), "sk-test");
    let bounded = Duration::from_secs(10);
    let err = tokio::time::timeout(bounded, client.create(&sfx("x", "5.0")))
        .await
        .expect("the read stops at the cap, long before the request timeout")
        .unwrap_err();
    assert!(matches!(err, ApiError::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("answer too large"), "{err}");
    assert!(
        !err.create_certainly_refused(),
        "a cut-off create may exist"
    );
    let err = tokio::time::timeout(bounded, client.query("cl1"))
        .await
        .expect("bounded")
        .unwrap_err();
    assert!(matches!(err, ApiError::TooLarge { .. }), "{err:?}");
    assert!(
        api.bytes_sent() < SENT_BOUND,
        "{} bytes left the server",
        api.bytes_sent()
    );
}

#[tokio::test]
async fn a_huge_answer_is_refused_whether_announced_or_not() {
    let huge = 64 * 1024 * 1024;
    let api = hostile_api::start(
        hostile_api::Answer::Huge(huge),
        hostile_api::Answer::Announced(huge),
        Duration::from_secs(1),
    )
    .await;
    let client = client(&api.base_url(), "sk-test");
    let err = client.create(&sfx("x", "5.0")).await.unwrap_err();
    assert!(matches!(err, ApiError::TooLarge { .. }), "{err:?}");
    let err = client.query("cl1").await.unwrap_err();
    assert!(matches!(err, ApiError::TooLarge { .. }), "{err:?}");
    assert!(
        api.bytes_sent() < SENT_BOUND,
        "{} bytes left the server",
        api.bytes_sent()
    );
}

/// `klang submit sfx` (plus `extra`) against an API whose create answer
/// never ends, so the size cap cuts it off.
async fn submit_cut_off(extra: &[&str]) -> (Home, std::process::Output) {
    let api = hostile_api::start(
        hostile_api::Answer::Endless,
        hostile_api::Answer::Honest("pending"),
        Duration::from_secs(1),
    )
    .await;
    let home = Home::new();
    let base = api.base_url();
    let mut args = vec!["--base-url", &base, "submit", "sfx", "--prompt", "endless"];
    args.extend(extra);
    let out = home.run(Some("sk-test"), &args).await;
    (home, out)
}

#[tokio::test]
async fn a_create_cut_off_at_the_cap_is_submit_unknown_in_the_cli() {
    let (home, out) = submit_cut_off(&[]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("answer too large"),
        "{}",
        stderr(&out)
    );
    let row = home.store().get(1).unwrap();
    assert_eq!(row.state, LocalState::SubmitUnknown);
}

#[tokio::test]
async fn a_create_refused_inside_an_http_200_does_not_promise_a_retry() {
    let api = hostile_api::start(
        hostile_api::Answer::Envelope500,
        hostile_api::Answer::Honest("pending"),
        Duration::from_secs(1),
    )
    .await;
    let err = client(&api.base_url(), "sk-test")
        .create(&sfx("x", "5.0"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("retries"), "{err}");
}

#[tokio::test]
async fn json_still_names_the_paid_task_when_a_local_step_fails_after_the_create() {
    let api = hostile_api::start(
        hostile_api::Answer::Honest("pending"),
        hostile_api::Answer::Honest("completed"),
        Duration::from_millis(10),
    )
    .await;
    let home = Home::new();
    // A download directory that cannot exist (its parent is a file), which
    // stops even root.
    let blocker = home.dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let base = api.base_url();
    let out = home
        .cmd(Some("sk-test"))
        .env("KLANG_DOWNLOAD_DIR", blocker.join("downloads"))
        .args(["--base-url", &base, "submit", "sfx", "--prompt", "paid"])
        .args(["--wait", "--download", "--json"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["task_id"], hostile_api::CREATED_ID, "{doc}");
    assert_eq!(doc["state"], "completed", "{doc}");
    assert!(
        doc["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{doc}"
    );
}

#[tokio::test]
async fn json_prints_the_row_of_a_create_that_was_cut_off() {
    let (_home, out) = submit_cut_off(&["--json"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["state"], "submit-unknown", "{doc}");
    assert!(
        doc["error"]
            .as_str()
            .is_some_and(|e| e.contains("answer too large")),
        "{doc}"
    );
}
