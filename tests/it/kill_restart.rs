//! klang killed with SIGKILL at the worst moments: nothing is missing at
//! the next start, no half-written file passes for a finished one, and the
//! work resumes.

use crate::common;

use common::home::{Home, json, stderr};
use common::mini_api;
use common::*;
use klang::sandbox::SANDBOX_KEY;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SECRET_KEY: &str = "sk-test-SECRET-9f8e7d6c";

async fn until(mut cond: impl FnMut() -> bool) {
    for _ in 0..400 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition never held");
}

/// `--base-url URL submit sfx --prompt PROMPT`, then `extra`.
fn submit<'a>(url: &'a str, prompt: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--base-url", url, "submit", "sfx", "--prompt", prompt];
    args.extend(extra);
    args
}

fn assert_ok(out: &std::process::Output) {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn killed_while_polling_the_next_start_finishes_the_task() {
    let sb = sandbox(2_000, 500).await;
    let home = Home::new();
    let url = sb.base_url();
    let mut child = home
        .cmd(Some(SANDBOX_KEY))
        .args(submit(&url, "interrupted", &["--wait"]))
        .spawn()
        .unwrap();
    until(|| {
        let store = home.dir.path().join("data/klang/tasks.db");
        store.exists()
            && home
                .store()
                .list(&Default::default())
                .unwrap()
                .first()
                .is_some_and(|r| r.task_id.is_some())
    })
    .await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let row = home.store().list(&Default::default()).unwrap().remove(0);
    assert_eq!(row.state, klang::store::LocalState::Pending);

    // The killed process still holds the lease on the task: the new one
    // sees it is gone and takes over instead of waiting the lease out.
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        home.run(Some(SANDBOX_KEY), &["--base-url", &url, "wait", "--json"]),
    )
    .await
    .expect("klang wait took over the dead process's task");
    assert_ok(&out);
    let done = json(&out);
    assert_eq!(done[0]["state"], "completed");
    assert_eq!(done[0]["id"], row.id);
}

#[tokio::test]
async fn killed_mid_download_leaves_only_a_part_file_and_resumes() {
    // 2 MiB in 32 KiB chunks, 40 ms apart: about 2.6 s to download.
    let api = mini_api::start(SECRET_KEY, Duration::from_millis(40)).await;
    let home = Home::new();
    let url = api.base_url();
    let mut child = home
        .cmd(Some(SECRET_KEY))
        .args(submit(&url, "big file", &["--wait", "--download"]))
        .spawn()
        .unwrap();
    let downloads = home.downloads();
    until(|| {
        files_in(&downloads).iter().any(|f| f.ends_with(".part"))
            && std::fs::read_dir(&downloads)
                .unwrap()
                .filter_map(|e| e.ok())
                .any(|e| e.metadata().map(|m| m.len() > 256 * 1024).unwrap_or(false))
    })
    .await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let names = files_in(&downloads);
    assert!(
        names.iter().all(|n| n.ends_with(".part")),
        "only a .part file after the kill: {names:?}"
    );
    let row = home.store().list(&Default::default()).unwrap().remove(0);
    assert!(row.local_path.is_none(), "no file recorded as downloaded");

    let out = home
        .run(
            Some(SECRET_KEY),
            &["--base-url", &url, "download", "1", "--json"],
        )
        .await;
    assert_ok(&out);
    let doc = json(&out);
    let path = doc["local_path"].as_str().unwrap();
    assert_eq!(std::fs::read(path).unwrap(), mini_api::file_bytes());
    assert!(path.ends_with(".mp3"), "{path}");
    let names = files_in(&downloads);
    assert_eq!(names.len(), 1, "the .part file is gone: {names:?}");
    let seen = api.seen.lock().unwrap();
    assert!(
        seen.ranges.iter().any(|r| r != "bytes=0-"),
        "the second run resumed with a Range request: {:?}",
        seen.ranges
    );
    assert!(
        seen.file_auth.is_empty(),
        "the API key reached the file host"
    );
}

#[tokio::test]
async fn the_key_is_never_written_to_the_store_or_the_log() {
    let api = mini_api::start(SECRET_KEY, Duration::ZERO).await;
    let home = Home::new();
    let url = api.base_url();
    let args = submit(&url, "secret test", &["--wait", "--download", "--json"]);
    let out = home.run(Some(SECRET_KEY), &args).await;
    assert_ok(&out);
    assert!(api.seen.lock().unwrap().file_auth.is_empty());
    let mut checked = 0;
    for dir in ["data", "state", "config"] {
        for entry in walk(&home.dir.path().join(dir)) {
            let bytes = std::fs::read(&entry).unwrap();
            let hay = String::from_utf8_lossy(&bytes);
            assert!(!hay.contains("SECRET"), "the key is in {}", entry.display());
            checked += 1;
        }
    }
    assert!(checked >= 2, "store and log were checked ({checked} files)");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("SECRET"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("SECRET"));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
