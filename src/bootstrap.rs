//! The composition root shared by the CLI and the dashboard: everything a
//! command or the dashboard needs, resolved once from flags, environment and
//! config.toml (paths, store, API client, engine settings, and the
//! in-process sandbox when `--sandbox` is given). Neither `cli` nor `tui`
//! imports the other; both start here.

use crate::api::{ApiClient, ApiKey, ClientOptions, DEFAULT_BASE_URL};
use crate::config::{Config, KeyRebind, Paths, check_base_url_security};
use crate::engine::callbacks::{self, CallbackReceiver};
use crate::engine::{Engine, EngineConfig, EventSink};
use crate::sandbox::{self, SandboxConfig, SandboxHandle};
use crate::store::Store;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Checks `[keys]` from config.toml (action names, key names, clashes) and
/// returns the one-line error naming `config.toml:LINE`. The key names and
/// actions belong to the dashboard, which this module must not import, so
/// the binary passes the dashboard's check in: then every command refuses a
/// broken `[keys]` the same way, not only the dashboard.
pub type KeyCheck = fn(&[KeyRebind], &Path) -> Result<(), String>;

/// The settings that can come from flags; `None` falls back to env, then
/// config.toml, then the default.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub base_url: Option<String>,
    pub download_dir: Option<PathBuf>,
    pub sandbox: bool,
    pub allow_insecure: bool,
    pub max_in_flight: Option<usize>,
    /// Address for the callback receiver, e.g. 0.0.0.0:8787.
    pub callback_listen: Option<String>,
    /// Public base URL the provider should call.
    pub callback_url: Option<String>,
    /// Run on `[keys]` right after config.toml is read; a refusal is a
    /// usage error (exit 2).
    pub check_keys: Option<KeyCheck>,
}

/// Where the callback receiver listens and how the provider reaches it.
#[derive(Clone, Debug)]
pub struct CallbackSettings {
    pub listen: SocketAddr,
    /// Public base URL; None means `http://<listen address>`.
    pub public_url: Option<String>,
    pub token: String,
}

pub struct Context {
    pub paths: Paths,
    pub config: Config,
    /// One-line warnings for the user (config problems, open key file).
    pub warnings: Vec<String>,
    /// `[keys]` from config.toml, checked by [`Overrides::check_keys`].
    pub keys: Vec<KeyRebind>,
    pub store: Arc<Store>,
    pub client: ApiClient,
    pub base_url: String,
    /// Masked key for display, if one is set.
    pub key_hint: Option<String>,
    pub engine_config: EngineConfig,
    /// Set when running on the embedded sandbox.
    pub sandbox: Option<SandboxHandle>,
    /// Set when `--callback-listen` (or `callback_listen`) is given.
    pub callback: Option<CallbackSettings>,
    /// Why the callback settings cannot be used. Only commands that start
    /// the engine need a receiver, so only they refuse to run (`klang list`
    /// works with a half-configured receiver).
    callback_error: Option<String>,
}

impl Context {
    /// Resolves everything. With `sandbox`, starts the embedded sandbox on
    /// loopback and uses its key, ignoring any real key.
    pub async fn build(overrides: &Overrides) -> Result<Context, ContextError> {
        let paths = Paths::discover().map_err(ContextError::Usage)?;
        let loaded = Config::load(&paths.config_file()).map_err(ContextError::Usage)?;
        let config = loaded.config;
        let warnings = loaded.warnings;
        let keys = loaded.keys;
        if let Some(check) = overrides.check_keys {
            check(&keys, &paths.config_file()).map_err(ContextError::Usage)?;
        }

        let download_dir = download_dir(overrides, &config, &paths)?;
        let mut engine_config = EngineConfig::new(download_dir);
        engine_config.budget = config.budget().map_err(ContextError::Usage)?;
        if let Some(n) = overrides.max_in_flight.or(config.max_in_flight) {
            if n == 0 {
                return Err(ContextError::Usage(
                    "max_in_flight must be at least 1".into(),
                ));
            }
            engine_config.max_in_flight = n;
        }
        if let Some(n) = config.max_polls_per_second {
            if n == 0 {
                return Err(ContextError::Usage(
                    "max_polls_per_second must be at least 1".into(),
                ));
            }
            engine_config.poll.max_per_second = n;
        }

        let (sandbox, base_url, key) = if overrides.sandbox {
            let handle = sandbox::start(SandboxConfig::default())
                .await
                .map_err(|e| ContextError::Usage(format!("cannot start the sandbox: {e}")))?;
            let url = handle.base_url();
            (Some(handle), url, ApiKey::new(sandbox::SANDBOX_KEY))
        } else {
            let url = overrides
                .base_url
                .clone()
                .or_else(|| {
                    std::env::var("KLANG_BASE_URL")
                        .ok()
                        .filter(|s| !s.is_empty())
                })
                .or_else(|| config.base_url.clone())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
            check_base_url_security(&url, overrides.allow_insecure).map_err(ContextError::Usage)?;
            (None, url, config.api_key())
        };
        let (callback, callback_error) = match callback_settings(overrides, &config, &paths) {
            Ok(settings) => (settings, None),
            Err(e) => (None, Some(e.to_string())),
        };
        let key_hint = key.as_ref().map(ApiKey::masked);
        let client = ApiClient::new(&base_url, key, &ClientOptions::default())
            .map_err(ContextError::Usage)?;
        let store = Store::open(&paths.store_file(overrides.sandbox))
            .map_err(|e| ContextError::Store(e.to_string()))?;
        // What the cache holds is made from the user's takes: theirs alone.
        crate::config::private_dir(&paths.cache_dir);
        Ok(Context {
            paths,
            config,
            warnings,
            keys,
            store: Arc::new(store),
            client,
            base_url,
            key_hint,
            engine_config,
            sandbox,
            callback,
            callback_error,
        })
    }

    /// Starts the engine, and the callback receiver when configured; the
    /// receiver lives as long as the returned value.
    pub async fn start_engine(
        &self,
        sink: EventSink,
    ) -> Result<(Engine, Option<CallbackReceiver>), ContextError> {
        if let Some(e) = &self.callback_error {
            return Err(ContextError::Usage(e.clone()));
        }
        let engine = Engine::start(
            self.client.clone(),
            self.store.clone(),
            self.engine_config.clone(),
            sink,
        );
        let Some(settings) = &self.callback else {
            audit_media(&engine, false);
            return Ok((engine, None));
        };
        let receiver = callbacks::start(settings.listen, settings.token.clone(), engine.clone())
            .await
            .map_err(|e| {
                ContextError::Usage(format!(
                    "cannot listen for callbacks on {}: {e}; pick another --callback-listen",
                    settings.listen
                ))
            })?;
        let base = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", receiver.addr()));
        let url = format!(
            "{}{}",
            base.trim_end_matches('/'),
            callbacks::callback_path(&settings.token)
        );
        engine.set_callback_url(Some(url));
        engine.set_media_base(Some(base.trim_end_matches('/').to_string()));
        audit_media(&engine, true);
        Ok((engine, Some(receiver)))
    }

    /// Why a clip on disk (`--video-file`) cannot be sent: the provider
    /// fetches it from klang's receiver, so one must run where the API can
    /// reach it. A receiver on loopback does for an API on loopback (the
    /// sandbox, a test server), never for the real API.
    pub fn media_receiver_problem(&self) -> Option<String> {
        if let Some(e) = &self.callback_error {
            return Some(e.clone());
        }
        let Some(settings) = &self.callback else {
            return Some(
                "--video-file needs klang's callback receiver, which the provider fetches the clip from: give --callback-listen ADDR:PORT and --callback-url https://PUBLIC-HOST (or callback_listen and callback_url in config.toml); nothing was sent"
                    .into(),
            );
        };
        if self.is_sandbox() || is_loopback_url(&self.base_url) {
            return None;
        }
        match &settings.public_url {
            Some(url) if !is_loopback_url(url) => None,
            Some(url) => Some(format!(
                "--video-file: --callback-url {url} is loopback, which the provider cannot reach: give the public URL that forwards to --callback-listen {}; nothing was sent",
                settings.listen
            )),
            None => Some(format!(
                "--video-file needs --callback-url, the public URL the provider reaches --callback-listen {} at (or callback_url in config.toml); nothing was sent",
                settings.listen
            )),
        }
    }

    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }
}

/// Checks the clips of unfinished tasks once at start, off the async
/// workers (it may hash files); problems arrive as notices.
fn audit_media(engine: &Engine, receiver_runs: bool) {
    let engine = engine.clone();
    tokio::task::spawn_blocking(move || engine.audit_media(receiver_runs));
}

/// Whether `url`'s host is this machine (localhost, 127.0.0.0/8, ::1).
fn is_loopback_url(url: &str) -> bool {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn callback_settings(
    overrides: &Overrides,
    config: &Config,
    paths: &Paths,
) -> Result<Option<CallbackSettings>, ContextError> {
    let Some(listen) = overrides
        .callback_listen
        .clone()
        .or_else(|| config.callback_listen.clone())
    else {
        return Ok(None);
    };
    let listen: SocketAddr = listen.parse().map_err(|_| {
        ContextError::Usage(format!(
            "--callback-listen {listen:?} is not ADDRESS:PORT (e.g. 0.0.0.0:8787)"
        ))
    })?;
    let public_url = overrides
        .callback_url
        .clone()
        .or_else(|| config.callback_url.clone());
    match &public_url {
        Some(url) => {
            let parsed = url::Url::parse(url).map_err(|e| {
                ContextError::Usage(format!("--callback-url {url:?} is not a URL ({e})"))
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ContextError::Usage(format!(
                    "--callback-url {url:?} must be http:// or https://"
                )));
            }
        }
        None if listen.ip().is_unspecified() => {
            return Err(ContextError::Usage(format!(
                "--callback-listen {listen} listens on every address: also give --callback-url, the public URL the provider can reach"
            )));
        }
        None => {}
    }
    let token = match &config.callback_token {
        Some(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => load_or_make_token(&paths.config_dir.join("callback-token"))?,
    };
    Ok(Some(CallbackSettings {
        listen,
        public_url,
        token,
    }))
}

/// The callback token is made once per install and kept beside the config,
/// readable by the owner only.
fn load_or_make_token(path: &std::path::Path) -> Result<String, ContextError> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let token = text.trim();
        if token.len() >= 16 && token.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(token.to_string());
        }
    }
    let token = callbacks::new_token();
    let fail = |e: std::io::Error| {
        ContextError::Usage(format!(
            "cannot store the callback token in {}: {e}",
            path.display()
        ))
    };
    if let Some(parent) = path.parent() {
        crate::config::private_dir(parent);
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    // Mode 600 from the moment it exists, whatever the umask (a file
    // written first and restricted after is readable in between).
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
    file.write_all(format!("{token}\n").as_bytes())
        .map_err(fail)?;
    Ok(token)
}

/// Where results go: the flag, then KLANG_DOWNLOAD_DIR, then config.toml,
/// then the default. Stored paths must not depend on where klang was
/// started: a relative flag or variable is resolved once against the
/// current directory; a relative or empty config value is refused.
pub(crate) fn download_dir(
    overrides: &Overrides,
    config: &Config,
    paths: &Paths,
) -> Result<PathBuf, ContextError> {
    let given = overrides
        .download_dir
        .clone()
        .or_else(|| env_path("KLANG_DOWNLOAD_DIR"));
    if let Some(dir) = given {
        if dir.as_os_str().is_empty() {
            return Err(ContextError::Usage(
                "--download-dir is empty: give a directory".into(),
            ));
        }
        return std::path::absolute(&dir).map_err(|e| {
            ContextError::Usage(format!(
                "cannot resolve the download directory {}: {e}",
                dir.display()
            ))
        });
    }
    match &config.download_dir {
        Some(dir) if !dir.is_absolute() => Err(ContextError::Usage(format!(
            "download_dir {:?} in {} is not an absolute path: give one like \"/data/audio\"",
            dir.display().to_string(),
            paths.config_file().display()
        ))),
        Some(dir) => Ok(dir.clone()),
        None => Ok(paths.default_download_dir.clone()),
    }
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// Bad flags, config or environment: exit 2.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Store(String),
}
