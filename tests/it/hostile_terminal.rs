//! Hostile text on a real terminal: a server whose task id, failMsg and
//! result URL carry ESC, BEL, C1 and bidi controls, then every way klang
//! prints a task (plain lines, `--json`, CSV and JSON Lines export) run in
//! a tmux pane whose raw output is recorded with `pipe-pane`. Nothing the
//! server sent may arrive as a control; the same commands into a file keep
//! the exact text.

use crate::common;

use axum::Json;
use axum::Router;
use axum::routing::get;
use common::home::{Home, stderr};
use common::tmux::{self, Tmux};
use serde_json::{Value, json};
use std::time::Duration;

/// ESC (an OSC 52 clipboard write and a colour), BEL, CR, C1 (CSI, NEL),
/// a right-to-left override and an isolate.
const HOSTILE: &str =
    "boom\x1b]52;c;ZXZpbA==\x07 \x1b[2J\r\u{9b}31m\u{85}\u{202e}fdp.exe\u{2066}x\u{2069}";
const TASK_ID: &str = "clhostile\x1b[2J\u{9b}\u{202e}01";

/// A prompt a spreadsheet would run as a formula.
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"ok\")";

async fn hostile_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("http://{addr}/files/{HOSTILE}.mp3");
    let answer = move || {
        let url = url.clone();
        async move {
            Json(json!({"code": 200, "msg": "success", "data": {
                "taskId": TASK_ID, "state": "failed", "failMsg": HOSTILE,
                "model": "kling-audio/kling-sound-effects", "resultUrls": [url],
            }}))
        }
    };
    let app = Router::new().route(
        "/api/v1/audio/generations",
        get(answer.clone()).post(answer),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Every way a task reaches stdout.
const COMMANDS: [&[&str]; 7] = [
    &["list"],
    &["show", "1"],
    &["list", "--json"],
    &["show", "1", "--json"],
    &["export", "--format", "csv"],
    &["export", "--format", "jsonl"],
    &["stats"],
];

/// A raw control a terminal would act on: C0 but newline, DEL, C1, bidi.
fn is_control(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// Removes klang's own OSC 8 hyperlinks (`ESC ] 8 ; ; target ESC \`) whose
/// target is printable ASCII: the only escapes klang writes on purpose.
fn without_own_hyperlinks(text: &str) -> String {
    let mut rest = text;
    let mut out = String::new();
    while let Some(at) = rest.find("\x1b]8;;") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 5..];
        let Some(end) = after.find("\x1b\\") else {
            return out + &rest[at..];
        };
        let target = &after[..end];
        if !target.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return out + &rest[at..];
        }
        rest = &after[end + 2..];
    }
    out + rest
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_text_never_reaches_a_terminal_as_controls_and_files_keep_it_exact() {
    if tmux::missing() {
        return;
    }
    let home = Home::new();
    let base = hostile_server().await;
    let submit = ["--base-url", &base, "submit", "sfx", "--prompt", FORMULA];
    let out = home.run(Some("sk-test"), &submit).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let wait = home
        .run(Some("sk-test"), &["--base-url", &base, "wait"])
        .await;
    assert_eq!(wait.status.code(), Some(1), "{}", stderr(&wait));

    let term = Tmux::start("hostile-term", home.dir.path());
    let raw = home.dir.path().join("pane.raw");
    term.run(&[
        "pipe-pane",
        "-o",
        "-t",
        "klang",
        &format!("cat >> {}", raw.display()),
    ]);
    let bin = env!("CARGO_BIN_EXE_klang");
    for (n, args) in COMMANDS.iter().enumerate() {
        // Quoted apart, so the echoed command line never shows the marker.
        term.literal(&format!("{bin} {}; echo DONE\"\"-{n}", args.join(" ")));
        term.keys(&["Enter"]);
        term.wait_for(&format!("DONE-{n}"));
    }
    // pipe-pane writes through `cat`: wait until the last marker is in.
    let last = format!("DONE-{}\r\n", COMMANDS.len() - 1);
    let mut seen = String::new();
    for _ in 0..100 {
        seen = String::from_utf8_lossy(&std::fs::read(&raw).unwrap_or_default()).into_owned();
        if seen.contains(&last) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        seen.contains("boom") && seen.contains("clhostile"),
        "{seen:?}"
    );
    let bare = without_own_hyperlinks(&seen).replace("\r\n", "\n");
    let controls: Vec<char> = bare.chars().filter(|c| is_control(*c)).collect();
    assert!(
        controls.is_empty(),
        "raw controls reached the terminal: {controls:?} in {bare:?}"
    );
    // The CSV shown on the terminal neutralised the formula too.
    assert!(bare.contains("'=HYPERLINK"), "{bare}");

    files_keep_the_exact_text(&home).await;
}

/// The same commands into a file: JSON decodes to the server's exact text,
/// the CSV holds it byte for byte (formula cells aside).
async fn files_keep_the_exact_text(home: &Home) {
    let json_show = home.run(None, &["show", "1", "--json"]).await;
    let shown: Value = serde_json::from_slice(&json_show.stdout).unwrap();
    assert_eq!(shown["task_id"], TASK_ID);
    assert_eq!(shown["fail_msg"], HOSTILE);
    let text = String::from_utf8(json_show.stdout).unwrap();
    assert!(!text.chars().any(is_control), "--json: {text:?}");

    let jsonl = home.run(None, &["export", "--format", "jsonl"]).await;
    let line: Value = serde_json::from_slice(&jsonl.stdout).unwrap();
    assert_eq!(line["fail_msg"], HOSTILE);
    assert_eq!(line["prompt"], FORMULA);

    let csv_path = home.dir.path().join("out.csv");
    let csv_out = csv_path.to_str().unwrap();
    for extra in [&[][..], &["--keep-formulas"]] {
        let mut args = vec!["export", "--format", "csv", "--out", csv_out];
        args.extend_from_slice(extra);
        let out = home.run(None, &args).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let mut csv = csv::Reader::from_path(&csv_path).unwrap();
        let headers = csv.headers().unwrap().clone();
        let record = csv.records().next().unwrap().unwrap();
        let cell = |name: &str| &record[headers.iter().position(|h| h == name).unwrap()];
        assert_eq!(cell("task_id"), TASK_ID);
        assert_eq!(cell("fail_msg"), HOSTILE);
        let prompt = if extra.is_empty() {
            format!("'{FORMULA}")
        } else {
            FORMULA.to_string()
        };
        assert_eq!(cell("prompt"), prompt, "{extra:?}");
    }
}
