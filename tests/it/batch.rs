//! `klang batch` and budgets: the real binary against a sandbox on loopback,
//! real files and a real store; requests are counted at the sandbox.

use crate::common;

use common::home::{Home, json, stderr};
use common::*;
use klang::sandbox::{SANDBOX_KEY, SandboxHandle};
use std::path::PathBuf;
use std::time::Duration;

fn tts_lines(n: usize) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "{{\"model\":\"tts\",\"text\":\"Line number {i}, spoken.\",\"voice_id\":\"reader_en_m-v1\",\"voice_language\":\"en\"}}\n"
            )
        })
        .collect()
}

fn write(home: &Home, name: &str, text: &str) -> PathBuf {
    let path = home.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn batch(home: &Home, sb: &SandboxHandle, args: &[&str]) -> std::process::Output {
    let url = sb.base_url();
    let mut all = vec!["--base-url", url.as_str(), "batch"];
    all.extend(args);
    home.run(Some(SANDBOX_KEY), &all).await
}

#[tokio::test]
async fn a_bad_line_refuses_the_whole_file_naming_it() {
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    let mut text = tts_lines(3);
    text.push_str("{\"model\":\"sfx\",\"prompt\":\"boom\",\"duration\":12}\n");
    text.push_str(&tts_lines(1));
    text.push_str(
        "{\"model\":\"tts\",\"text\":\"hi\",\"voice_id\":\"v\",\"voice_language\":\"fr\"}\n",
    );
    let file = write(&home, "lines.jsonl", &text);
    let out = batch(&home, &sb, &[file.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("line 4: duration:") && err.contains("10.0"),
        "{err}"
    );
    assert!(err.contains("line 6: voice_language:"), "{err}");
    assert!(err.contains("2 invalid lines, nothing was sent"), "{err}");
    assert_eq!(sb.stats().creates, 0);
    assert_eq!(home.store().count().unwrap(), 0);
}

#[tokio::test]
async fn dry_run_and_max_cost_send_nothing() {
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    let mut text = tts_lines(4);
    text.push_str("{\"model\":\"sfx\",\"prompt\":\"boom\",\"duration\":\"3\"}\n");
    let file = write(&home, "lines.jsonl", &text);
    let path = file.to_str().unwrap();
    let out = batch(&home, &sb, &[path, "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("kling-tts") && shown.contains("$0.0024"),
        "{shown}"
    );
    assert!(shown.contains("kling-sound-effects") && shown.contains("$0.0295"));
    assert!(
        shown.contains("total") && shown.contains("$0.0319"),
        "{shown}"
    );
    let doc = json(&batch(&home, &sb, &[path, "--dry-run", "--json"]).await);
    assert_eq!(doc["total"]["count"], 5);
    assert_eq!(doc["total"]["cost_usd"], 0.0319);

    let out = batch(&home, &sb, &[path, "--max-cost", "0.03"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("above --max-cost $0.0300"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sb.stats().creates, 0);
    assert_eq!(home.store().count().unwrap(), 0);
}

#[tokio::test]
async fn running_a_file_twice_creates_each_line_once() {
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    let file = write(&home, "lines.jsonl", &tts_lines(12));
    let path = file.to_str().unwrap();
    let out = batch(&home, &sb, &[path, "--rate", "200", "--download", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(
        (doc["new"].as_u64(), doc["skipped"].as_u64()),
        (Some(12), Some(0))
    );
    assert_eq!(sb.stats().creates, 12);
    // Files keep the file's line order.
    let mut names: Vec<String> = std::fs::read_dir(home.downloads().join("lines"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12);
    for (i, name) in names.iter().enumerate() {
        assert!(name.starts_with(&format!("{:05}_", i + 1)), "{name}");
        assert!(
            name.contains(&format!("line-number-{}-spoken", i + 1)),
            "{name}"
        );
    }

    let again = json(&batch(&home, &sb, &[path, "--json"]).await);
    assert_eq!(
        (again["new"].as_u64(), again["skipped"].as_u64()),
        (Some(0), Some(12))
    );
    assert_eq!(sb.stats().creates, 12, "nothing paid twice");
    let dry = json(&batch(&home, &sb, &[path, "--dry-run", "--json"]).await);
    assert_eq!(dry["already_created"], 12);
    assert_eq!(dry["to_send"]["count"], 0);
}

#[tokio::test]
async fn csv_rows_with_quoted_commas_and_newlines_are_sent_as_written() {
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    let text = "model,text,voice_id,voice_language\n\
                tts,\"Hello, world\",reader_en_m-v1,en\n\
                tts,\"She said \"\"run\"\",\nthen ran\",reader_en_m-v1,en\n";
    let file = write(&home, "lines.csv", text);
    let out = batch(&home, &sb, &[file.to_str().unwrap(), "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sb.stats().creates, 2);
    let mut texts: Vec<String> = home
        .store()
        .list(&Default::default())
        .unwrap()
        .into_iter()
        .map(|r| r.summary)
        .collect();
    texts.sort();
    assert_eq!(texts, ["Hello, world", "She said \"run\",\nthen ran"]);
}

#[tokio::test]
async fn a_run_killed_midway_resumes_without_paying_twice() {
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    let lines = 40;
    let file = write(&home, "lines.jsonl", &tts_lines(lines));
    let path = file.to_str().unwrap().to_string();
    let url = sb.base_url();
    let mut child = home
        .cmd(Some(SANDBOX_KEY))
        .args(["--base-url", &url, "batch", &path, "--rate", "25"])
        .spawn()
        .unwrap();
    let store_file = home.dir.path().join("data/klang/tasks.db");
    for _ in 0..400 {
        if store_file.exists() && home.store().count().unwrap() >= 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.start_kill().unwrap();
    let _ = child.wait().await;
    // Let a request already on the wire reach the sandbox.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = home.store().count().unwrap() as u64;
    let created = sb.stats().creates;
    assert!(
        rows >= 12 && rows < lines as u64,
        "killed midway: {rows} rows"
    );
    // A row whose request never left is unknown to klang: it is skipped,
    // never sent again (it might have been charged).
    let stranded = rows - created;

    let out = batch(&home, &sb, &[&path, "--rate", "200", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["skipped"].as_u64(), Some(rows), "{doc}");
    assert_eq!(doc["new"].as_u64(), Some(lines as u64 - rows));
    assert_eq!(sb.stats().creates, lines as u64 - stranded);
    assert_eq!(home.store().count().unwrap(), lines as i64);
}

#[tokio::test]
async fn a_budget_refuses_before_any_request_in_every_command() {
    let sb = sandbox(100, 200).await;
    let home = Home::new();
    home.write_config("daily_budget_usd = 0.05\n");
    let url = sb.base_url();
    let submit = |prompt: &'static str| {
        let url = url.clone();
        let home = &home;
        async move {
            home.run(
                Some(SANDBOX_KEY),
                &["--base-url", &url, "submit", "sfx", "--prompt", prompt],
            )
            .await
        }
    };
    let first = submit("first").await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let second = submit("second").await;
    assert_eq!(second.status.code(), Some(2));
    let all = stderr(&second);
    let refusals: Vec<&str> = all.lines().filter(|l| l.contains("budget")).collect();
    assert_eq!(refusals.len(), 1, "one line: {all}");
    let err = refusals[0];
    for part in [
        "daily budget $0.0500",
        "$0.0295 spent today",
        "this costs $0.0295",
        "daily_budget_usd",
    ] {
        assert!(err.contains(part), "{err}");
    }
    assert_eq!(sb.stats().creates, 1);

    // A batch is refused whole when the rest of the day's budget does not cover it.
    let file = write(&home, "lines.jsonl", &tts_lines(40)); // $0.024 > $0.0205 left
    let out = batch(&home, &sb, &[file.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("daily budget"), "{}", stderr(&out));
    assert_eq!(sb.stats().creates, 1);
    assert_eq!(home.store().count().unwrap(), 1);

    // A small one fits.
    let small = write(&home, "small.jsonl", &tts_lines(3));
    let out = batch(&home, &sb, &[small.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sb.stats().creates, 4);
}
