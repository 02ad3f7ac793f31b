//! Composing from the command line, with the real `klang` binary against a
//! sandbox on loopback: voices, takes (`--count`), groups and stars.

use crate::common;

use common::home::{Home, json, stderr};
use common::*;
use klang::sandbox::SANDBOX_KEY;

/// `klang --base-url URL submit tts --text T --voice-id V --lang L` and more.
fn tts<'a>(
    url: &'a str,
    text: &'a str,
    voice: &'a str,
    lang: &'a str,
    more: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "--base-url",
        url,
        "submit",
        "tts",
        "--text",
        text,
        "--voice-id",
        voice,
        "--lang",
        lang,
    ];
    args.extend_from_slice(more);
    args
}

#[tokio::test]
async fn voices_are_listed_by_language_with_no_key_and_no_network() {
    let home = Home::new();
    let all = json(&home.run(None, &["voices", "--json"]).await);
    let all = all.as_array().expect("an array");
    assert_eq!(all.len(), 46);
    let kaiya = all
        .iter()
        .find(|v| v["id"] == "ai_kaiya")
        .expect("ai_kaiya listed");
    assert_eq!(kaiya["languages"], serde_json::json!(["zh", "en"]));
    let en = json(&home.run(None, &["voices", "--lang", "en", "--json"]).await);
    let en = en.as_array().expect("an array");
    assert_eq!(en.len(), 27);
    assert!(en.iter().all(|v| {
        v["languages"]
            .as_array()
            .is_some_and(|l| l.contains(&"en".into()))
    }));
    let table = home.run(None, &["voices", "--lang", "zh"]).await;
    assert_eq!(table.status.code(), Some(0));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("mengwa-v1") && !text.contains("uk_boy1"),
        "{text}"
    );
}

#[tokio::test]
async fn a_voice_with_a_language_it_does_not_speak_is_refused_before_sending() {
    let sb = sandbox(50, 100).await;
    let home = Home::new();
    let url = sb.base_url();
    let out = home
        .run(Some(SANDBOX_KEY), &tts(&url, "你好", "uk_boy1", "zh", &[]))
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("\"uk_boy1\" speaks en, not zh"), "{err}");
    let stats = sb.stats();
    assert_eq!(
        stats.creates + stats.refused + stats.queries + stats.unauthorized,
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn an_unknown_voice_is_sent_with_a_warning_and_the_server_answer_shown() {
    let sb = sandbox(50, 100).await;
    let home = Home::new();
    let url = sb.base_url();
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &tts(&url, "hello", "brand_new_voice", "en", &[]),
        )
        .await;
    let err = stderr(&out);
    assert!(
        err.contains("warning: voice \"brand_new_voice\" is not in klang's voice table"),
        "{err}"
    );
    assert!(err.contains("voice id not found"), "server's answer: {err}");
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(sb.stats().refused, 1, "it was sent");
}

#[tokio::test]
async fn count_three_makes_three_creates_in_one_group_priced_first() {
    let sb = sandbox(50, 100).await;
    let home = Home::new();
    let url = sb.base_url();
    let args = tts(
        &url,
        "take it from the top",
        "calm_story1",
        "en",
        &["--count", "3", "--wait"],
    );
    let out = home.run(Some(SANDBOX_KEY), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let price = err
        .find("3 × $0.0006 = $0.0018")
        .unwrap_or_else(|| panic!("total price: {err}"));
    let first_submitted = err.find("submitted #").unwrap_or(usize::MAX);
    assert!(price < first_submitted, "price before submitting: {err}");
    assert_eq!(sb.stats().creates, 3);

    let listed = json(
        &home
            .run(None, &["--base-url", &url, "list", "--json"])
            .await,
    );
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 3);
    let group = listed[0]["group_id"].as_str().expect("a group id");
    assert!(listed.iter().all(|t| t["group_id"] == group));
    assert!(listed.iter().all(|t| t["state"] == "completed"));
    let grouped = json(
        &home
            .run(
                None,
                &["--base-url", &url, "list", "--group", group, "--json"],
            )
            .await,
    );
    assert_eq!(grouped.as_array().map(Vec::len), Some(3));
    let none = json(
        &home
            .run(
                None,
                &["--base-url", &url, "list", "--group", "nope", "--json"],
            )
            .await,
    );
    assert_eq!(none.as_array().map(Vec::len), Some(0));

    let too_many = home
        .run(
            Some(SANDBOX_KEY),
            &[
                "--base-url",
                &url,
                "submit",
                "sfx",
                "--prompt",
                "x",
                "--count",
                "9",
            ],
        )
        .await;
    assert_eq!(too_many.status.code(), Some(2));
    assert_eq!(sb.stats().creates, 3, "nothing more was sent");
}

#[tokio::test]
async fn starred_tasks_are_listed_with_starred() {
    let sb = sandbox(50, 100).await;
    let home = Home::new();
    let url = sb.base_url();
    for prompt in ["rain", "wind"] {
        let out = home
            .run(
                Some(SANDBOX_KEY),
                &["--base-url", &url, "submit", "sfx", "--prompt", prompt],
            )
            .await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let store = home.store();
    let rain = store.resolve("1").expect("store").expect("task 1");
    store.toggle_star(rain.id).expect("star");
    let starred = json(
        &home
            .run(None, &["--base-url", &url, "list", "--starred", "--json"])
            .await,
    );
    let starred = starred.as_array().expect("array");
    assert_eq!(starred.len(), 1);
    assert_eq!(starred[0]["summary"], "rain");
    assert_eq!(starred[0]["starred"], true);
}
