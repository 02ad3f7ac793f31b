//! The downloader against a real HTTP server on loopback.

use axum::Router;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use klang::api::{CreateRequest, Model, SoundEffectsParams};
use klang::engine::download::{DownloadError, DownloadOptions, Downloader, part_name};
use klang::store::{LocalState, TaskRecord};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Noon UTC on 2026-11-24.
const NOON: i64 = 1_795_521_600_000;

/// `rest` after the local date of NOON, as names start: no fixed zone can
/// be assumed (UTC+13 is already the 25th).
fn named(rest: &str) -> String {
    use chrono::TimeZone;
    let day = chrono::Local.timestamp_millis_opt(NOON).earliest().unwrap();
    format!("{}_{rest}", day.format("%Y-%m-%d"))
}
/// Bytes the cut-off route sends before failing.
const CUT_AT: usize = 100_000;

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    range: Option<String>,
    authorization: bool,
    cookie: bool,
}

struct Server {
    base: String,
    data: Arc<Vec<u8>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// Every test ends here: no credential ever reached the file host.
    fn assert_no_credentials(&self) {
        for s in self.seen() {
            assert!(!s.authorization, "Authorization sent to {}", s.path);
            assert!(!s.cookie, "Cookie sent to {}", s.path);
        }
    }
}

#[derive(Clone)]
struct AppState {
    data: Arc<Vec<u8>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    cut_requests: Arc<AtomicUsize>,
}

impl AppState {
    fn record(&self, uri: &Uri, headers: &HeaderMap) -> Option<String> {
        let range = headers
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        self.seen.lock().unwrap().push(Seen {
            path: uri.path().to_string(),
            range: range.clone(),
            authorization: headers.contains_key(header::AUTHORIZATION),
            cookie: headers.contains_key(header::COOKIE),
        });
        range
    }
}

/// Honours `Range: bytes=N-` the way a CDN does.
fn ranged(data: &[u8], range: Option<&str>, content_type: &'static str) -> Response {
    let len = data.len();
    let start = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    match start {
        Some(n) if n >= len => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{len}"))],
        )
            .into_response(),
        Some(n) => (
            StatusCode::PARTIAL_CONTENT,
            [
                (
                    header::CONTENT_RANGE,
                    format!("bytes {n}-{}/{len}", len - 1),
                ),
                (header::CONTENT_TYPE, content_type.to_string()),
            ],
            data[n..].to_vec(),
        )
            .into_response(),
        None => (
            [(header::CONTENT_TYPE, content_type.to_string())],
            data.to_vec(),
        )
            .into_response(),
    }
}

async fn files(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let range = s.record(&uri, &headers);
    ranged(&s.data, range.as_deref(), "audio/mpeg")
}

/// Ignores Range and always sends the whole file, as many servers do.
async fn no_range(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    ([(header::CONTENT_TYPE, "audio/x-wav")], s.data.to_vec()).into_response()
}

async fn missing(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    StatusCode::NOT_FOUND.into_response()
}

/// The first request dies after CUT_AT bytes (the connection drops with
/// the body unfinished); later ones honour Range.
async fn cut(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let range = s.record(&uri, &headers);
    if s.cut_requests.fetch_add(1, Ordering::SeqCst) > 0 {
        return ranged(&s.data, range.as_deref(), "audio/mpeg");
    }
    let head = Bytes::copy_from_slice(&s.data[..CUT_AT]);
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(
        futures::stream::once(async {
            // Let the first bytes reach the client before the failure.
            tokio::time::sleep(Duration::from_millis(150)).await;
            Err(std::io::Error::other("cut"))
        }),
    );
    Response::builder()
        .header(header::CONTENT_LENGTH, s.data.len())
        .header(header::CONTENT_TYPE, "audio/mpeg")
        .body(Body::from_stream(body))
        .unwrap()
}

/// Sends a little, then nothing, forever.
async fn stall(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    let head = Bytes::copy_from_slice(&s.data[..1000]);
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) })
        .chain(futures::stream::pending());
    Response::builder()
        .header(header::CONTENT_LENGTH, s.data.len())
        .body(Body::from_stream(body))
        .unwrap()
}

async fn redirect(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    (StatusCode::FOUND, [(header::LOCATION, "/files/moved.mp3")]).into_response()
}

async fn redirect_loop(State(s): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    s.record(&uri, &headers);
    (StatusCode::FOUND, [(header::LOCATION, "/loop")]).into_response()
}

async fn start() -> Server {
    let data: Arc<Vec<u8>> = Arc::new(
        (0..300_000u32)
            .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
            .collect(),
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = AppState {
        data: data.clone(),
        seen: seen.clone(),
        cut_requests: Arc::new(AtomicUsize::new(0)),
    };
    let app = Router::new()
        .route("/files/{name}", get(files))
        .route("/norange/sound", get(no_range))
        .route("/missing.mp3", get(missing))
        .route("/cut/sound.mp3", get(cut))
        .route("/stall.mp3", get(stall))
        .route("/redirect", get(redirect))
        .route("/loop", get(redirect_loop))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server {
        base: format!("http://{addr}"),
        data,
        seen,
    }
}

fn task(id: i64, prompt: &str, task_id: Option<&str>) -> TaskRecord {
    TaskRecord {
        id,
        task_id: task_id.map(str::to_string),
        model: Model::SoundEffects,
        params: CreateRequest::SoundEffects(SoundEffectsParams {
            prompt: prompt.to_string(),
            duration: "5.0".into(),
            callback_url: None,
        }),
        summary: prompt.to_string(),
        state: LocalState::Completed,
        submitted_at: NOON,
        create_time: Some(NOON),
        complete_time: Some(NOON + 5000),
        result_urls: vec![],
        audio_duration: Some(5.0),
        fail_msg: None,
        cost_usd: 0.0295,
        local_path: None,
        last_poll_at: None,
        last_error: None,
        not_found_count: 0,
        has_callback: false,
        updated_at: NOON,
    }
}

/// Runs a fetch and returns its result with every progress call.
async fn fetch(
    downloader: &Downloader,
    task: &TaskRecord,
    url: &str,
    dir: &Path,
) -> (Result<PathBuf, DownloadError>, Vec<(u64, Option<u64>)>) {
    let mut calls = Vec::new();
    let mut progress = |bytes: u64, total: Option<u64>| calls.push((bytes, total));
    let result = downloader.fetch(task, url, dir, &mut progress).await;
    (result, calls)
}

/// Every path under `root`, relative, sorted.
fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if path.symlink_metadata().unwrap().is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    if root.exists() {
        walk(root, root, &mut out);
    }
    out.sort();
    out
}

#[tokio::test]
async fn downloads_with_the_expected_name_and_progress() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    // A folder that does not exist yet.
    let dir = tmp.path().join("new").join("downloads");
    let task = task(1, "Strong wind in forest", Some("cl3f9a2b-0000"));
    let (result, calls) = fetch(
        &Downloader::new().unwrap(),
        &task,
        &server.url("/files/result.mp3?sig=abc"),
        &dir,
    )
    .await;
    let path = result.unwrap();
    assert_eq!(
        path,
        dir.join(named("sfx_cl3f9a2b_strong-wind-in-forest.mp3"))
    );
    assert_eq!(std::fs::read(&path).unwrap(), *server.data);
    assert_eq!(
        tree(&dir),
        [named("sfx_cl3f9a2b_strong-wind-in-forest.mp3")]
    );

    let len = server.data.len() as u64;
    assert_eq!(calls.first(), Some(&(0, Some(len))));
    assert_eq!(calls.last(), Some(&(len, Some(len))));
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "{calls:?}");
    assert!(calls.iter().all(|c| c.1 == Some(len)));
    // Throttled: about one call per 64 KiB, not one per chunk.
    assert!(
        calls.len() >= 3 && calls.len() <= 12,
        "{} calls",
        calls.len()
    );
    server.assert_no_credentials();
}

#[tokio::test]
async fn never_overwrites_an_existing_file() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = task(2, "rain", Some("abc12345"));
    let url = server.url("/files/r.mp3");
    let downloader = Downloader::new().unwrap();

    let first = fetch(&downloader, &task, &url, dir).await.0.unwrap();
    std::fs::write(&first, b"the user's own edit").unwrap();
    let second = fetch(&downloader, &task, &url, dir).await.0.unwrap();
    let third = fetch(&downloader, &task, &url, dir).await.0.unwrap();

    assert_eq!(first, dir.join(named("sfx_abc12345_rain.mp3")));
    assert_eq!(second, dir.join(named("sfx_abc12345_rain-2.mp3")));
    assert_eq!(third, dir.join(named("sfx_abc12345_rain-3.mp3")));
    assert_eq!(std::fs::read(&first).unwrap(), b"the user's own edit");
    assert_eq!(std::fs::read(&second).unwrap(), *server.data);
    assert_eq!(std::fs::read(&third).unwrap(), *server.data);
    assert_eq!(tree(dir).len(), 3, "{:?}", tree(dir));
    server.assert_no_credentials();
}

#[tokio::test]
async fn an_interrupted_download_resumes_with_a_range_request() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = task(3, "thunder", Some("t3"));
    let url = server.url("/cut/sound.mp3");
    let downloader = Downloader::new().unwrap();

    let (result, _) = fetch(&downloader, &task, &url, dir).await;
    let err = result.unwrap_err();
    assert!(matches!(err, DownloadError::Network(_)), "{err:?}");
    assert!(err.url_may_be_stale());
    let part = part_name(3, &url);
    // Only the hidden partial file: nothing that looks finished.
    assert_eq!(tree(dir), vec![part.clone()]);
    assert_eq!(
        std::fs::metadata(dir.join(&part)).unwrap().len(),
        CUT_AT as u64
    );

    let (result, calls) = fetch(&downloader, &task, &url, dir).await;
    let path = result.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), *server.data);
    assert_eq!(tree(dir), [named("sfx_t3_thunder.mp3")]);
    let seen = server.seen_at("/cut/sound.mp3");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].range, None);
    assert_eq!(
        seen[1].range.as_deref(),
        Some(format!("bytes={CUT_AT}-").as_str())
    );
    // Progress starts at the resume point and counts the whole file.
    let len = server.data.len() as u64;
    assert_eq!(calls.first(), Some(&(CUT_AT as u64, Some(len))));
    assert_eq!(calls.last(), Some(&(len, Some(len))));
    server.assert_no_credentials();
}

#[tokio::test]
async fn a_server_ignoring_range_still_gives_a_correct_file() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = task(4, "waves", Some("w4"));
    let url = server.url("/norange/sound");
    // A stale partial file from an earlier run, with wrong bytes.
    std::fs::write(dir.join(part_name(4, &url)), vec![0xEE; 5000]).unwrap();

    let (result, calls) = fetch(&Downloader::new().unwrap(), &task, &url, dir).await;
    let path = result.unwrap();
    // No audio extension in the URL: the Content-Type decides.
    assert_eq!(path, dir.join(named("sfx_w4_waves.wav")));
    assert_eq!(std::fs::read(&path).unwrap(), *server.data);
    assert_eq!(tree(dir), [named("sfx_w4_waves.wav")]);
    let seen = server.seen_at("/norange/sound");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].range.as_deref(), Some("bytes=5000-"));
    let len = server.data.len() as u64;
    assert_eq!(calls.first(), Some(&(0, Some(len))));
    assert_eq!(calls.last(), Some(&(len, Some(len))));
    server.assert_no_credentials();
}

#[tokio::test]
async fn a_partial_file_longer_than_the_remote_restarts_after_416() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = task(5, "birds", Some("b5"));
    let url = server.url("/files/b.mp3");
    let too_long = server.data.len() + 10;
    std::fs::write(dir.join(part_name(5, &url)), vec![1; too_long]).unwrap();

    let path = fetch(&Downloader::new().unwrap(), &task, &url, dir)
        .await
        .0
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), *server.data);
    let seen = server.seen_at("/files/b.mp3");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].range, Some(format!("bytes={too_long}-")));
    assert_eq!(seen[1].range, None);
    assert_eq!(tree(dir), [named("sfx_b5_birds.mp3")]);
}

#[tokio::test]
async fn not_found_is_an_http_error_and_leaves_nothing() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = task(6, "fire", Some("f6"));
    let (result, _) = fetch(
        &Downloader::new().unwrap(),
        &task,
        &server.url("/missing.mp3?X-Signature=SECRET"),
        dir,
    )
    .await;
    let err = result.unwrap_err();
    match &err {
        DownloadError::Http { status, url } => {
            assert_eq!(*status, 404);
            assert!(url.ends_with("/missing.mp3"), "{url}");
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert!(err.url_may_be_stale());
    // The signed part of the URL never shows up in messages.
    assert!(!err.to_string().contains("SECRET"), "{err}");
    assert!(!err.to_string().contains('\n'));
    assert!(tree(dir).is_empty(), "{:?}", tree(dir));
    server.assert_no_credentials();
}

#[tokio::test]
async fn credentials_in_the_url_are_not_sent_and_redirects_are_followed() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = task(7, "steps", Some("s7"));
    let url = server
        .url("/redirect")
        .replace("http://", "http://user:secret@");
    let path = fetch(&Downloader::new().unwrap(), &task, &url, dir)
        .await
        .0
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), *server.data);
    assert_eq!(server.seen_at("/redirect").len(), 1);
    assert_eq!(server.seen_at("/files/moved.mp3").len(), 1);
    server.assert_no_credentials();
}

#[tokio::test]
async fn redirect_loops_stop_after_five() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let task = task(8, "loop", Some("l8"));
    let (result, _) = fetch(
        &Downloader::new().unwrap(),
        &task,
        &server.url("/loop"),
        tmp.path(),
    )
    .await;
    let err = result.unwrap_err();
    assert!(matches!(err, DownloadError::Network(_)), "{err:?}");
    assert!(err.to_string().contains("redirect"), "{err}");
    assert_eq!(server.seen_at("/loop").len(), 6);
    assert!(tree(tmp.path()).is_empty());
}

#[tokio::test]
async fn only_http_and_https_are_fetched() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("not-created");
    let task = task(9, "x", Some("x9"));
    let downloader = Downloader::new().unwrap();
    for url in [
        "file:///etc/passwd",
        "ftp://127.0.0.1/a.mp3",
        "data:audio/mpeg;base64,AAAA",
        "javascript:alert(1)",
        "/files/a.mp3",
        "",
    ] {
        let (result, calls) = fetch(&downloader, &task, url, &dir).await;
        assert!(
            matches!(result, Err(DownloadError::BadUrl(_))),
            "{url}: {result:?}"
        );
        assert!(calls.is_empty());
    }
    assert!(!dir.exists());
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn hostile_urls_and_prompts_stay_inside_the_folder() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a").join("b");
    let downloader = Downloader::new().unwrap();
    let cases = [
        (
            "../../../../tmp/evil",
            Some("../../x"),
            "/files/..%2F..%2F..%2Fevil.mp3",
        ),
        (
            "\u{202E}3pm.exe",
            Some("/etc/passwd"),
            "/files/a%00b%0A%2F.mp3",
        ),
        (".bashrc", Some(".."), "/files/..%5C..%5Cwin.mp3"),
        ("CON", None, "/files/CON"),
        (
            "🔥 fire\u{0} \n crackle",
            Some("\u{0}\u{0}"),
            "/files/x.mp3",
        ),
    ];
    for (i, (prompt, task_id, path)) in cases.into_iter().enumerate() {
        let task = task(100 + i as i64, prompt, task_id);
        let long_prompt = task.summary.repeat(2000);
        let mut long = task.clone();
        long.summary = long_prompt;
        for t in [&task, &long] {
            let saved = fetch(&downloader, t, &server.url(path), &dir)
                .await
                .0
                .unwrap();
            assert_eq!(saved.parent(), Some(dir.as_path()), "{saved:?}");
            let name = saved.file_name().unwrap().to_str().unwrap();
            assert!(!name.starts_with('.') && name.len() <= 120, "{name}");
            assert_eq!(std::fs::read(&saved).unwrap(), *server.data);
        }
    }
    // Everything written is a plain file directly inside `dir`.
    let all = tree(tmp.path());
    assert_eq!(all.len(), 2 + cases.len() * 2, "{all:?}");
    for entry in &all {
        assert!(
            entry == "a" || entry == "a/b" || entry.starts_with(&format!("a/b/{}", named("sfx_"))),
            "{entry}"
        );
        assert!(!entry.ends_with(".part"), "{entry}");
    }
    server.assert_no_credentials();
}

#[tokio::test]
async fn a_stalled_host_times_out_and_keeps_the_partial_file() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let downloader = Downloader::with_options(DownloadOptions {
        read_timeout: Duration::from_millis(300),
        ..DownloadOptions::default()
    })
    .unwrap();
    let task = task(11, "stall", Some("st11"));
    let url = server.url("/stall.mp3");
    let started = std::time::Instant::now();
    let (result, _) = fetch(&downloader, &task, &url, dir).await;
    assert!(
        matches!(result, Err(DownloadError::Network(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(tree(dir), [part_name(11, &url)]);
    assert_eq!(
        std::fs::metadata(dir.join(part_name(11, &url)))
            .unwrap()
            .len(),
        1000
    );
}

#[tokio::test]
async fn a_second_process_on_the_same_file_is_refused() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = task(12, "busy", Some("bz12"));
    let url = server.url("/files/busy.mp3");
    let held = std::fs::File::create(dir.join(part_name(12, &url))).unwrap();
    held.lock().unwrap();
    let (result, _) = fetch(&Downloader::new().unwrap(), &task, &url, dir).await;
    assert!(
        matches!(result, Err(DownloadError::InProgress { .. })),
        "{result:?}"
    );
    assert!(server.seen().is_empty());
    drop(held);
    let path = fetch(&Downloader::new().unwrap(), &task, &url, dir)
        .await
        .0
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), *server.data);
}

#[tokio::test]
async fn an_oversized_body_is_refused_and_removed() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let downloader = Downloader::with_options(DownloadOptions {
        max_bytes: 1000,
        ..DownloadOptions::default()
    })
    .unwrap();
    let task = task(13, "big", Some("big13"));
    let (result, _) = fetch(&downloader, &task, &server.url("/files/big.mp3"), dir).await;
    assert_eq!(result, Err(DownloadError::TooLarge { limit: 1000 }));
    assert!(tree(dir).is_empty(), "{:?}", tree(dir));
}

#[tokio::test]
async fn partial_files_of_replaced_links_are_cleaned_up() {
    let server = start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = task(14, "old link", Some("o14"));
    // Left by an earlier link of the same task, and by another task.
    let stale = part_name(14, &server.url("/files/expired.mp3"));
    let other = part_name(140, &server.url("/files/expired.mp3"));
    std::fs::write(dir.join(&stale), b"half").unwrap();
    std::fs::write(dir.join(&other), b"half").unwrap();

    let path = fetch(
        &Downloader::new().unwrap(),
        &task,
        &server.url("/files/fresh.mp3"),
        dir,
    )
    .await
    .0
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), *server.data);
    assert_eq!(tree(dir), vec![other, named("sfx_o14_old-link.mp3")]);
}

/// A file that can change under the same URL, with a strong ETag, that
/// honours Range only when If-Range still matches (RFC 9110), and can cut
/// its first answer short.
struct Changing {
    version: AtomicUsize,
    cut_next: std::sync::atomic::AtomicBool,
    seen: Mutex<Vec<(Option<String>, Option<String>)>>,
}

fn version_bytes(version: usize) -> Vec<u8> {
    (0..200_000u32)
        .map(|i| (i as usize * version % 251) as u8)
        .collect()
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

#[tokio::test]
async fn a_file_that_changed_since_the_interruption_is_fetched_whole_not_spliced() {
    let state = Arc::new(Changing {
        version: AtomicUsize::new(1),
        cut_next: std::sync::atomic::AtomicBool::new(true),
        seen: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/changing.mp3", get(changing))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/changing.mp3", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
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
    let state = Arc::new(Changing {
        version: AtomicUsize::new(3),
        cut_next: std::sync::atomic::AtomicBool::new(true),
        seen: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/changing.mp3", get(changing))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/changing.mp3", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
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
