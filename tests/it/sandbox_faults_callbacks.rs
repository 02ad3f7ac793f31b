//! The sandbox's fault injection and callback delivery, through plain HTTP
//! with reqwest: faults create nothing; callbacks carry the contract's
//! payload and follow its retry schedule.

use crate::sandbox_support;

use sandbox_support::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use klang::sandbox::{self, Faults, SANDBOX_KEY, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A sandbox with one task, the create body and the two API URLs (create,
/// and query for that task).
struct Faulted {
    sb: sandbox::SandboxHandle,
    c: reqwest::Client,
    id: String,
    body: Value,
    url: String,
    qurl: String,
}

impl Faulted {
    async fn start() -> Result<Faulted> {
        let sb = fast().await?;
        let c = client()?;
        let body = sfx("boom", "3.0");
        let id = create_ok(&c, &sb, &body).await?;
        let url = format!("{}{GEN}", sb.base_url());
        let qurl = format!("{url}?task_id={id}");
        Ok(Faulted {
            sb,
            c,
            id,
            body,
            url,
            qurl,
        })
    }

    /// Faults off again: creating works, then the sandbox stops.
    async fn recover(self) -> Result<()> {
        self.sb.set_faults(Faults::default());
        create_ok(&self.c, &self.sb, &self.body).await?;
        self.sb.shutdown().await;
        Ok(())
    }
}

#[tokio::test]
async fn each_answered_fault_creates_nothing() -> Result<()> {
    let f = Faulted::start().await?;
    let (sb, c, body) = (&f.sb, &f.c, &f.body);
    let (url, qurl) = (f.url.clone(), f.qurl.clone());
    let none = Faults::default();
    let kinds = [
        (
            "error",
            Faults {
                error_rate: 1.0,
                ..none
            },
        ),
        (
            "html",
            Faults {
                html_error_rate: 1.0,
                ..none
            },
        ),
        (
            "rate",
            Faults {
                rate_limit_rate: 1.0,
                ..none
            },
        ),
        (
            "malformed",
            Faults {
                malformed_rate: 1.0,
                ..none
            },
        ),
    ];
    for (name, faults) in kinds {
        sb.set_faults(faults);
        let before = sb.stats();
        for resp in [
            c.post(&url)
                .bearer_auth(SANDBOX_KEY)
                .json(&body)
                .send()
                .await?,
            c.get(&qurl).bearer_auth(SANDBOX_KEY).send().await?,
        ] {
            let status = resp.status();
            let retry_after = resp.headers().get("retry-after").cloned();
            let ctype = resp.headers().get("content-type").cloned();
            let text = resp.text().await?;
            match name {
                "error" => {
                    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
                    assert_eq!(serde_json::from_str::<Value>(&text)?["code"], 500);
                }
                "html" => {
                    assert_eq!(status, StatusCode::BAD_GATEWAY);
                    assert!(ctype.is_some_and(|c| c.as_bytes().starts_with(b"text/html")));
                    assert!(text.contains("502 Bad Gateway"));
                }
                "rate" => {
                    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
                    assert_eq!(retry_after.as_ref().map(|v| v.as_bytes()), Some(&b"1"[..]));
                }
                _ => {
                    assert_eq!(status, StatusCode::OK);
                    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
                }
            }
        }
        let after = sb.stats();
        assert_eq!(after.creates, before.creates, "{name}");
        assert_eq!(after.faults_injected, before.faults_injected + 2, "{name}");
    }

    f.recover().await
}

#[tokio::test]
async fn a_reset_answers_nothing_and_may_or_may_not_create() -> Result<()> {
    let f = Faulted::start().await?;
    let (sb, c, body) = (&f.sb, &f.c, &f.body);
    let (url, qurl) = (f.url.clone(), f.qurl.clone());
    sb.set_faults(Faults {
        reset_rate: 1.0,
        ..Default::default()
    });
    let before = sb.stats();
    for _ in 0..12 {
        let res = c
            .post(&url)
            .bearer_auth(SANDBOX_KEY)
            .json(&body)
            .send()
            .await;
        assert!(res.is_err(), "reset gave a response: {res:?}");
    }
    let res = c.get(&qurl).bearer_auth(SANDBOX_KEY).send().await;
    assert!(res.is_err());
    let after = sb.stats();
    assert_eq!(after.faults_injected, before.faults_injected + 13);
    let created = after.creates - before.creates;
    assert!(
        created > 0 && created < 12,
        "resets created {created} of 12"
    );

    f.recover().await
}

#[tokio::test]
async fn files_are_never_faulted_and_latency_applies_to_the_api() -> Result<()> {
    let f = Faulted::start().await?;
    let (sb, c, id) = (&f.sb, &f.c, &f.id);
    let qurl = f.qurl.clone();
    sb.set_faults(Faults {
        error_rate: 1.0,
        latency_ms: 300,
        ..Default::default()
    });
    let d = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let f = c
                .get(format!("{}/files/{id}.wav", sb.base_url()))
                .send()
                .await?;
            if f.status() == StatusCode::OK {
                return anyhow::Ok(f.bytes().await?);
            }
        }
    })
    .await??;
    assert!(!d.is_empty());
    let t = Instant::now();
    let resp = c.get(&qurl).bearer_auth(SANDBOX_KEY).send().await?;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(t.elapsed() >= Duration::from_millis(300));

    f.recover().await
}

/// A callback receiver answering 500 to the first `fail_first` posts.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(reqwest::header::HeaderMap, String)>>>,
}

async fn receiver(fail_first: usize) -> Result<Receiver> {
    use axum::http::HeaderMap;
    let got: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                let mut g = sink.lock().unwrap_or_else(|e| e.into_inner());
                g.push((headers, body));
                if g.len() <= fail_first {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Receiver { url, got })
}

impl Receiver {
    async fn wait_for(
        &self,
        n: usize,
        within: Duration,
    ) -> Result<Vec<(reqwest::header::HeaderMap, String)>> {
        let start = Instant::now();
        loop {
            let got = self.got.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if got.len() >= n {
                return Ok(got);
            }
            ensure!(
                start.elapsed() < within,
                "got {} callbacks, wanted {n}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn callback_payload_matches_the_contract() -> Result<()> {
    let sb = fast().await?;
    let c = client()?;
    let rx = receiver(0).await?;
    let mut ok_body = sfx("rain on a tin roof", "4.5");
    ok_body["callback_url"] = json!(rx.url);
    let mut fail_body = tts("please fail now");
    fail_body["callback_url"] = json!(rx.url);
    let ok_id = create_ok(&c, &sb, &ok_body).await?;
    let fail_id = create_ok(&c, &sb, &fail_body).await?;
    let got = rx.wait_for(2, Duration::from_secs(3)).await?;
    for (headers, raw) in &got {
        assert!(
            headers["content-type"]
                .as_bytes()
                .starts_with(b"application/json")
        );
        assert!(!headers.keys().any(|k| k.as_str().contains("signature")));
        let v: Value = serde_json::from_str(raw)?;
        assert_eq!(
            (v["code"].as_u64(), v["msg"].as_str()),
            (Some(200), Some("success"))
        );
        let d = &v["data"];
        let param: Value = serde_json::from_str(d["param"].as_str().context("param string")?)?;
        let (ct, done) = (d["createTime"].as_u64(), d["completeTime"].as_u64());
        let (ct, done) = (ct.context("createTime")?, done.context("completeTime")?);
        assert_eq!(d["costTime"].as_u64(), Some(done - ct));
        if d["taskId"] == ok_id.as_str() {
            assert_eq!(param, ok_body);
            assert_eq!(d["state"], "completed");
            assert_eq!(d["model"], "kling-audio/kling-sound-effects");
            assert!(d["failCode"].is_null() && d["failMsg"].is_null());
            let result: Value =
                serde_json::from_str(d["resultJson"].as_str().context("resultJson string")?)?;
            let q = wait_terminal(&c, &sb, &ok_id).await?;
            assert_eq!(result["resultUrls"], q["resultUrls"]);
            assert!(
                result
                    .get("audioDuration")
                    .is_none_or(|a| a.as_f64() == Some(4.5))
            );
        } else {
            assert_eq!(d["taskId"], fail_id.as_str());
            assert_eq!(param, fail_body);
            assert_eq!(d["state"], "failed");
            assert!(d["failMsg"].is_string());
            match &d["resultJson"] {
                Value::Null => {}
                Value::String(s) => assert!(no_result_urls(&serde_json::from_str(s)?)),
                other => bail!("resultJson {other}"),
            }
        }
    }
    let stats = sb.stats();
    assert_eq!((stats.callbacks_sent, stats.callbacks_acknowledged), (2, 2));
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn callbacks_are_retried_until_acknowledged() -> Result<()> {
    let sb = fast().await?;
    let c = client()?;
    let rx = receiver(2).await?;
    let mut body = sfx("knock knock", "3.0");
    body["callback_url"] = json!(rx.url);
    let start = Instant::now();
    create_ok(&c, &sb, &body).await?;
    // First try at ~0.3 s, retries after 1 s and 2 s more.
    let got = rx.wait_for(3, Duration::from_secs(4)).await?;
    assert!(start.elapsed() >= Duration::from_secs(3));
    assert!(
        got.iter().all(|(_, b)| b == &got[0].1),
        "retries must resend the same body"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stats = sb.stats();
    assert_eq!((stats.callbacks_sent, stats.callbacks_acknowledged), (3, 1));
    sb.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn acknowledged_callbacks_are_duplicated_when_configured() -> Result<()> {
    let sb = sandbox::start(SandboxConfig {
        callback_duplicates: 2,
        ..fast_config()
    })
    .await?;
    let c = client()?;
    let rx = receiver(0).await?;
    let mut body = tts("duplicate me");
    body["callback_url"] = json!(rx.url);
    create_ok(&c, &sb, &body).await?;
    let got = rx.wait_for(3, Duration::from_secs(3)).await?;
    assert!(got.iter().all(|(_, b)| b == &got[0].1));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.got.lock().unwrap_or_else(|e| e.into_inner()).len(), 3);
    assert_eq!(sb.stats().callbacks_acknowledged, 3);
    sb.shutdown().await;
    Ok(())
}
