//! The polling figure: queries per task and how long after completion klang
//! sees it, for a first round (no history) and a second round of the same
//! kind of task (learned schedule), against the sandbox over loopback with a
//! fixed timeline. `cargo run --release --example poll_figure -- [TASKS]
//! [PENDING_MS] [PROCESSING_MS]` (defaults: 10 tasks, 3000, 10000).

use klang::api::{ApiClient, ApiKey, ClientOptions, CreateRequest, SoundEffectsParams};
use klang::engine::{Engine, EngineConfig, EngineEvent};
use klang::sandbox::{self, SandboxConfig};
use klang::store::{LocalState, Store, now_ms};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let tasks = args.next().transpose()?.unwrap_or(10) as usize;
    let pending_ms = args.next().transpose()?.unwrap_or(3000);
    let processing_ms = args.next().transpose()?.unwrap_or(10_000);
    let server = sandbox::start(SandboxConfig {
        pending_ms,
        processing_ms,
        ..Default::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let store = Arc::new(Store::open(&dir.path().join("tasks.db"))?);
    let client = ApiClient::new(
        &server.base_url(),
        ApiKey::new(sandbox::SANDBOX_KEY),
        &ClientOptions::default(),
    )?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let engine = Engine::start(
        client,
        store.clone(),
        EngineConfig::new(dir.path().join("downloads")),
        Arc::new(move |e| {
            let _ = tx.send(e);
        }),
    );
    println!(
        "{tasks} tasks per round, {pending_ms} ms pending + {processing_ms} ms processing; naive 1 s loop: {} queries per task",
        (pending_ms + processing_ms).div_ceil(1000)
    );
    println!("| round | queries per task | median lag after completion | worst lag |");
    println!("|---|---|---|---|");
    for round in 1..=2 {
        let before = server.stats().queries;
        let mut open: HashMap<i64, ()> = HashMap::new();
        for i in 0..tasks {
            let id = engine.submit(CreateRequest::SoundEffects(SoundEffectsParams {
                prompt: format!("round {round} task {i}"),
                duration: "5.0".into(),
                callback_url: None,
            }))?;
            open.insert(id, ());
        }
        let mut lags = Vec::new();
        while !open.is_empty() {
            let Some(event) = rx.recv().await else { break };
            if let EngineEvent::TaskChanged(r) = event
                && r.state == LocalState::Completed
                && open.remove(&r.id).is_some()
            {
                let seen = now_ms();
                lags.push(seen - r.complete_time.unwrap_or(seen));
            }
        }
        let queries = server.stats().queries - before;
        lags.sort_unstable();
        println!(
            "| {round} | {:.1} | {} ms | {} ms |",
            queries as f64 / tasks as f64,
            lags.get(lags.len() / 2).copied().unwrap_or(0),
            lags.last().copied().unwrap_or(0),
        );
    }
    engine.shutdown();
    server.shutdown().await;
    Ok(())
}
