//! The sandbox against the API contract (docs/api.md), through plain HTTP
//! with reqwest: nothing here uses klang's own client, and every assertion is
//! about behaviour the real API documents (plus the sandbox's own knobs:
//! keys, fail word, faults, stats). The results as audio are in
//! sandbox_audio.rs.

use crate::sandbox_support;

use sandbox_support::*;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use klang::sandbox::{self, FAIL_WORD, SANDBOX_KEY, SANDBOX_KEY_NO_CREDITS, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn each_model_goes_pending_processing_completed() -> Result<()> {
    let sb = sandbox::start(SandboxConfig {
        pending_ms: 200,
        processing_ms: 400,
        ..Default::default()
    })
    .await?;
    let c = client()?;
    for (body, model) in [
        (sfx("wind through a forest", "5.0"), "kling-sound-effects"),
        (v2a(), "kling-video-to-audio"),
        (tts("hello there"), "kling-tts"),
    ] {
        let (status, v) = create(&c, &sb, Some(SANDBOX_KEY), &body).await?;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["code"], 200);
        let d = &v["data"];
        let id = d["taskId"].as_str().context("taskId")?.to_string();
        assert!(id.len() == 24 && id.starts_with("cl"), "{id}");
        assert!(
            id[2..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
        assert_eq!(d["state"], "pending");
        assert_eq!(d["model"], format!("kling-audio/{model}"));

        // The create's own answer is the first observation, so a slow first
        // query on a loaded machine cannot hide the pending state.
        let mut seen: Vec<String> = vec!["pending".into()];
        let start = Instant::now();
        let last = loop {
            let (status, v) = query(&c, &sb, Some(SANDBOX_KEY), &id).await?;
            assert_eq!(status, StatusCode::OK);
            let d = v["data"].clone();
            assert_eq!(d["taskId"], id.as_str());
            assert_eq!(d["model"], format!("kling-audio/{model}"));
            let state = d["state"].as_str().context("state")?.to_string();
            if state == "pending" || state == "processing" {
                assert!(d["createTime"].is_u64(), "{d}");
                assert!(d.get("completeTime").is_none_or(Value::is_null), "{d}");
                assert!(no_result_urls(&d), "{d}");
            }
            if seen.last() != Some(&state) {
                seen.push(state.clone());
            }
            if state == "completed" {
                break d;
            }
            ensure!(start.elapsed() < Duration::from_secs(3), "stuck: {seen:?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        assert_eq!(seen, ["pending", "processing", "completed"]);
        let urls = last["resultUrls"].as_array().context("resultUrls")?;
        assert_eq!(urls.len(), 1);
        let (ct, done) = (last["createTime"].as_u64(), last["completeTime"].as_u64());
        let (ct, done) = (ct.context("createTime")?, done.context("completeTime")?);
        assert!(ct <= done);
    }
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn fail_word_fails_the_task() -> Result<()> {
    let sb = fast().await?;
    let c = client()?;
    assert_eq!(FAIL_WORD, "fail");
    let mut v2a_fail = v2a();
    v2a_fail["bgm_prompt"] = json!("calm piano, then FAIL");
    for body in [
        sfx("door slam fail", "3.0"),
        v2a_fail,
        tts("This one will Fail."),
    ] {
        let id = create_ok(&c, &sb, &body).await?;
        let d = wait_terminal(&c, &sb, &id).await?;
        assert_eq!(d["state"], "failed", "{body}");
        assert_eq!(d["failMsg"], "Content policy violation");
        assert!(no_result_urls(&d), "{d}");
        let file = c
            .get(format!("{}/files/{id}.wav", sb.base_url()))
            .send()
            .await?;
        assert_eq!(file.status(), StatusCode::NOT_FOUND);
    }
    let id = create_ok(&c, &sb, &sfx("waterfall", "3.0")).await?;
    assert_eq!(wait_terminal(&c, &sb, &id).await?["state"], "completed");
    sb.shutdown().await;
    Ok(())
}

/// Bodies the contract refuses, each with the field its message names.
fn invalid_bodies() -> Vec<(Value, &'static str)> {
    let mut both = v2a();
    both["video_id"] = json!("vid123");
    let mut speed = tts("hello");
    speed["voice_speed"] = json!(2.5);
    let mut lang = tts("hello");
    lang["voice_language"] = json!("fr");
    let mut cb = sfx("boom", "3.0");
    cb["callback_url"] = json!("ftp://example.com/hook");
    vec![
        (
            json!({"model": "kling-sound-effects", "prompt": "x", "duration": 5.0}),
            "duration",
        ),
        (sfx("boom", "12"), "duration"),
        (sfx("boom", "12.0"), "duration"),
        (sfx("boom", "5.25"), "duration"),
        (sfx("boom", "2.9"), "duration"),
        (
            json!({"model": "kling-sound-effects", "prompt": "boom"}),
            "duration",
        ),
        (sfx("", "5.0"), "prompt"),
        (sfx(&"p".repeat(201), "5.0"), "prompt"),
        (tts(&"t".repeat(1001)), "text"),
        (tts(""), "text"),
        (both, "video_id"),
        (json!({"model": "kling-video-to-audio"}), "video_id"),
        (
            json!({"model": "kling-video-to-audio", "video_url": "file:///x.mp4"}),
            "video_url",
        ),
        (lang, "voice_language"),
        (speed, "voice_speed"),
        (
            json!({"model": "kling-tts", "text": "hi", "voice_language": "en"}),
            "voice_id",
        ),
        (json!({"model": "kling-music", "prompt": "x"}), "model"),
        (json!({"prompt": "x", "duration": "5.0"}), "model"),
        (cb, "callback_url"),
    ]
}

#[tokio::test]
async fn invalid_params_answer_400_naming_the_field() -> Result<()> {
    let sb = fast().await?;
    let c = client()?;
    let cases = invalid_bodies();
    for (body, field) in &cases {
        let (status, v) = create(&c, &sb, Some(SANDBOX_KEY), body).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(v["code"], 400);
        let msg = v["msg"].as_str().context("msg")?;
        assert!(msg.contains(field), "{body} -> {msg}");
    }
    let (status, v) = create(&c, &sb, Some(SANDBOX_KEY), &sfx("x", "5.0")).await?;
    assert_eq!(status, StatusCode::OK, "{v}");
    let dur = v["data"]["taskId"].clone();
    assert!(dur.is_string());
    let (_, v) = create(&c, &sb, Some(SANDBOX_KEY), &sfx("x", "4")).await?;
    assert!(
        v["msg"]
            .as_str()
            .is_some_and(|m| m.contains("\"3.0\"") && m.contains("\"10.0\""))
    );

    // Non-JSON body.
    let resp = c
        .post(format!("{}{GEN}", sb.base_url()))
        .bearer_auth(SANDBOX_KEY)
        .header("Content-Type", "application/json")
        .body("model=kling-tts")
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // Limits are inclusive, and unknown extra fields are ignored.
    let mut extra = sfx(&"p".repeat(200), "10.0");
    extra["unknown_field"] = json!({"a": 1});
    let mut speed_ok = tts(&"t".repeat(1000));
    speed_ok["voice_speed"] = json!(0.8);
    for body in [
        extra,
        sfx("x", "3.0"),
        speed_ok,
        json!({"model": "kling-video-to-audio",
        "video_id": "v1", "asmr_mode": true, "sound_effect_prompt": "rain"}),
    ] {
        let (status, v) = create(&c, &sb, Some(SANDBOX_KEY), &body).await?;
        assert_eq!(status, StatusCode::OK, "{body} -> {v}");
    }
    assert_eq!(sb.stats().creates, 5);
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn auth_and_credits() -> Result<()> {
    let sb = fast().await?;
    let c = client()?;
    let body = sfx("boom", "3.0");
    for key in [None, Some("sk-wrong"), Some("")] {
        let (status, v) = create(&c, &sb, key, &body).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            v,
            json!({"code": 401, "msg": "Invalid API key", "data": null})
        );
    }
    let id = create_ok(&c, &sb, &body).await?;
    let (status, _) = query(&c, &sb, None, &id).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, v) = create(&c, &sb, Some(SANDBOX_KEY_NO_CREDITS), &body).await?;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(v["code"], 402);
    assert_eq!(v["msg"], "Insufficient credits");
    let (status, v) = query(&c, &sb, Some(SANDBOX_KEY_NO_CREDITS), &id).await?;
    assert_eq!(status, StatusCode::OK, "{v}");
    let stats = sb.stats();
    assert_eq!((stats.creates, stats.unauthorized), (1, 4));
    assert!(!sandbox::sandbox_keys_help().is_empty());
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn unknown_and_tampered_ids_unknown_paths_and_methods() -> Result<()> {
    let sb = fast().await?;
    let c = client()?;
    let not_found = json!({"code": 404, "msg": "Task not found", "data": null});
    let (status, v) = query(&c, &sb, Some(SANDBOX_KEY), "clxxxxxxxxxxxxxxxxxxxxxx").await?;
    assert_eq!((status, &v), (StatusCode::NOT_FOUND, &not_found));
    let id = create_ok(&c, &sb, &sfx("boom", "3.0")).await?;
    for pos in [2, 12, 23] {
        let mut t = id.clone().into_bytes();
        t[pos] = if t[pos] == b'a' { b'b' } else { b'a' };
        let t = String::from_utf8(t)?;
        let (status, v) = query(&c, &sb, Some(SANDBOX_KEY), &t).await?;
        assert_eq!((status, &v), (StatusCode::NOT_FOUND, &not_found), "{t}");
    }
    let resp = c
        .get(format!("{}/api/v1/nothing", sb.base_url()))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = c
        .delete(format!("{}{GEN}", sb.base_url()))
        .bearer_auth(SANDBOX_KEY)
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_restarted_sandbox_still_knows_earlier_tasks() -> Result<()> {
    let c = client()?;
    let first = fast_wav().await?;
    let id = create_ok(&c, &first, &sfx("thunder", "3.0")).await?;
    let first_addr = first.addr();
    first.shutdown().await;

    let second = fast_wav().await?;
    assert_ne!(second.addr(), first_addr);
    let d = wait_terminal(&c, &second, &id).await?;
    assert_eq!(d["taskId"], id.as_str());
    assert_eq!(d["state"], "completed");
    let url = d["resultUrls"][0].as_str().context("url")?;
    assert!(url.starts_with(&second.base_url()), "{url}");
    let bytes = c.get(url).send().await?.bytes().await?;
    assert_eq!(wav_samples(&bytes)?.1, 66_150);
    second.shutdown().await;
    Ok(())
}
