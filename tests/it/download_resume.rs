//! Resuming a download whose file may have changed meanwhile: If-Range
//! against a host that honours it.

use crate::download_support;

use download_support::*;

use axum::Router;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use futures::StreamExt;
use klang::engine::download::Downloader;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A file that can change under the same URL, with a strong ETag, that
/// honours Range only when If-Range still matches (RFC 9110), and can cut
/// its first answer short.
struct Changing {
    version: AtomicUsize,
    cut_next: std::sync::atomic::AtomicBool,
    seen: Mutex<Vec<(Option<String>, Option<String>)>>,
}

fn version_bytes(version: usize) -> Vec<u8> {
    wav::as_wav(
        (0..200_000u32)
            .map(|i| (i as usize * version % 251) as u8)
            .collect(),
    )
}

async fn changing(State(c): State<Arc<Changing>>, headers: HeaderMap) -> Response {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let (range, if_range) = (header(header::RANGE), header(header::IF_RANGE));
    c.seen
        .lock()
        .unwrap()
        .push((range.clone(), if_range.clone()));
    let version = c.version.load(Ordering::SeqCst);
    let etag = format!("\"v{version}\"");
    let body = version_bytes(version);
    let offset = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
        .filter(|_| if_range.as_deref().is_none_or(|v| v == etag));
    let cut = c.cut_next.swap(false, Ordering::SeqCst);
    let (status, start) = match offset {
        Some(o) if o < body.len() => (StatusCode::PARTIAL_CONTENT, o),
        _ => (StatusCode::OK, 0),
    };
    let tail = body[start..].to_vec();
    let len = tail.len();
    let stream: futures::stream::BoxStream<'static, Result<Bytes, std::io::Error>> = if cut {
        let head = Bytes::copy_from_slice(&tail[..50_000]);
        futures::stream::once(async move { Ok(head) })
            .chain(futures::stream::once(async {
                // Let the first bytes reach the client before the failure.
                tokio::time::sleep(Duration::from_millis(150)).await;
                Err(std::io::Error::other("cut"))
            }))
            .boxed()
    } else {
        futures::stream::once(async move { Ok(Bytes::from(tail)) }).boxed()
    };
    let mut response = Response::builder()
        .status(status)
        .header(header::ETAG, etag)
        .header(header::CONTENT_TYPE, "audio/mpeg")
        .header(header::CONTENT_LENGTH, len);
    if status == StatusCode::PARTIAL_CONTENT {
        response = response.header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{}", body.len() - 1, body.len()),
        );
    }
    response.body(Body::from_stream(stream)).unwrap()
}

/// Serves version `version` of the changing file, cutting the first answer.
async fn serve_changing(version: usize) -> (Arc<Changing>, String) {
    let state = Arc::new(Changing {
        version: AtomicUsize::new(version),
        cut_next: std::sync::atomic::AtomicBool::new(true),
        seen: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/changing.mp3", get(changing))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/changing.mp3", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (state, url)
}

#[tokio::test]
async fn a_file_that_changed_since_the_interruption_is_fetched_whole_not_spliced() {
    let (state, url) = serve_changing(1).await;
    let dir = tempfile::tempdir().unwrap();
    let downloader = Downloader::new().unwrap();
    let t = task(41, "changing file", Some("clchanging"));

    // First try: cut after 50,000 bytes of version 1.
    let (first, _) = fetch(&downloader, &t, &url, dir.path()).await;
    assert!(first.is_err(), "{first:?}");
    // Meanwhile the file behind the same URL is replaced.
    state.version.store(2, Ordering::SeqCst);
    let (second, _) = fetch(&downloader, &t, &url, dir.path()).await;
    let path = second.unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        version_bytes(2),
        "bytes of two versions spliced"
    );
    let seen = state.seen.lock().unwrap().clone();
    assert_eq!(
        seen[1].1.as_deref(),
        Some("\"v1\""),
        "resume asked If-Range: {seen:?}"
    );
    assert!(
        seen[1]
            .0
            .as_deref()
            .is_some_and(|r| r.starts_with("bytes="))
    );
    // Nothing left behind but the file.
    assert_eq!(tree(dir.path()).len(), 1, "{:?}", tree(dir.path()));
}

#[tokio::test]
async fn an_unchanged_file_still_resumes_with_if_range() {
    let (state, url) = serve_changing(3).await;
    let dir = tempfile::tempdir().unwrap();
    let downloader = Downloader::new().unwrap();
    let t = task(42, "same file", Some("clsame"));
    assert!(fetch(&downloader, &t, &url, dir.path()).await.0.is_err());
    let path = fetch(&downloader, &t, &url, dir.path()).await.0.unwrap();
    assert!(
        std::fs::read(&path).unwrap() == version_bytes(3),
        "resumed bytes differ"
    );
    let seen = state.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].1.as_deref(), Some("\"v3\""));
    assert_eq!(tree(dir.path()).len(), 1, "{:?}", tree(dir.path()));
}
