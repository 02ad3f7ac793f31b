//! A local HTTP server that implements the Kling audio API contract
//! (as klang understands it: `docs/api.md`) so klang can be developed, tested and
//! demoed without spending credits.
//!
//! The sandbox is deliberately independent of the rest of klang: it follows
//! the contract, not klang's client, so a test that only passes against the
//! sandbox reveals a bug in one of them.
//!
//! Design notes:
//! - Tasks are (almost) stateless: the task id itself encodes the creation
//!   time, model, audio length, a synthesis seed and the fail flag, protected
//!   by a checksum (see `taskid`). A restarted sandbox therefore still answers
//!   queries and serves files for tasks created by an earlier run; only
//!   pending callbacks are lost with the process.
//! - The timeline (pending / processing durations) is taken from the config of
//!   the sandbox that answers, not the one that created the task.
//! - Fault injection (5xx, HTML 502, 429, malformed JSON, connection reset,
//!   latency) applies to the two API routes only, never to files or callbacks.

mod audio;
mod callback;
mod conn;
mod faults;
mod mp3;
mod server;
mod speech;
mod taskid;
mod tasks;
mod validate;
mod video_fetch;

pub use video_fetch::{MAX_VIDEO_BYTES, VideoFetch};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The API key the sandbox accepts.
pub const SANDBOX_KEY: &str = "sandbox";
/// A valid key whose account has no credits: every create answers 402.
pub const SANDBOX_KEY_NO_CREDITS: &str = "sandbox-no-credits";
/// A prompt/text containing this whole word (any case) produces a failed task.
pub const FAIL_WORD: &str = "fail";

/// How to run a sandbox. Fields are public so callers can use struct update
/// syntax: `SandboxConfig { pending_ms: 100, ..Default::default() }`.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Time a task stays `pending` after creation.
    pub pending_ms: u64,
    /// Time a task then stays `processing` before its terminal state.
    pub processing_ms: u64,
    /// Delay added to every API response.
    pub latency_ms: u64,
    /// Fraction of API requests answered 500.
    pub error_rate: f64,
    /// Fraction of API requests answered 200 with a truncated JSON body.
    pub malformed_rate: f64,
    /// Fraction of API requests answered 429 with `Retry-After: 1`.
    pub rate_limit_rate: f64,
    /// Fraction of API requests whose connection is reset without a response.
    pub reset_rate: f64,
    /// Fraction of API requests answered 502 with an HTML body (like a proxy).
    pub html_error_rate: f64,
    /// Background callback retries give up this long after the first attempt.
    pub callback_retry_window: Duration,
    /// Extra identical copies of each acknowledged callback (idempotency tests).
    pub callback_duplicates: u32,
    /// Seed of the fault-injection RNG, for reproducible runs.
    pub seed: u64,
    /// What result files are: MP3 like the provider's (default), or WAV.
    pub audio_format: AudioFormat,
}

/// The format of the result files the sandbox serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AudioFormat {
    /// Cut from synthesized assets at frame boundaries; the sound follows
    /// the prompt (rain, tone, chirp, impact; a voice for TTS).
    #[default]
    Mp3,
    /// 16-bit mono PCM, synthesized per task.
    Wav,
}

impl AudioFormat {
    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Wav => "wav",
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            pending_ms: 1500,
            processing_ms: 2500,
            latency_ms: 0,
            error_rate: 0.0,
            malformed_rate: 0.0,
            rate_limit_rate: 0.0,
            reset_rate: 0.0,
            html_error_rate: 0.0,
            callback_retry_window: Duration::from_secs(30 * 60),
            callback_duplicates: 0,
            seed: 0,
            audio_format: AudioFormat::default(),
        }
    }
}

impl SandboxConfig {
    fn faults(&self) -> Faults {
        Faults {
            error_rate: self.error_rate,
            malformed_rate: self.malformed_rate,
            rate_limit_rate: self.rate_limit_rate,
            reset_rate: self.reset_rate,
            html_error_rate: self.html_error_rate,
            latency_ms: self.latency_ms,
        }
    }
}

/// Fault rates that can be changed while the sandbox runs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults {
    pub error_rate: f64,
    pub malformed_rate: f64,
    pub rate_limit_rate: f64,
    pub reset_rate: f64,
    pub html_error_rate: f64,
    pub latency_ms: u64,
}

/// A snapshot of the sandbox's counters.
#[derive(Clone, Debug, Default)]
pub struct SandboxStats {
    /// Tasks actually created (fault-injected creates are not counted).
    pub creates: u64,
    /// Create requests answered 400 (invalid parameters).
    pub refused: u64,
    /// Queries that passed fault injection and auth (answered 200/400/404).
    pub queries: u64,
    /// Requests to `/files/...`.
    pub file_requests: u64,
    /// API requests answered with an injected fault (including resets).
    pub faults_injected: u64,
    /// Callback POST attempts, including retries and duplicates.
    pub callbacks_sent: u64,
    /// Callback attempts the receiver answered with a 2xx.
    pub callbacks_acknowledged: u64,
    /// API requests rejected with 401.
    pub unauthorized: u64,
    /// File requests that carried an `Authorization` header (klang must
    /// never send its key to the public CDN).
    pub file_requests_with_auth: u64,
}

/// A running sandbox. Dropping it stops the server too; `shutdown` also waits
/// for it to finish.
pub struct SandboxHandle {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<server::Shared>,
    cancel: CancellationToken,
    join: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (an unspecified bind address is shown as loopback).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> SandboxStats {
        self.shared.stats.snapshot()
    }

    /// Every fetch of a video-to-audio create's `video_url` so far.
    pub fn video_fetches(&self) -> Vec<VideoFetch> {
        self.shared.video_fetches.borrow().clone()
    }

    /// Waits until `count` video fetches have ended; returns them all.
    pub async fn wait_video_fetches(&self, count: usize) -> Vec<VideoFetch> {
        let mut seen = self.shared.video_fetches.subscribe();
        match seen.wait_for(|all| all.len() >= count).await {
            Ok(all) => all.clone(),
            Err(_) => self.video_fetches(),
        }
    }

    /// Replace the fault rates and latency; applies to the next request.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// Stop accepting connections, cancel pending callbacks and wait (briefly)
    /// for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(join) = self.join.take() {
            // Graceful shutdown waits for open connections; a client holding a
            // request open must not hang the caller forever.
            let abort = join.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), join)
                .await
                .is_err()
            {
                tracing::warn!("sandbox: graceful shutdown timed out, aborting");
                abort.abort();
            }
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Bind, spawn the server on the current tokio runtime and return at once.
pub async fn start(config: SandboxConfig) -> std::io::Result<SandboxHandle> {
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let shown = if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
    } else {
        addr
    };
    let base_url = format!("http://{shown}");
    let cancel = CancellationToken::new();
    let shared = Arc::new(server::Shared::new(
        &config,
        base_url.clone(),
        cancel.clone(),
    )?);
    let router = server::router(shared.clone());
    let serve = axum::serve(
        conn::ResettableListener::new(listener),
        router.into_make_service_with_connect_info::<conn::ConnReset>(),
    )
    .with_graceful_shutdown(cancel.clone().cancelled_owned());
    let join = tokio::spawn(async move {
        if let Err(err) = serve.await {
            tracing::error!(%err, "sandbox server stopped with an error");
        }
    });
    tracing::info!(%base_url, "sandbox listening");
    Ok(SandboxHandle {
        addr,
        base_url,
        shared,
        cancel,
        join: Some(join),
    })
}

/// The MP3 the sandbox would serve for a sound-effects `prompt` lasting
/// `audio_cs` centiseconds (for benchmarks and demos).
pub fn sample_mp3(prompt: &str, audio_cs: u32) -> Vec<u8> {
    let params = serde_json::json!({"model": "kling-sound-effects", "prompt": prompt});
    mp3::render(mp3::Texture::for_request(&params).seed(1), audio_cs)
}

/// A short paragraph for the CLI's `sandbox` command and the README.
pub fn sandbox_keys_help() -> &'static str {
    concat!(
        "The sandbox is a local server that follows the Kling audio API contract;\n",
        "nothing is charged. API keys: \"sandbox\" works; \"sandbox-no-credits\" is valid\n",
        "but every create answers 402 Insufficient credits; any other key gets 401. A\n",
        "task fails (\"Content policy violation\") when its prompt,\n",
        "sound_effect_prompt, bgm_prompt or text contains the whole word \"fail\" (any\n",
        "case: \"door slam fail\" fails, \"waterfall\" does not). By default a task is\n",
        "pending for 1.5 s, processing for 2.5 s, then completed; results are MP3\n",
        "files served by the sandbox itself (WAV with --wav) that sound like their\n",
        "prompt: rain, a chime, a chirp or knocks, and a voice for TTS (sound\n",
        "effects last the requested duration, TTS about 0.07 s per character at\n",
        "speed 1.0 with pauses at sentence ends and 0.1-0.5 s of silence at each\n",
        "end, video-to-audio as long as its video when the sandbox could fetch and\n",
        "read it, else 5 s). Task ids\n",
        "encode their own state, so a restarted sandbox still knows tasks created\n",
        "earlier (pending callbacks are lost on restart)."
    )
}
