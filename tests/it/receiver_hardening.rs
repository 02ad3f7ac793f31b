//! The callback receiver under attack from outside (issue 26): a flood of
//! tokenless connections, a clip edited or swapped for a FIFO after
//! submit. Real sockets over loopback, real files, a real SQLite store.

use crate::common;

use common::*;
use futures::StreamExt;
use klang::api::{CreateRequest, VideoToAudioParams};
use klang::engine::callbacks::{self, CallbackReceiver, ReceiverOptions, callback_path};
use klang::sandbox::SANDBOX_KEY;
use klang::store::MediaFile;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn v2a_with_url() -> CreateRequest {
    CreateRequest::VideoToAudio(VideoToAudioParams {
        video_id: None,
        video_url: Some("https://placeholder.invalid/clip.mp4".into()),
        sound_effect_prompt: None,
        bgm_prompt: None,
        asmr_mode: None,
        callback_url: None,
    })
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `len` bytes of noise standing in for a clip: the route serves what the
/// store names, checked by its hash.
fn noise(len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect()
}

/// An engine on the sandbox, a receiver with `options`, and the callback
/// token it answers on.
async fn receiver_with(h: &Harness, options: ReceiverOptions) -> (CallbackReceiver, String) {
    let token = callbacks::new_token();
    let receiver = callbacks::start_with(
        "127.0.0.1:0".parse().unwrap(),
        token.clone(),
        h.engine.clone(),
        options,
    )
    .await
    .unwrap();
    (receiver, token)
}

/// Keeps `bytes` at `path` as task `id`'s clip and returns its URL.
fn serve_clip(
    h: &Harness,
    receiver: &CallbackReceiver,
    path: &Path,
    bytes: &[u8],
) -> (i64, String) {
    let token = callbacks::new_token();
    let id = h.store.insert_intent(&v2a_with_url(), true).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    let file = MediaFile {
        task: id,
        token_sha256: hex_sha256(token.as_bytes()),
        path: path.to_path_buf(),
        name: name.clone(),
        sha256: hex_sha256(bytes),
        bytes: bytes.len() as u64,
        content_type: "video/mp4".into(),
    };
    let base = format!("http://{}", receiver.addr());
    let url = klang::engine::media::media_url(&base, &token, &name);
    h.store.attach_media(&file, &url).unwrap();
    (id, url)
}

/// A connection that sent one whole request for a path nobody serves, got
/// its 404, and is held open (keep-alive). None if the receiver cut it.
async fn complete_404(addr: SocketAddr) -> Option<TcpStream> {
    let mut conn = TcpStream::connect(addr).await.ok()?;
    conn.write_all(b"GET /klang/media/0000/none.mp4 HTTP/1.1\r\nHost: k\r\n\r\n")
        .await
        .ok()?;
    let mut answer = [0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut answer)).await;
    match read {
        Ok(Ok(n)) if n > 0 => {
            assert!(answer.starts_with(b"HTTP/1.1 404"), "{:?}", &answer[..n]);
            Some(conn)
        }
        _ => None,
    }
}

/// A connection that sent half a request's headers and nothing more.
async fn slow(addr: SocketAddr) -> Option<TcpStream> {
    let mut conn = TcpStream::connect(addr).await.ok()?;
    conn.write_all(b"GET /klang/media/0000/none.mp4 HTTP/1.1\r\nHost: k\r\nX-Slow: a")
        .await
        .ok()?;
    Some(conn)
}

/// 300 complete requests held open, then 300 slow ones, while a 30 MB
/// clip is being sent: the clip arrives whole (before, the 257th
/// connection cut the transfer, the oldest past its headers), and then a
/// real callback still lands through 400 more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clip_transfer_and_a_callback_survive_a_flood_of_tokenless_connections() {
    let sb = sandbox(60_000, 1000).await;
    let h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let (receiver, callback_token) = receiver_with(&h, ReceiverOptions::default()).await;
    let addr = receiver.addr();
    let path = h.dir.path().join("big.mp4");
    let bytes = noise(30 << 20);
    std::fs::write(&path, &bytes).unwrap();
    let (_, url) = serve_clip(&h, &receiver, &path, &bytes);

    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut got = Vec::with_capacity(bytes.len());
    got.extend_from_slice(&body.next().await.unwrap().unwrap());

    // The transfer is in progress (the rest waits in the socket buffers).
    let mut flood = Vec::new();
    for _ in 0..300 {
        flood.extend(complete_404(addr).await);
    }
    for _ in 0..300 {
        flood.extend(slow(addr).await);
    }
    while let Some(chunk) = body.next().await {
        got.extend_from_slice(&chunk.expect("the clip is not cut off by the flood"));
    }
    assert_eq!(got.len(), bytes.len());
    assert!(got == bytes, "the clip arrived changed");

    for i in 0..400 {
        let more = if i % 2 == 0 {
            complete_404(addr).await
        } else {
            slow(addr).await
        };
        flood.extend(more);
    }
    let callback = format!("http://{addr}{}", callback_path(&callback_token));
    let unknown = serde_json::json!({"data": {"taskId": "clnope", "state": "failed"}});
    let posted = reqwest::Client::new()
        .post(&callback)
        .json(&unknown)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("the callback gets through the flood");
    assert_eq!(posted.status(), 200);
    assert_eq!(receiver.stats().accepted.load(Ordering::Relaxed), 1);
    drop(flood);
}

/// Task `id`'s last error, waiting up to 5 s for one containing `part`.
async fn last_error_with(h: &Harness, id: i64, part: &str) -> String {
    for _ in 0..100 {
        let row = h.store.get(id).unwrap();
        if let Some(error) = row.last_error.filter(|e| e.contains(part)) {
            return error;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("#{id} never said {part:?}: {:?}", h.store.get(id).unwrap());
}

/// The clip edited in place after it was served once: same size, one byte
/// in its third megabyte, modification time put back. Its identity on disk
/// is unchanged, yet the changed bytes are never sent under the clip's
/// ETag: the answer stops before them, later requests get a 409, and the
/// task says why. Before, the edited file was served whole as the clip.
#[tokio::test]
async fn a_same_size_edit_with_the_mtime_put_back_is_not_served() {
    let sb = sandbox(60_000, 1000).await;
    let h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let (receiver, _) = receiver_with(&h, ReceiverOptions::default()).await;
    let path = h.dir.path().join("walk.mp4");
    let bytes = noise(3 << 20);
    std::fs::write(&path, &bytes).unwrap();
    let (id, url) = serve_clip(&h, &receiver, &path, &bytes);
    let first = reqwest::get(&url).await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].clone();
    assert!(first.bytes().await.unwrap() == bytes);

    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let at = (5 << 19) + 17;
    let mut edited = bytes.clone();
    edited[at] ^= 0x5a;
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.seek(SeekFrom::Start(at as u64)).unwrap();
        file.write_all(&edited[at..at + 1]).unwrap();
        file.set_modified(modified).unwrap();
    }
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), bytes.len() as u64);

    let again = reqwest::get(&url).await.unwrap();
    if again.status() == 200 {
        assert_eq!(again.headers()["etag"], etag);
        let body = again.bytes().await;
        assert!(
            body.is_err(),
            "the edited clip was served whole under the clip's ETag"
        );
    } else {
        assert_eq!(again.status(), 409);
    }
    let error = last_error_with(&h, id, "changed since it was submitted").await;
    assert!(error.contains("walk.mp4"), "{error}");
    for range in [None, Some("bytes=0-99"), Some("bytes=2621440-2621999")] {
        let mut request = reqwest::Client::new().get(&url);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 409, "{range:?}");
    }
}

/// The clip replaced by a FIFO after submit: each request is answered at
/// once (409) and the task says why; no request waits on the FIFO. Before,
/// opening it blocked a thread per request for as long as no one wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_swapped_in_for_the_clip_gets_an_error_not_a_blocked_thread() {
    let sb = sandbox(60_000, 1000).await;
    let h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let (receiver, _) = receiver_with(&h, ReceiverOptions::default()).await;
    let path = h.dir.path().join("walk.mp4");
    let bytes = noise(1 << 20);
    std::fs::write(&path, &bytes).unwrap();
    let (id, url) = serve_clip(&h, &receiver, &path, &bytes);
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);

    std::fs::remove_file(&path).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    assert!(made.unwrap().success(), "mkfifo runs");
    let answers = tokio::time::timeout(Duration::from_secs(2), async {
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(reqwest::get(&url).await.unwrap().status().as_u16());
        }
        statuses
    })
    .await;
    // Whatever happened, let any reader blocked on the FIFO go.
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&path);
    let statuses = answers.expect("every request is answered at once");
    assert_eq!(statuses, [409; 4]);
    let error = last_error_with(&h, id, "no longer a regular file").await;
    assert!(error.contains("walk.mp4"), "{error}");
}
