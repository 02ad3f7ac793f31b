//! A file host for the video check, written for the bad cases a user meets:
//! a missing file, an HTML page, a file too large (by its headers only, or
//! by its ranged GET where HEAD understates it),
//! clips too long and too short, a `moov` at the end, a redirect loop, a
//! host that drips one byte at a time, and one whose Content-Length lies.
//! Clips are served with Range; the host counts what it sends.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What `/big.mp4` claims to be.
pub const BIG_BYTES: u64 = 150 * 1024 * 1024;
/// What `/lying.mp4`'s GET claims (under the 100 MB limit).
pub const LYING_BYTES: u64 = 90_000_000;

#[derive(Default)]
struct Files {
    /// Clips served as themselves, by name.
    clips: HashMap<String, Arc<Vec<u8>>>,
}

#[derive(Clone)]
struct Ctx {
    files: Arc<Mutex<Files>>,
    /// Body bytes produced, per name.
    sent: Arc<Mutex<HashMap<String, u64>>>,
}

pub struct VideoHost {
    pub addr: SocketAddr,
    ctx: Ctx,
}

impl VideoHost {
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    /// Serves `bytes` as `name` (also the source of `/big.mp4`'s head and
    /// `/lying.mp4`, which use `good.mp4`).
    pub fn serve(&self, name: &str, bytes: Vec<u8>) {
        let mut files = self.ctx.files.lock().unwrap();
        files.clips.insert(name.to_string(), Arc::new(bytes));
    }

    /// Body bytes the host produced for `name`.
    pub fn sent(&self, name: &str) -> u64 {
        self.ctx
            .sent
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}

/// A host serving each of `clips` (name, made by ffmpeg in `dir`), or None
/// without ffmpeg (outside CI).
pub async fn with_clips(
    dir: &std::path::Path,
    clips: &[(&str, super::clips::Clip)],
) -> Option<VideoHost> {
    if !super::clips::ffmpeg_available() {
        return None;
    }
    let host = start().await;
    for (name, clip) in clips {
        let path = super::clips::make(dir, name, *clip);
        host.serve(name, std::fs::read(path).unwrap());
    }
    Some(host)
}

pub async fn start() -> VideoHost {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ctx = Ctx {
        files: Arc::default(),
        sent: Arc::default(),
    };
    let app = Router::new()
        .route("/{name}", get(serve).head(serve))
        .with_state(ctx.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    VideoHost { addr, ctx }
}

/// `bytes=A-B` or `bytes=A-`.
fn range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let spec = headers
        .get(header::RANGE)?
        .to_str()
        .ok()?
        .strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()))
}

fn counted(ctx: &Ctx, name: &str, chunks: Vec<Vec<u8>>) -> Body {
    let sent = ctx.sent.clone();
    let name = name.to_string();
    Body::from_stream(futures::stream::iter(chunks).map(move |chunk| {
        *sent.lock().unwrap().entry(name.clone()).or_default() += chunk.len() as u64;
        Ok::<_, std::io::Error>(chunk)
    }))
}

/// `bytes` as a file of `total` bytes (more than `bytes` when the headers
/// lie about its size), honouring Range.
fn file(
    ctx: &Ctx,
    name: &str,
    method: &Method,
    headers: &HeaderMap,
    bytes: &[u8],
    total: u64,
) -> Response {
    let builder = Response::builder()
        .header(header::CONTENT_TYPE, "video/mp4")
        .header(header::ACCEPT_RANGES, "bytes");
    if method == Method::HEAD {
        return builder
            .header(header::CONTENT_LENGTH, total)
            .body(Body::empty())
            .unwrap();
    }
    let (start, end) = match range(headers) {
        Some((a, b)) => (a, b.unwrap_or(total - 1).min(total - 1)),
        None => (0, total - 1),
    };
    if start >= total {
        return StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    }
    // Past the real bytes (a file that only claims to be large): zeros.
    let avail = (bytes.len() as u64).min(end + 1);
    let mut body: Vec<u8> = bytes
        .get(start as usize..avail as usize)
        .unwrap_or(&[])
        .to_vec();
    body.resize((end + 1 - start) as usize, 0);
    let chunks = body.chunks(16 * 1024).map(<[u8]>::to_vec).collect();
    builder
        .status(StatusCode::PARTIAL_CONTENT)
        .header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{end}/{total}"),
        )
        .header(header::CONTENT_LENGTH, end + 1 - start)
        .body(counted(ctx, name, chunks))
        .unwrap()
}

async fn serve(
    State(ctx): State<Ctx>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let clip = |n: &str| ctx.files.lock().unwrap().clips.get(n).cloned();
    match name.as_str() {
        "missing.mp4" => StatusCode::NOT_FOUND.into_response(),
        "page.html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><html><body><video src=clip.mp4></video></body></html>",
        )
            .into_response(),
        // Only the headers say 150 MB; the head is a real clip's.
        "big.mp4" => match clip("good.mp4") {
            Some(good) => file(&ctx, &name, &method, &headers, &good, BIG_BYTES),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        // HEAD understates the size; the ranged GET's Content-Range tells
        // the truth (150 MB).
        "understated.mp4" => match clip("good.mp4") {
            Some(_) if method == Method::HEAD => Response::builder()
                .header(header::CONTENT_TYPE, "video/mp4")
                .header(header::CONTENT_LENGTH, 4096)
                .body(Body::empty())
                .unwrap(),
            Some(good) => file(&ctx, &name, &method, &headers, &good, BIG_BYTES),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        "loop.mp4" => (StatusCode::FOUND, [(header::LOCATION, "/loop.mp4")]).into_response(),
        "drip.mp4" => drip(&method),
        "lying.mp4" => lying(&ctx, &name, &method, clip("good.mp4")),
        _ => match clip(&name) {
            Some(bytes) => {
                let total = bytes.len() as u64;
                file(&ctx, &name, &method, &headers, &bytes, total)
            }
            None => StatusCode::NOT_FOUND.into_response(),
        },
    }
}

/// Answers at once, then sends one byte every 300 ms.
fn drip(method: &Method) -> Response {
    let builder = Response::builder()
        .header(header::CONTENT_TYPE, "video/mp4")
        .header(header::CONTENT_LENGTH, 1_000_000);
    if method == Method::HEAD {
        return builder.body(Body::empty()).unwrap();
    }
    let stream = futures::stream::iter(0..1_000_000u32).then(|_| async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok::<_, std::io::Error>(vec![0u8])
    });
    builder.body(Body::from_stream(stream)).unwrap()
}

/// HEAD claims a small file; GET ignores Range and claims 90 MB, then
/// streams the clip's head and zeros for as long as it is read.
fn lying(ctx: &Ctx, name: &str, method: &Method, good: Option<Arc<Vec<u8>>>) -> Response {
    if method == Method::HEAD {
        return Response::builder()
            .header(header::CONTENT_TYPE, "video/mp4")
            .header(header::CONTENT_LENGTH, 4096)
            .body(Body::empty())
            .unwrap();
    }
    let good = good.unwrap_or_default();
    let sent = ctx.sent.clone();
    let name = name.to_string();
    let chunk = 64 * 1024u64;
    let stream = futures::stream::iter(0..LYING_BYTES / chunk).map(move |i| {
        let from = (i * chunk) as usize;
        let mut bytes = good.get(from..).unwrap_or(&[]).to_vec();
        bytes.resize(chunk as usize, 0);
        *sent.lock().unwrap().entry(name.clone()).or_default() += chunk;
        Ok::<_, std::io::Error>(bytes)
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "video/mp4")
        .header(header::CONTENT_LENGTH, LYING_BYTES / chunk * chunk)
        .body(Body::from_stream(stream))
        .unwrap()
}
