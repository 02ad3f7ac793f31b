//! What klang keeps of a clip on disk and of its receiver's tokens (issue
//! 26): a clip path that is not UTF-8 kept exactly, and no token in the
//! store, the output of any command or the log; the store the owner's
//! alone. The real `klang` binary in a private home, the sandbox over
//! loopback.

use crate::common;

use common::home::{self, Home};
use common::*;
use klang::sandbox::{SANDBOX_KEY, SandboxHandle};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A 5 s clip at `dir/<name>` (any bytes), or None without ffmpeg.
fn clip_named(dir: &Path, name: &std::ffi::OsStr) -> Option<PathBuf> {
    if !clips::ffmpeg_available() {
        return None;
    }
    let made = clips::make(dir, "made.mp4", clips::Clip::new(5.0));
    let path = dir.join(name);
    std::fs::rename(&made, &path).unwrap();
    Some(path)
}

/// `klang submit v2a --video-file <file> --wait --json` on the sandbox
/// with a receiver on loopback, under umask 022.
async fn submit_clip(home: &Home, sb: &SandboxHandle, file: &Path) -> std::process::Output {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut sh = tokio::process::Command::new("sh");
    sh.arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_klang"));
    home.cmd_via(sh, Some(SANDBOX_KEY))
        .args(["--base-url", &sb.base_url(), "--callback-listen", &listen])
        .args(["submit", "v2a", "--sfx-prompt", "steps", "--wait", "--json"])
        .arg("--video-file")
        .arg(file)
        .output()
        .await
        .expect("klang runs")
}

/// A clip whose name is not UTF-8 (Latin-1 "wälk.mp4"): the provider gets
/// exactly its bytes, the task completes, and `klang mux` finds the file
/// again. Before, the path was kept lossily ("w\u{fffd}lk.mp4"): the create
/// was paid, the URL gave 404 and mux said the file could not be read.
#[tokio::test]
async fn a_clip_whose_name_is_not_utf8_is_served_exactly_and_muxed() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"w\xe4lk.mp4");
    let Some(path) = clip_named(dir.path(), name) else {
        return;
    };
    assert!(path.to_str().is_none(), "the name is not UTF-8");
    let bytes = std::fs::read(&path).unwrap();
    let sb = sandbox(1500, 500).await;
    let home = Home::new();
    let out = submit_clip(&home, &sb, &path).await;
    assert_eq!(out.status.code(), Some(0), "{}", home::stderr(&out));
    let fetch = sb.video_fetches().remove(0);
    assert_eq!(fetch.status, Some(200), "{fetch:?}");
    assert_eq!(
        (fetch.bytes, fetch.sha256.as_str()),
        (bytes.len() as u64, hex_sha256(&bytes).as_str())
    );
    let task = home::json(&out);
    assert_eq!(task["state"], "completed", "{task}");

    let id = task["id"].to_string();
    let base = sb.base_url();
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &["--base-url", &base, "mux", &id, "--json"],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", home::stderr(&out));
    let doc = home::json(&out);
    let muxed = Path::new(doc["path"].as_str().unwrap());
    let (mut streams, _) = clips::probe(muxed);
    streams.sort();
    assert_eq!(streams, ["audio", "video"]);
}

/// Every file under `dir`, with its bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// After a `--video-file` submit with a callback receiver, under umask
/// 022: neither the callback token nor the clip's token is in tasks.db (or
/// its WAL), `list --json`, `show`, `export` or the log (at trace level);
/// tasks.db, its WAL and SHM and the token file are mode 600, the data and
/// cache directories 700. Before, both URLs were kept whole in params and
/// printed by every command, and tasks.db was mode 644.
#[tokio::test]
async fn no_token_is_kept_or_shown_and_the_store_is_the_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = clip_named(dir.path(), std::ffi::OsStr::new("walk.mp4")) else {
        return;
    };
    let sb = sandbox(500, 500).await;
    let home = Home::new();
    let out = submit_clip(&home, &sb, &path).await;
    assert_eq!(out.status.code(), Some(0), "{}", home::stderr(&out));
    let fetch = sb.video_fetches().remove(0);
    assert_eq!(fetch.status, Some(200), "{fetch:?}");
    let media_token = fetch.url.rsplit('/').nth(1).unwrap().to_string();
    let root = home.dir.path();
    let token_file = root.join("config/klang/callback-token");
    let callback_token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_string();
    assert!(media_token.len() >= 16 && callback_token.len() >= 16);
    let id = home::json(&out)["id"].to_string();

    let base = sb.base_url();
    let mut shown = vec![("submit --json".to_string(), out.stdout.clone())];
    for args in [
        vec!["list", "--json"],
        vec!["list"],
        vec!["show", &id],
        vec!["show", &id, "--json"],
        vec!["export", "--format", "jsonl"],
        vec!["export", "--format", "csv"],
    ] {
        let mut all = vec!["--base-url", &base];
        all.extend(&args);
        let out = home.run(Some(SANDBOX_KEY), &all).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            home::stderr(&out)
        );
        let mut both = out.stdout.clone();
        both.extend(&out.stderr);
        shown.push((args.join(" "), both));
    }
    let data = root.join("data/klang");
    let logs = root.join("state/klang/logs");
    let kept: Vec<_> = files_under(&data)
        .into_iter()
        .chain(files_under(&logs))
        .map(|(p, b)| (p.display().to_string(), b))
        .collect();
    assert!(kept.iter().any(|(p, _)| p.ends_with("tasks.db")));
    assert!(!files_under(&logs).is_empty(), "klang logged nothing");
    for (what, bytes) in shown.iter().chain(&kept) {
        for token in [&media_token, &callback_token] {
            assert!(!contains(bytes, token), "a token in {what}");
        }
    }
    // Shown with the token's place marked.
    let (_, show_json) = &shown[4];
    assert!(contains(show_json, "/klang/media/redacted/walk.mp4"));
    assert!(contains(show_json, "/klang/callback/redacted/"));

    let store = data.join("tasks.db");
    assert_eq!(mode(&store), 0o600, "tasks.db");
    // The WAL and SHM exist while the store is open (and written).
    let open = home.store();
    open.insert_intent(&sfx("rain", "3.0"), false).unwrap();
    for suffix in ["-wal", "-shm"] {
        let file = data.join(format!("tasks.db{suffix}"));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    drop(open);
    assert_eq!(mode(&token_file), 0o600);
    assert_eq!(mode(&data), 0o700, "the data directory");
    assert_eq!(mode(&root.join("cache/klang")), 0o700, "the cache");
}
