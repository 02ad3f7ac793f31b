//! The callback receiver against the sandbox's real callback delivery, and
//! against forged, duplicate, oversized and malformed posts.

use crate::common;

use common::*;
use klang::engine::callbacks::{self, callback_path};
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig};
use klang::store::LocalState;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

async fn harness_with_receiver(
    sb: &klang::sandbox::SandboxHandle,
) -> (Harness, callbacks::CallbackReceiver, String) {
    harness_with_limits(&sb.base_url(), callbacks::ReceiverLimits::default()).await
}

/// An engine on the API at `base` with a callback receiver.
async fn harness_with_limits(
    base: &str,
    limits: callbacks::ReceiverLimits,
) -> (Harness, callbacks::CallbackReceiver, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(klang::store::Store::open(&dir.path().join("t.db")).unwrap());
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let mut config = klang::engine::EngineConfig::new(dir.path().join("downloads"));
    config.poll = fast_policy();
    // First poll after a minute: any earlier completion came from a callback.
    config.poll.first = Duration::from_secs(60);
    config.poll.with_callback = Duration::from_secs(60);
    let engine = klang::engine::Engine::start(
        client(base, SANDBOX_KEY),
        store.clone(),
        config,
        std::sync::Arc::new(move |e| {
            let _ = tx.send(e);
        }),
    );
    let token = callbacks::new_token();
    let receiver = callbacks::start_with_limits(
        "127.0.0.1:0".parse().unwrap(),
        token.clone(),
        engine.clone(),
        limits,
    )
    .await
    .unwrap();
    let url = format!("http://{}{}", receiver.addr(), callback_path(&token));
    engine.set_callback_url(Some(url.clone()));
    let h = Harness {
        dir,
        store,
        engine,
        events,
    };
    (h, receiver, url)
}

#[tokio::test]
async fn a_callback_completes_a_task_long_before_the_next_poll() {
    let sb = sandbox(100, 200).await;
    let (mut h, receiver, url) = harness_with_receiver(&sb).await;
    let id = h.engine.submit(sfx("thunder", "3.0")).unwrap();
    let row = h.wait_task(id, |r| r.task_id.is_some()).await;
    assert!(row.has_callback);
    // Each task has its own path: the receiver's plus its local id (kept
    // without the token).
    let own = format!("{url}/{id}");
    let token = own.rsplit('/').nth(1).unwrap();
    let kept = own.replace(token, "redacted");
    assert_eq!(row.params.callback_url(), Some(kept.as_str()));
    let done = h.wait_task(id, |r| r.state.is_final()).await;
    let seen_at = klang::store::now_ms();
    assert_eq!(done.state, LocalState::Completed);
    assert_eq!(done.result_urls.len(), 1);
    eprintln!(
        "completed {} ms after the server's completeTime",
        seen_at - done.complete_time.unwrap()
    );
    assert!(sb.stats().callbacks_sent >= 1);
    assert!(
        receiver
            .stats()
            .accepted
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
}

#[tokio::test]
async fn duplicate_callbacks_are_harmless() {
    let sb = sandbox::start(SandboxConfig {
        pending_ms: 50,
        processing_ms: 100,
        callback_duplicates: 4,
        ..Default::default()
    })
    .await
    .unwrap();
    let (mut h, receiver, _) = harness_with_receiver(&sb).await;
    let id = h.engine.submit(sfx("rain", "3.0")).unwrap();
    let done = h.wait_task(id, |r| r.state.is_final()).await;
    assert_eq!(done.state, LocalState::Completed);
    // Let the duplicates arrive.
    for _ in 0..50 {
        if receiver
            .stats()
            .accepted
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 5
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        receiver
            .stats()
            .accepted
            .load(std::sync::atomic::Ordering::Relaxed),
        5
    );
    let rows = h.store.list(&Default::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, LocalState::Completed);
}

#[tokio::test]
async fn forged_oversized_malformed_and_misaddressed_callbacks_change_nothing() {
    let sb = sandbox(5_000, 5_000).await;
    let (mut h, receiver, url) = harness_with_receiver(&sb).await;
    let id = h.engine.submit(sfx("slow one", "3.0")).unwrap();
    let row = h.wait_task(id, |r| r.task_id.is_some()).await;
    let task_id = row.task_id.clone().unwrap();
    let http = reqwest::Client::new();

    // A forged "completed" for a task still pending on the server.
    let forged = serde_json::json!({"code": 200, "msg": "success", "data": {
        "taskId": task_id, "state": "completed", "param": "{}",
        "resultJson": "{\"resultUrls\":[\"https://evil.example/x.mp3\"]}"}});
    let answer = http.post(&url).json(&forged).send().await.unwrap();
    assert_eq!(answer.status(), 200, "answered quickly so senders stop");
    // The engine re-queried; the store holds the server's truth.
    let queries_before = sb.stats().queries;
    for _ in 0..100 {
        if sb.stats().queries > queries_before || h.store.get(id).unwrap().last_poll_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let row = h.wait_task(id, |r| r.last_poll_at.is_some()).await;
    assert_eq!(row.state, LocalState::Pending);
    assert!(
        row.result_urls.is_empty(),
        "forged URL recorded: {:?}",
        row.result_urls
    );

    // Wrong token, oversized body, not JSON.
    let wrong = url.replace(&url[url.len() - 6..], "000000");
    assert_eq!(
        http.post(&wrong)
            .json(&forged)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let big = vec![b'x'; 65 * 1024];
    assert_eq!(
        http.post(&url).body(big).send().await.unwrap().status(),
        413
    );
    let junk = http.post(&url).body("<html>").send().await.unwrap();
    assert_eq!(junk.status(), 400);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 405);

    // The receiver still serves after all that.
    let unknown = serde_json::json!({"data": {"taskId": "clnope", "state": "failed"}});
    assert_eq!(
        http.post(&url)
            .json(&unknown)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        receiver
            .stats()
            .rejected
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    );
    assert_eq!(h.store.count().unwrap(), 1);
}

/// A client that sends a request's first line and then one header byte
/// every 100 ms, forever. Returns once the receiver has closed it.
async fn slow_client(addr: std::net::SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut conn) = tokio::net::TcpStream::connect(addr).await else {
        return;
    };
    let mut first = b"POST /klang/callback/slow HTTP/1.1\r\nHost: x\r\nX-Slow: ".to_vec();
    loop {
        if conn.write_all(&first).await.is_err() {
            return;
        }
        first = b"a".to_vec();
        let mut byte = [0u8; 1];
        let answer = tokio::time::timeout(Duration::from_millis(100), conn.read(&mut byte));
        if let Ok(Ok(0) | Err(_)) = answer.await {
            return;
        }
    }
}

/// 300 slow connections (more than the cap of 256 without a token) against a receiver with
/// short read timeouts: every one of them is cut, and the sandbox's real
/// callback still lands while they are open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_connections_are_cut_and_the_real_callback_still_lands() {
    let sb = sandbox(300, 300).await;
    let limits = callbacks::ReceiverLimits {
        header_timeout: Duration::from_millis(1500),
        body_timeout: Duration::from_millis(1500),
        max_unauthenticated: 256,
        ..Default::default()
    };
    let (mut h, receiver, _) = harness_with_limits(&sb.base_url(), limits).await;
    let addr = receiver.addr();
    let flood: Vec<_> = (0..300).map(|_| tokio::spawn(slow_client(addr))).collect();
    let id = h.engine.submit(sfx("through the flood", "3.0")).unwrap();
    // The first poll is a minute away: only the callback can complete it.
    let done = h.wait_task(id, |r| r.state.is_final()).await;
    assert_eq!(done.state, LocalState::Completed);
    let accepted = receiver
        .stats()
        .accepted
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        accepted >= 1,
        "the real callback never reached the receiver"
    );
    // Without a read timeout these clients would talk forever; the limit
    // of 30 s only fails the test.
    let all_cut = tokio::time::timeout(Duration::from_secs(30), futures::future::join_all(flood));
    assert!(all_cut.await.is_ok(), "slow connections were left open");
}

/// In front of the sandbox: forwards queries, and forwards creates (while
/// `forward` is set) but answers them without a taskId, as if the answer
/// were lost; with `forward` unset the create never reaches the sandbox.
async fn losing_proxy(sandbox: String, forward: Arc<AtomicBool>) -> String {
    use axum::http::{HeaderMap, Uri};
    use axum::routing::get;
    let http = reqwest::Client::new();
    let (create_http, create_base) = (http.clone(), sandbox.clone());
    let create = move |headers: HeaderMap, body: axum::body::Bytes| async move {
        if forward.load(Ordering::SeqCst) {
            let auth = headers[axum::http::header::AUTHORIZATION].clone();
            let sent = create_http
                .post(format!("{create_base}/api/v1/audio/generations"))
                .header("authorization", auth.to_str().unwrap())
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            assert!(sent.unwrap().status().is_success());
        }
        axum::Json(serde_json::json!({"code": 200, "msg": "success", "data": {"state": "pending"}}))
    };
    let query = move |headers: HeaderMap, uri: Uri| async move {
        let auth = headers[axum::http::header::AUTHORIZATION].clone();
        let answer = http
            .get(format!("{sandbox}{uri}"))
            .header("authorization", auth.to_str().unwrap())
            .send()
            .await
            .unwrap();
        let status = axum::http::StatusCode::from_u16(answer.status().as_u16()).unwrap();
        (status, answer.bytes().await.unwrap())
    };
    let app = axum::Router::new().route("/api/v1/audio/generations", get(query).post(create));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A create whose answer was lost is found again by its own callback; a
/// forged callback for a row whose create never arrived changes nothing.
#[tokio::test]
async fn a_lost_create_is_recovered_by_its_callback_and_a_forged_one_is_refused() {
    let sb = sandbox(100, 200).await;
    let forward = Arc::new(AtomicBool::new(true));
    let proxy = losing_proxy(sb.base_url(), forward.clone()).await;
    let (mut h, _receiver, url) = harness_with_limits(&proxy, Default::default()).await;
    let id = h.engine.submit(sfx("answer lost", "3.0")).unwrap();
    let lost = h.wait_task(id, |r| r.state != LocalState::Submitting).await;
    assert_eq!(lost.state, LocalState::SubmitUnknown, "{lost:?}");
    assert!(
        lost.last_error
            .unwrap()
            .contains("its callback will attach it")
    );
    // The sandbox made the task and posts its callback to the row's path.
    // (submit-unknown is final too: wait for the row to move on from it.)
    let done = h.wait_task(id, |r| r.state == LocalState::Completed).await;
    assert!(done.task_id.as_deref().is_some_and(|t| t.starts_with("cl")));
    assert!(done.recovered_at.is_some());
    assert_eq!(done.result_urls.len(), 1);

    // This create never reaches the sandbox: no task exists for it.
    forward.store(false, Ordering::SeqCst);
    let other = h.engine.submit(sfx("never made", "3.0")).unwrap();
    h.wait_task(other, |r| r.state == LocalState::SubmitUnknown)
        .await;
    let forged = [
        // A task id the API does not know...
        "clforged0000000000000000000".to_string(),
        // ...and the first row's real one, which is that row's already.
        done.task_id.clone().unwrap(),
    ];
    for task_id in &forged {
        let body =
            serde_json::json!({"code": 200, "data": {"taskId": task_id, "state": "completed"}});
        let posted = reqwest::Client::new()
            .post(format!("{url}/{other}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(posted.status().is_success());
        h.wait_event(|e| matches!(e, klang::engine::EngineEvent::Notice(n) if n.contains(&format!("callback for #{other} was refused"))))
            .await;
    }
    let row = h.store.get(other).unwrap();
    assert_eq!(row.state, LocalState::SubmitUnknown);
    assert_eq!(row.task_id, None);
    assert_eq!(row.recovered_at, None);
}
