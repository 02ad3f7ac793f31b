//! Everything a command or the dashboard needs, resolved once from flags,
//! environment and config.toml: paths, store, API client, engine settings,
//! and the in-process sandbox when `--sandbox` is given.

use crate::api::{ApiClient, ApiKey, ClientOptions, DEFAULT_BASE_URL};
use crate::config::{Config, Paths, check_base_url_security};
use crate::engine::EngineConfig;
use crate::sandbox::{self, SandboxConfig, SandboxHandle};
use crate::store::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// The settings that can come from flags; `None` falls back to env, then
/// config.toml, then the default.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub base_url: Option<String>,
    pub download_dir: Option<PathBuf>,
    pub sandbox: bool,
    pub allow_insecure: bool,
    pub max_in_flight: Option<usize>,
}

pub struct Context {
    pub paths: Paths,
    pub config: Config,
    /// One-line warnings for the user (config problems, open key file).
    pub warnings: Vec<String>,
    pub store: Arc<Store>,
    pub client: ApiClient,
    pub base_url: String,
    /// Masked key for display, if one is set.
    pub key_hint: Option<String>,
    pub engine_config: EngineConfig,
    /// Set when running on the embedded sandbox.
    pub sandbox: Option<SandboxHandle>,
}

impl Context {
    /// Resolves everything. With `sandbox`, starts the embedded sandbox on
    /// loopback and uses its key, ignoring any real key.
    pub async fn build(overrides: &Overrides) -> Result<Context, ContextError> {
        let paths = Paths::discover().map_err(ContextError::Usage)?;
        let loaded = Config::load(&paths.config_file()).map_err(ContextError::Usage)?;
        let config = loaded.config;
        let warnings = loaded.warnings;

        let download_dir = overrides
            .download_dir
            .clone()
            .or_else(|| env_path("KLANG_DOWNLOAD_DIR"))
            .or_else(|| config.download_dir.clone())
            .unwrap_or_else(|| paths.default_download_dir.clone());
        let mut engine_config = EngineConfig::new(download_dir);
        if let Some(n) = overrides.max_in_flight.or(config.max_in_flight) {
            if n == 0 {
                return Err(ContextError::Usage(
                    "max_in_flight must be at least 1".into(),
                ));
            }
            engine_config.max_in_flight = n;
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
        let key_hint = key.as_ref().map(ApiKey::masked);
        let client = ApiClient::new(&base_url, key, &ClientOptions::default())
            .map_err(ContextError::Usage)?;
        let store = Store::open(&paths.store_file(overrides.sandbox))
            .map_err(|e| ContextError::Store(e.to_string()))?;
        Ok(Context {
            paths,
            config,
            warnings,
            store: Arc::new(store),
            client,
            base_url,
            key_hint,
            engine_config,
            sandbox,
        })
    }

    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
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
