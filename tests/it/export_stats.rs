//! `klang export` and `klang stats` over a real store filled through the
//! sandbox: row counts, CSV quoting, filters, and totals that match the
//! store.

use crate::common;

use common::home::{Home, json, stderr};
use common::*;
use klang::sandbox::SANDBOX_KEY;
use klang::store::LocalState;

const PROMPTS: [&str; 4] = [
    "wind, rain and hail",
    "she said \"hi\", twice",
    "line one\nline two",
    "door slam fail",
];

/// Four sound effects (one fails on the server) and two TTS lines.
async fn filled_home() -> (Home, klang::sandbox::SandboxHandle) {
    let sb = sandbox(50, 100).await;
    let home = Home::new();
    let mut text = String::new();
    for p in PROMPTS {
        text.push_str(&serde_json::json!({"model": "sfx", "prompt": p, "duration": 3}).to_string());
        text.push('\n');
    }
    for t in ["hello", "goodbye"] {
        text.push_str(&format!(
            "{{\"model\":\"tts\",\"text\":\"{t}\",\"voice_id\":\"reader_en_m-v1\",\"voice_language\":\"en\"}}\n"
        ));
    }
    let file = home.dir.path().join("mix.jsonl");
    std::fs::write(&file, text).unwrap();
    let url = sb.base_url();
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &[
                "--base-url",
                &url,
                "batch",
                file.to_str().unwrap(),
                "--wait",
                "--rate",
                "100",
            ],
        )
        .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "one task fails: {}",
        stderr(&out)
    );
    (home, sb)
}

#[tokio::test]
async fn export_writes_one_row_per_task_and_quotes_what_needs_it() {
    let (home, _sb) = filled_home().await;
    let out = home.run(None, &["export", "--format", "csv"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len() as i64, home.store().count().unwrap());
    let prompts: Vec<&str> = rows.iter().map(|r| &r[col("prompt")]).collect();
    for p in PROMPTS {
        assert!(
            prompts.contains(&p),
            "{p:?} survives the round trip: {prompts:?}"
        );
    }
    // The raw text quotes the comma, the doubled quote and the newline.
    let raw = String::from_utf8_lossy(&out.stdout);
    assert!(raw.contains("\"she said \"\"hi\"\", twice\""), "{raw}");
    assert!(raw.contains("\"line one\nline two\""), "{raw}");
    let failed = rows
        .iter()
        .find(|r| &r[col("prompt")] == "door slam fail")
        .unwrap();
    assert_eq!(&failed[col("state")], "failed");
    let done = rows.iter().find(|r| &r[col("text")] == "hello").unwrap();
    assert_eq!(&done[col("cost_usd")], "0.0006");
    assert!(done[col("result_urls")].starts_with("http://127.0.0.1"));
    assert!(!done[col("generation_seconds")].is_empty());

    assert_filters_jsonl_and_file(&home, &out.stdout).await;
}

/// `--model`, `--state` and `--since` narrow the export, JSON Lines carry
/// the URLs as arrays, `--out` writes what stdout had (`csv`), and a date
/// that is not one is refused.
async fn assert_filters_jsonl_and_file(home: &Home, csv: &[u8]) {
    let only = home
        .run(None, &["export", "--format", "jsonl", "--model", "tts"])
        .await;
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&only.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["model"] == "kling-tts" && l["result_urls"].is_array())
    );
    let failed_only = home
        .run(None, &["export", "--format", "jsonl", "--state", "failed"])
        .await;
    assert_eq!(
        String::from_utf8_lossy(&failed_only.stdout).lines().count(),
        1
    );
    let future = home
        .run(
            None,
            &["export", "--format", "csv", "--since", "2999-01-01"],
        )
        .await;
    assert_eq!(
        String::from_utf8_lossy(&future.stdout).lines().count(),
        1,
        "header only"
    );
    let target = home.dir.path().join("history.csv");
    let to_file = home
        .run(
            None,
            &[
                "export",
                "--format",
                "csv",
                "--out",
                target.to_str().unwrap(),
            ],
        )
        .await;
    assert_eq!(to_file.status.code(), Some(0));
    assert_eq!(std::fs::read(&target).unwrap(), csv);
    let bad = home
        .run(None, &["export", "--format", "csv", "--since", "yesterday"])
        .await;
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test]
async fn stats_totals_equal_the_costs_in_the_store() {
    let (home, _sb) = filled_home().await;
    let out = home.run(None, &["stats", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    let rows = home.store().list(&Default::default()).unwrap();
    let spent: f64 = rows
        .iter()
        .filter(|r| r.state != LocalState::SubmitFailed)
        .map(|r| r.cost_usd)
        .sum();
    assert!(
        (doc["cost_usd"].as_f64().unwrap() - spent).abs() < 1e-9,
        "{doc}"
    );
    assert_eq!(doc["tasks"].as_u64(), Some(rows.len() as u64));
    let days = doc["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let by_day: f64 = days.iter().map(|d| d["cost_usd"].as_f64().unwrap()).sum();
    assert!((by_day - spent).abs() < 1e-9);
    let sfx = doc["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "kling-sound-effects")
        .unwrap();
    assert_eq!(sfx["tasks"], 4);
    assert_eq!(sfx["failed"], 1);
    assert_eq!(sfx["failure_rate"], 0.25);
    let p50 = sfx["p50_seconds"].as_f64().unwrap();
    let p95 = sfx["p95_seconds"].as_f64().unwrap();
    assert!(p50 > 0.0 && p95 >= p50, "{sfx}");

    let text = home.run(None, &["stats"]).await;
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("kling-tts") && shown.contains("$0.0012"),
        "{shown}"
    );
    assert!(shown.contains(&format!("${spent:.4}")), "{shown}");
}
