//! Plain-HTTP helpers for testing the sandbox against the contract: a
//! reqwest client (never klang's own), request builders, and result checks.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig, SandboxHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const GEN: &str = "/api/v1/audio/generations";

pub fn fast_config() -> SandboxConfig {
    SandboxConfig {
        pending_ms: 100,
        processing_ms: 200,
        ..Default::default()
    }
}

pub async fn fast() -> Result<SandboxHandle> {
    Ok(sandbox::start(fast_config()).await?)
}

/// A fast sandbox serving WAV (`klang sandbox --wav`).
pub async fn fast_wav() -> Result<SandboxHandle> {
    Ok(sandbox::start(SandboxConfig {
        audio_format: sandbox::AudioFormat::Wav,
        ..fast_config()
    })
    .await?)
}

pub fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()?)
}

pub fn sfx(prompt: &str, duration: &str) -> Value {
    json!({"model": "kling-sound-effects", "prompt": prompt, "duration": duration})
}

pub fn tts(text: &str) -> Value {
    json!({"model": "kling-tts", "text": text, "voice_id": "uk_boy1", "voice_language": "en"})
}

pub fn v2a() -> Value {
    json!({"model": "kling-video-to-audio", "video_url": "https://example.com/clip.mp4"})
}

pub async fn create(
    c: &reqwest::Client,
    sb: &SandboxHandle,
    key: Option<&str>,
    body: &Value,
) -> Result<(StatusCode, Value)> {
    let mut req = c.post(format!("{}{GEN}", sb.base_url())).json(body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let resp = req.send().await?;
    let status = resp.status();
    Ok((status, resp.json().await?))
}

pub async fn query(
    c: &reqwest::Client,
    sb: &SandboxHandle,
    key: Option<&str>,
    id: &str,
) -> Result<(StatusCode, Value)> {
    let mut req = c.get(format!("{}{GEN}?task_id={}", sb.base_url(), enc(id)));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let resp = req.send().await?;
    let status = resp.status();
    Ok((status, resp.json().await?))
}

pub async fn create_ok(c: &reqwest::Client, sb: &SandboxHandle, body: &Value) -> Result<String> {
    let (status, v) = create(c, sb, Some(SANDBOX_KEY), body).await?;
    ensure!(status == StatusCode::OK, "create answered {status}: {v}");
    let id = v["data"]["taskId"].as_str().context("no taskId")?;
    Ok(id.to_string())
}

/// Poll until the task is terminal; returns the final `data`.
pub async fn wait_terminal(c: &reqwest::Client, sb: &SandboxHandle, id: &str) -> Result<Value> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        let (status, v) = query(c, sb, Some(SANDBOX_KEY), id).await?;
        ensure!(status == StatusCode::OK, "query answered {status}: {v}");
        if matches!(v["data"]["state"].as_str(), Some("completed" | "failed")) {
            return Ok(v["data"].clone());
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    bail!("task {id} never finished")
}

/// Percent-encode a query value (reqwest's `query` needs an extra feature).
pub fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

pub fn no_result_urls(data: &Value) -> bool {
    data.get("resultUrls")
        .is_none_or(|u| u.is_null() || u.as_array().is_some_and(|a| a.is_empty()))
}

pub async fn download(
    c: &reqwest::Client,
    url: &str,
) -> Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>)> {
    let resp = c.get(url).send().await?;
    let (status, headers) = (resp.status(), resp.headers().clone());
    Ok((status, headers, resp.bytes().await?.to_vec()))
}

pub fn wav_samples(bytes: &[u8]) -> Result<(hound::WavSpec, u32, i16)> {
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes))?;
    let spec = reader.spec();
    let n = reader.duration();
    let peak = reader
        .into_samples::<i16>()
        .map(|s| s.map(i16::unsigned_abs))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    Ok((spec, n, i16::try_from(peak).unwrap_or(i16::MAX)))
}
