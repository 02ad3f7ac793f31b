//! The CLI as a careless script or a broken setup would drive it: readers
//! that close the pipe, ambiguous id prefixes, settings that cannot be
//! right, a store that cannot be opened, a busy callback port.

use crate::common;

use common::home::{Home, stderr};
use std::process::Stdio;

/// Tasks whose task ids share the prefix `clshared`.
fn seed(home: &Home, count: usize) {
    let store = home.store();
    for n in 0..count {
        let id = store
            .insert_intent(&common::sfx(&format!("row {n}"), "3.0"), false)
            .unwrap();
        store
            .mark_submitted(id, &format!("clshared{n:016}"))
            .unwrap();
    }
}

/// Runs klang with stdout on a pipe whose reading end is already closed:
/// every write to stdout fails with EPIPE.
fn run_into_closed_pipe(home: &Home, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = home.std_cmd();
    cmd.args(args)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped());
    cmd.output().unwrap()
}

#[test]
fn a_closed_pipe_ends_list_and_show_quietly_and_successfully() {
    let home = Home::new();
    seed(&home, 3);
    for args in [&["list"][..], &["show", "1"], &["list", "--json"]] {
        let out = run_into_closed_pipe(&home, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("Broken pipe") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[tokio::test]
async fn an_ambiguous_prefix_says_how_many_tasks_it_matches() {
    let home = Home::new();
    seed(&home, 5);
    let out = home.run(None, &["show", "clshared"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("matches 5 tasks"), "{err}");
    assert!(err.contains("#1 clshared0000000000000000"), "{err}");
    // A unique prefix still finds its task.
    let out = home.run(None, &["show", "clshared0000000000000003"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test]
async fn base_urls_with_a_path_query_or_credentials_are_refused() {
    let home = Home::new();
    for url in [
        "http://127.0.0.1:9/api",
        "http://127.0.0.1:9/?v=1",
        "http://user:pass@127.0.0.1:9",
    ] {
        let out = home
            .run(Some("sk-test"), &["--base-url", url, "list"])
            .await;
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        assert!(stderr(&out).contains("base URL"), "{}", stderr(&out));
    }
}

#[tokio::test]
async fn empty_or_relative_download_dirs_in_config_are_refused() {
    let home = Home::new();
    for (value, says) in [
        ("", "not an absolute path"),
        ("audio", "not an absolute path"),
    ] {
        home.write_config(&format!("download_dir = {value:?}\n"));
        let mut cmd = home.cmd(None);
        cmd.env_remove("KLANG_DOWNLOAD_DIR").arg("list");
        let out = cmd.output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{value:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    // A relative flag is resolved once, against the current directory.
    home.write_config("");
    let out = home
        .cmd(None)
        .current_dir(home.dir.path())
        .args(["--download-dir", "rel", "paths", "--json"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = common::home::json(&out);
    let shown = doc["downloads"].as_str().unwrap_or_default().to_string();
    assert!(std::path::Path::new(&shown).is_absolute(), "{doc}");
}

#[tokio::test]
async fn a_store_that_cannot_be_opened_has_its_own_exit_code() {
    let home = Home::new();
    // A directory where the store file should be.
    std::fs::create_dir_all(home.dir.path().join("data/klang/tasks.db")).unwrap();
    let out = home.run(None, &["list"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("task store"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_half_configured_callback_receiver_blocks_only_what_needs_it() {
    let home = Home::new();
    home.write_config("callback_listen = \"0.0.0.0:8787\"\n");
    let out = home.run(None, &["list"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = home.run(Some("sk-test"), &["wait"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--callback-url"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_busy_callback_port_is_exit_2_in_the_cli_and_the_dashboard() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = busy.local_addr().unwrap().to_string();
    let home = Home::new();
    let cli = home
        .run(Some("sk-test"), &["--callback-listen", &listen, "wait"])
        .await;
    assert_eq!(cli.status.code(), Some(2), "{}", stderr(&cli));
    // The dashboard starts its engine (and receiver) before it touches the
    // terminal, so it fails the same way without one.
    let dashboard = home
        .run(Some("sk-test"), &["--callback-listen", &listen])
        .await;
    assert_eq!(dashboard.status.code(), Some(2), "{}", stderr(&dashboard));
    assert!(stderr(&dashboard).contains("pick another --callback-listen"));
}
