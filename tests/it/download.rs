//! The downloader against a real HTTP server on loopback.

use crate::download_support;

use download_support::*;

use klang::engine::download::{DownloadError, DownloadOptions, Downloader, part_name};
use std::time::Duration;

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
