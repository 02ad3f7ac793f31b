//! A clip on disk (`--video-file`): klang serves it to the provider through
//! its callback receiver at `/klang/media/<token>/<name>`. Against the real
//! sandbox over loopback, which fetches each video-to-audio create's
//! `video_url` and records the SHA-256 of what it got: the engine and
//! receiver in-process (with a clock the tests move forward), then the real
//! `klang` binary.

use crate::common;

use common::clips::{self, Clip};
use common::home::{Home, json, stderr};
use common::*;
use klang::api::{CreateRequest, VideoToAudioParams};
use klang::engine::callbacks::{self, CallbackReceiver, ReceiverOptions, callback_path};
use klang::engine::media::Clock;
use klang::sandbox::{SANDBOX_KEY, SandboxHandle, VideoFetch};
use klang::store::LocalState;
use klang::video::{LocalVideo, check_file};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The system clock plus however far a test moved it.
#[derive(Default)]
struct Ahead(AtomicI64);

impl Ahead {
    fn forward(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for Ahead {
    fn now_ms(&self) -> i64 {
        klang::store::now_ms() + self.0.load(Ordering::SeqCst)
    }
}

struct Served {
    h: Harness,
    receiver: CallbackReceiver,
    clock: Arc<Ahead>,
}

/// An engine on the sandbox with a receiver on `listen` serving clips.
async fn serve_on(h: Harness, listen: SocketAddr) -> Served {
    let clock = Arc::new(Ahead::default());
    let token = callbacks::new_token();
    let options = ReceiverOptions {
        clock: clock.clone(),
        ..ReceiverOptions::default()
    };
    // A receiver just dropped lets go of its port once its task runs.
    let mut tries = 0;
    let receiver = loop {
        match callbacks::start_with(listen, token.clone(), h.engine.clone(), options.clone()).await
        {
            Ok(receiver) => break receiver,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 500 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("receiver starts: {e}"),
        }
    };
    let base = format!("http://{}", receiver.addr());
    h.engine
        .set_callback_url(Some(format!("{base}{}", callback_path(&token))));
    h.engine.set_media_base(Some(base));
    Served { h, receiver, clock }
}

async fn served(sb: &SandboxHandle) -> Served {
    let h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    serve_on(h, "127.0.0.1:0".parse().unwrap()).await
}

fn v2a() -> CreateRequest {
    CreateRequest::VideoToAudio(VideoToAudioParams {
        video_id: None,
        video_url: None,
        sound_effect_prompt: Some("footsteps on gravel".into()),
        bgm_prompt: None,
        asmr_mode: None,
        callback_url: None,
    })
}

/// A checked 5 s clip `name` in `dir`, or None without ffmpeg.
fn clip(dir: &Path, name: &str, seconds: f64) -> Option<(PathBuf, LocalVideo)> {
    if !clips::ffmpeg_available() {
        return None;
    }
    let path = clips::make(dir, name, Clip::new(seconds));
    let video = check_file(&path).expect("a good clip");
    Some((path, video))
}

fn stored_video_url(h: &Harness, id: i64) -> String {
    match h.store.get(id).unwrap().params {
        CreateRequest::VideoToAudio(p) => p.video_url.expect("a video_url"),
        other => panic!("not a v2a task: {other:?}"),
    }
}

/// The URL the provider fetched task `id`'s clip from: the store keeps it
/// without its token.
async fn video_url(sb: &SandboxHandle, h: &mut Harness, id: i64) -> String {
    let task_id = h
        .wait_task(id, |r| r.task_id.is_some())
        .await
        .task_id
        .unwrap();
    for _ in 0..400 {
        let fetched = sb
            .video_fetches()
            .into_iter()
            .find(|f| f.task_id == task_id);
        if let Some(fetch) = fetched {
            let kept = stored_video_url(h, id);
            assert!(!kept.contains(token_of(&fetch.url)), "{kept}");
            assert_eq!(kept, fetch.url.replace(token_of(&fetch.url), "redacted"));
            return fetch.url;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the provider never fetched #{id}'s clip");
}

/// `url`'s token (the segment before the name).
fn token_of(url: &str) -> &str {
    url.rsplit('/').nth(1).unwrap()
}

async fn fetches(sb: &SandboxHandle, count: usize) -> Vec<VideoFetch> {
    tokio::time::timeout(Duration::from_secs(30), sb.wait_video_fetches(count))
        .await
        .expect("the sandbox fetched the videos")
}

async fn get(url: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(range) = range {
        request = request.header(RANGE, range);
    }
    request.send().await.expect("the receiver answers")
}

/// The status of a GET of `path` sent as is (a client library would
/// normalise the `..` away before sending).
async fn raw_status(addr: SocketAddr, path: &str) -> u16 {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: klang\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    let head = String::from_utf8_lossy(&answer[..answer.len().min(64)]).into_owned();
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"))
}

#[tokio::test]
async fn the_served_clip_is_exact_ranged_and_only_for_its_own_token_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let Some((walk_path, walk)) = clip(dir.path(), "walk.mp4", 5.0) else {
        return;
    };
    let (_, run) = clip(dir.path(), "run.mp4", 4.0).unwrap();
    let bytes = std::fs::read(&walk_path).unwrap();
    let len = bytes.len();
    let sb = sandbox(300, 300).await;
    let mut s = served(&sb).await;

    let walks = s.h.engine.submit_video_file(v2a(), &walk, 2).unwrap();
    let runs = s.h.engine.submit_video_file(v2a(), &run, 1).unwrap();
    // The provider's side: every create's URL gave exactly its file.
    for fetch in fetches(&sb, 3).await {
        let want = if fetch.url.ends_with("/walk.mp4") {
            &walk
        } else {
            &run
        };
        assert_eq!(fetch.status, Some(200), "{fetch:?}");
        assert_eq!(fetch.error, None, "{fetch:?}");
        assert_eq!(fetch.content_type.as_deref(), Some("video/mp4"));
        assert_eq!(
            (fetch.bytes, &fetch.sha256),
            (want.facts.bytes, &want.sha256)
        );
    }
    let (a, b, other) = (
        video_url(&sb, &mut s.h, walks[0]).await,
        video_url(&sb, &mut s.h, walks[1]).await,
        video_url(&sb, &mut s.h, runs[0]).await,
    );
    let base = format!("http://{}/klang/media/", s.receiver.addr());
    assert!(a.starts_with(&base) && a.ends_with("/walk.mp4"), "{a}");
    // A token per task, never the callback token.
    assert_ne!(token_of(&a), token_of(&b));
    let callback = s.h.engine.callback_url().unwrap();
    assert!(!callback.contains(token_of(&a)), "{callback}");

    let whole = get(&a, None).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[CONTENT_TYPE], "video/mp4");
    assert_eq!(whole.headers()[ACCEPT_RANGES], "bytes");
    assert_eq!(whole.bytes().await.unwrap(), bytes);

    let part = get(&a, Some("bytes=100-1099")).await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[CONTENT_RANGE],
        format!("bytes 100-1099/{len}").as_str()
    );
    assert_eq!(part.bytes().await.unwrap(), bytes[100..1100]);
    let tail = get(&a, Some("bytes=-500")).await;
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.unwrap(), bytes[len - 500..]);
    let past = get(&a, Some(&format!("bytes={len}-"))).await;
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers()[CONTENT_RANGE],
        format!("bytes */{len}").as_str()
    );
    let head = reqwest::Client::new().head(&a).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[CONTENT_LENGTH], len.to_string().as_str());

    // Everything else is a bare 404.
    let (ta, tother) = (token_of(&a), token_of(&other));
    let wrong = [
        format!("{base}{}/walk.mp4", callbacks::new_token()),
        // Another task's token with this task's name, and the reverse.
        format!("{base}{tother}/walk.mp4"),
        format!("{base}{ta}/run.mp4"),
        format!("{base}{ta}/WALK.MP4"),
        format!("{base}{ta}/walk.mp4.bak"),
        format!(
            "{base}{}/walk.mp4",
            s.h.engine
                .callback_url()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
        ),
    ];
    for url in &wrong {
        assert_eq!(
            get(url, None).await.status(),
            StatusCode::NOT_FOUND,
            "{url}"
        );
    }
    let addr = s.receiver.addr();
    let raw = [
        format!("/klang/media/{ta}/../../../etc/passwd"),
        format!("/klang/media/{ta}/..%2F..%2F..%2Fetc%2Fpasswd"),
        format!("/klang/media/{ta}/%2e%2e"),
        format!("/klang/media/{ta}/.."),
        format!("/klang/media/{ta}/walk.mp4/.."),
        format!("/klang/media/{ta}/./walk.mp4"),
        format!("/klang/media/../media/{ta}/walk.mp4"),
        format!("/klang/media/{ta}/%2Fetc%2Fpasswd"),
        format!("/klang/media/{ta}"),
        "/klang/media/".to_string(),
    ];
    for path in &raw {
        assert_eq!(raw_status(addr, path).await, 404, "{path}");
    }
    assert_eq!(
        raw_status(addr, &format!("/klang/media/{ta}/walk.mp4")).await,
        200
    );

    for id in walks.iter().chain(&runs) {
        let done = s.h.wait_task(*id, |r| r.state.is_final()).await;
        assert_eq!(done.state, LocalState::Completed, "{done:?}");
    }
    let stats = s.receiver.stats();
    // The paths outside the route never reach it; the rest are counted.
    assert!(stats.media_refused.load(Ordering::Relaxed) >= wrong.len() as u64);
    assert!(stats.media_served.load(Ordering::Relaxed) >= 3 + 6);
}

#[tokio::test]
async fn a_clip_is_served_until_ten_minutes_after_its_task_ends_then_404() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_, walk)) = clip(dir.path(), "walk.mp4", 5.0) else {
        return;
    };
    let sb = sandbox(200, 200).await;
    let mut s = served(&sb).await;
    let id = s.h.engine.submit_video_file(v2a(), &walk, 1).unwrap()[0];
    let url = video_url(&sb, &mut s.h, id).await;
    let done = s.h.wait_task(id, |r| r.state.is_final()).await;
    assert_eq!(done.state, LocalState::Completed);
    assert_eq!(get(&url, None).await.status(), StatusCode::OK);
    s.clock.forward(Duration::from_secs(9 * 60));
    assert_eq!(
        get(&url, Some("bytes=0-9")).await.status(),
        StatusCode::PARTIAL_CONTENT
    );
    s.clock.forward(Duration::from_secs(61));
    assert_eq!(get(&url, None).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get(&url, Some("bytes=0-9")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_restart_serves_the_clip_again_or_says_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let Some((path, walk)) = clip(dir.path(), "walk.mp4", 5.0) else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    // Pending for a minute: the task outlives the first engine.
    let sb = sandbox(60_000, 1000).await;
    let mut first = served(&sb).await;
    let id = first.h.engine.submit_video_file(v2a(), &walk, 1).unwrap()[0];
    fetches(&sb, 1).await;
    let url = video_url(&sb, &mut first.h, id).await;
    let addr = first.receiver.addr();
    let Served { h, receiver, .. } = first;
    h.engine.shutdown();
    drop(receiver);
    let Harness {
        dir: hdir, store, ..
    } = h;

    // Same store, same listen address: the stored URL works again.
    let again = Harness::on_store(hdir, store, &sb.base_url(), SANDBOX_KEY);
    let mut s = serve_on(again, addr).await;
    s.h.engine.audit_media(true);
    assert_eq!(get(&url, None).await.bytes().await.unwrap(), bytes);

    // Edited on disk: refused (409: the token is good, the file is not
    // the clip), and the task says why.
    let mut edited = bytes.clone();
    edited[bytes.len() / 2] ^= 0xff;
    std::fs::write(&path, &edited).unwrap();
    assert_eq!(get(&url, None).await.status(), StatusCode::CONFLICT);
    let said = s
        .h
        .wait_event(|e| matches!(e, klang::engine::EngineEvent::Notice(n) if n.contains("changed since it was submitted")))
        .await;
    assert!(format!("{said:?}").contains("walk.mp4"), "{said:?}");
    let row = s.h.store.get(id).unwrap();
    assert!(
        row.last_error
            .unwrap()
            .contains("changed since it was submitted"),
    );
    assert_eq!(
        get(&url, Some("bytes=0-9")).await.status(),
        StatusCode::CONFLICT
    );
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn video_file_without_a_usable_receiver_exits_2_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some((path, _)) = clip(dir.path(), "walk.mp4", 5.0) else {
        return;
    };
    let short = clips::make(dir.path(), "short.mp4", Clip::new(1.5));
    let sb = sandbox(200, 200).await;
    let base = sb.base_url();
    let home = Home::new();
    let file = path.to_str().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let cases: [(Vec<&str>, &[&str]); 4] = [
        (
            vec!["--base-url", &base],
            &["--callback-listen", "--callback-url", "nothing was sent"],
        ),
        // The real API cannot reach a receiver on this machine.
        (
            vec![
                "--base-url",
                "https://api.klang-test.invalid",
                "--callback-listen",
                &listen,
            ],
            &["needs --callback-url", "nothing was sent"],
        ),
        (
            vec![
                "--base-url",
                "https://api.klang-test.invalid",
                "--callback-listen",
                &listen,
                "--callback-url",
                "http://localhost:9",
            ],
            &["is loopback", "nothing was sent"],
        ),
        (
            vec!["--base-url", &base, "--callback-listen", &listen],
            &[
                "video is 1.5 s; the provider takes 3-20 s",
                "nothing was sent",
            ],
        ),
    ];
    for (i, (mut args, want)) in cases.into_iter().enumerate() {
        let video = if i == 3 {
            short.to_str().unwrap()
        } else {
            file
        };
        args.extend(["submit", "v2a", "--video-file", video, "--wait"]);
        let out = home.run(Some(SANDBOX_KEY), &args).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        for piece in want {
            assert!(err.contains(piece), "{args:?}: {err}");
        }
    }
    assert_eq!(sb.stats().creates, 0);
}

#[tokio::test]
async fn the_cli_serves_the_exact_clip_to_the_provider_and_the_task_completes() {
    let dir = tempfile::tempdir().unwrap();
    let Some((path, walk)) = clip(dir.path(), "walk.mp4", 5.0) else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let sb = sandbox(1500, 500).await;
    let home = Home::new();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = home
        .cmd(Some(SANDBOX_KEY))
        .args(["--base-url", &sb.base_url(), "--callback-listen", &listen])
        .args(["submit", "v2a", "--sfx-prompt", "steps", "--wait", "--json"])
        .arg("--video-file")
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("klang starts");
    let fetch = fetches(&sb, 1).await.remove(0);
    let prefix = format!("http://{listen}/klang/media/");
    assert!(
        fetch.url.starts_with(&prefix) && fetch.url.ends_with("/walk.mp4"),
        "{fetch:?}"
    );
    assert_eq!(fetch.status, Some(200), "{fetch:?}");
    assert_eq!(
        (fetch.bytes, &fetch.sha256),
        (walk.facts.bytes, &walk.sha256)
    );

    // While klang runs: the slice asked for, and nothing for a wrong token.
    let part = get(&fetch.url, Some("bytes=0-3999")).await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.unwrap(), bytes[..4000]);
    let wrong = format!("{prefix}{}/walk.mp4", callbacks::new_token());
    assert_eq!(get(&wrong, None).await.status(), StatusCode::NOT_FOUND);
    let addr: SocketAddr = listen.parse().unwrap();
    let dotted = format!(
        "/klang/media/{}/..%2F..%2Fetc%2Fpasswd",
        token_of(&fetch.url)
    );
    assert_eq!(raw_status(addr, &dotted).await, 404);

    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("klang finishes")
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let task = json(&out);
    assert_eq!(task["state"], "completed", "{task}");
    // Kept and shown without its token.
    let kept = fetch.url.replace(token_of(&fetch.url), "redacted");
    assert_eq!(task["params"]["video_url"], kept.as_str(), "{task}");
    assert_eq!(sb.stats().creates, 1);

    // The dub is made from the file on disk (no receiver runs any more).
    let id = task["id"].to_string();
    let base = sb.base_url();
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &["--base-url", &base, "mux", &id, "--json"],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["video"], path.to_str().unwrap(), "{doc}");
    let (mut streams, seconds) = clips::probe(Path::new(doc["path"].as_str().unwrap()));
    streams.sort();
    assert_eq!(streams, ["audio", "video"]);
    assert!((seconds - 5.0).abs() < 0.3, "{seconds} s");
}

/// A clip bigger than the sockets buffer, read with a pause longer than the
/// receiver's read deadline: a request for a clip klang serves may take
/// long (the provider reads at its own pace), and the clip arrives whole.
#[tokio::test]
async fn a_slow_reader_gets_the_whole_clip_past_the_receivers_read_deadline() {
    use futures::StreamExt;
    let sb = sandbox(60_000, 1000).await;
    let h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let limits = callbacks::ReceiverLimits {
        header_timeout: Duration::from_millis(500),
        body_timeout: Duration::from_millis(300),
        max_unauthenticated: 8,
        ..Default::default()
    };
    let receiver = callbacks::start_with(
        "127.0.0.1:0".parse().unwrap(),
        callbacks::new_token(),
        h.engine.clone(),
        ReceiverOptions {
            limits,
            ..ReceiverOptions::default()
        },
    )
    .await
    .unwrap();
    // 32 MB of noise stands in for a clip: the route serves what the
    // store names, checked by its hash.
    let path = h.dir.path().join("big.mp4");
    let bytes: Vec<u8> = (0..32u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &bytes).unwrap();
    let token = callbacks::new_token();
    let id = h.store.insert_intent(&v2a_with_url(), true).unwrap();
    let file = klang::store::MediaFile {
        task: id,
        token_sha256: klang::video::hash_reader(token.as_bytes()).unwrap(),
        path: path.clone(),
        name: "big.mp4".into(),
        sha256: klang::video::hash_reader(&bytes[..]).unwrap(),
        bytes: bytes.len() as u64,
        content_type: "video/mp4".into(),
    };
    let url =
        klang::engine::media::media_url(&format!("http://{}", receiver.addr()), &token, "big.mp4");
    h.store.attach_media(&file, &url).unwrap();

    let response = get(&url, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.bytes_stream();
    let mut got = Vec::with_capacity(bytes.len());
    got.extend_from_slice(&body.next().await.unwrap().unwrap());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    while let Some(chunk) = body.next().await {
        got.extend_from_slice(&chunk.expect("the clip is not cut off"));
    }
    assert_eq!(got.len(), bytes.len());
    assert!(got == bytes);
}

fn v2a_with_url() -> CreateRequest {
    CreateRequest::VideoToAudio(VideoToAudioParams {
        video_id: None,
        video_url: Some("https://placeholder.invalid/big.mp4".into()),
        sound_effect_prompt: None,
        bgm_prompt: None,
        asmr_mode: None,
        callback_url: None,
    })
}

#[tokio::test]
async fn a_batch_line_with_a_video_file_is_served_like_the_flag_and_never_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_, walk)) = clip(dir.path(), "walk.mp4", 5.0) else {
        return;
    };
    // The clip's path is relative to the batch file, not to where klang runs.
    let lines = dir.path().join("lines.jsonl");
    std::fs::write(
        &lines,
        concat!(
            "{\"model\": \"v2a\", \"video_file\": \"walk.mp4\", \"sound_effect_prompt\": \"steps\"}\n",
            "{\"model\": \"sfx\", \"prompt\": \"rain\", \"duration\": \"3.0\"}\n",
        ),
    )
    .unwrap();
    let sb = sandbox(200, 200).await;
    let base = sb.base_url();
    let home = Home::new();
    let file = lines.to_str().unwrap();
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &["--base-url", &base, "batch", file, "--wait"],
        )
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--callback-listen"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sb.stats().creates, 0);

    let listen = format!("127.0.0.1:{}", free_port());
    let args = [
        "--base-url",
        &base,
        "--callback-listen",
        &listen,
        "batch",
        file,
        "--wait",
        "--json",
    ];
    let out = home.run(Some(SANDBOX_KEY), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fetch = fetches(&sb, 1).await.remove(0);
    assert!(
        fetch
            .url
            .starts_with(&format!("http://{listen}/klang/media/")),
        "{fetch:?}"
    );
    assert_eq!(
        (fetch.bytes, &fetch.sha256),
        (walk.facts.bytes, &walk.sha256)
    );
    assert_eq!(sb.stats().creates, 2);
    // Run again: both lines are found by their keys, nothing is sent.
    let out = home.run(Some(SANDBOX_KEY), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sb.stats().creates, 2);
}
