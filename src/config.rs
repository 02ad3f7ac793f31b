//! Where klang keeps things, and `config.toml`.
//!
//! Paths come from `directories` (which honors the XDG variables on Linux).
//! The API key comes from `KLANG_API_KEY`, else `api_key` in config.toml.

use crate::api::ApiKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Makes `dir` mode 700 (its missing parents as the umask says: they are
/// the user's, like `~/.local/share`), or takes group and other access away
/// from it if it exists. Best effort: a directory klang cannot make fails
/// where it is used, with that use's message.
pub fn private_dir(dir: &Path) {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() && meta.permissions().mode() & 0o077 != 0 => {
            let mode = meta.permissions().mode() & 0o700;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode));
        }
        Ok(_) => {}
        Err(_) => {
            if let Some(parent) = dir.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::DirBuilder::new().mode(0o700).create(dir);
        }
    }
}

#[derive(Clone, Debug)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    /// What can be made again: the loudness-matched copies takes play as.
    pub cache_dir: PathBuf,
    pub log_dir: PathBuf,
    pub default_download_dir: PathBuf,
}

impl Paths {
    /// Resolves the per-user directories. Fails only on a system with no
    /// home directory at all.
    pub fn discover() -> Result<Paths, String> {
        let dirs = directories::ProjectDirs::from("app", "klang", "klang").ok_or(
            "cannot find a home directory for config and data: set HOME or XDG_CONFIG_HOME and XDG_DATA_HOME",
        )?;
        let data_dir = dirs.data_dir().to_path_buf();
        let log_dir = dirs
            .state_dir()
            .map(|d| d.join("logs"))
            .unwrap_or_else(|| data_dir.join("logs"));
        let default_download_dir = directories::UserDirs::new()
            .and_then(|u| u.download_dir().map(|d| d.join("klang")))
            .unwrap_or_else(|| data_dir.join("downloads"));
        Ok(Paths {
            config_dir: dirs.config_dir().to_path_buf(),
            cache_dir: dirs.cache_dir().to_path_buf(),
            data_dir,
            log_dir,
            default_download_dir,
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// Real and simulated tasks never share a store, so sandbox audio is
    /// never mistaken for paid results.
    pub fn store_file(&self, sandbox: bool) -> PathBuf {
        self.data_dir
            .join(if sandbox { "sandbox.db" } else { "tasks.db" })
    }

    /// Where the gain-matched copies of takes are written and reused.
    pub fn matched_dir(&self) -> PathBuf {
        self.cache_dir.join("matched")
    }

    pub fn user_themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }
}

/// `config.toml`. Every field optional; unknown keys are refused so a typo
/// is reported instead of silently ignored.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    pub download_dir: Option<PathBuf>,
    pub theme: Option<String>,
    /// Poll requests in flight at once (default 8).
    pub max_in_flight: Option<usize>,
    /// Poll queries a second across every task (default 20).
    pub max_polls_per_second: Option<u32>,
    pub mouse: Option<bool>,
    /// Address for the callback receiver, e.g. "0.0.0.0:8787".
    pub callback_listen: Option<String>,
    /// Public URL the provider should call, e.g. "https://host.example/klang".
    pub callback_url: Option<String>,
    /// Secret path segment for callbacks, made once per install.
    pub callback_token: Option<String>,
    /// The bell when a task ends: "auto" (default), "always" or "off".
    pub notify: Option<crate::notify::NotifyMode>,
    /// Most dollars to spend per local calendar day (every klang process
    /// on this store together).
    pub daily_budget_usd: Option<f64>,
    /// Most dollars to spend per local calendar month.
    pub monthly_budget_usd: Option<f64>,
    /// `[keys]`: action name → a key or a list of keys (`copy = "c"`,
    /// `copy = ["c", "ctrl+y"]`). The dashboard's key map checks the
    /// names, for every command (see `bootstrap::KeyCheck`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, Spanned<KeyList>>,
    /// Download each result as soon as it completes (dashboard; default true).
    pub auto_download: Option<bool>,
    /// The command that plays a result, e.g. "mpv --no-terminal" (the file
    /// is added at the end); `KLANG_PLAYER` wins over it.
    pub player: Option<String>,
    /// Play every take at a common loudness (default true); the takes view
    /// always does.
    pub match_loudness: Option<bool>,
    /// The level takes play at, in LUFS (default -23, EBU R128), lowered
    /// for a whole group when a take's peak would pass -1 dBFS.
    pub match_level: Option<f64>,
    /// `[render]`: the defaults of `klang render` and the dashboard's
    /// render key (each flag wins over its line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<crate::audio::render::RenderConfig>,
}

/// One key or several, as `[keys]` accepts them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct KeyList(pub Vec<String>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<KeyList, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = KeyList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#"a key like "c" or a list like ["c", "ctrl+y"]"#)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeyList, E> {
                Ok(KeyList(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = seq.next_element::<String>()? {
                    keys.push(k);
                }
                Ok(KeyList(keys))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// One `[keys]` entry with the line it is on, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRebind {
    pub action: String,
    pub keys: Vec<String>,
    pub line: usize,
}

#[derive(Debug)]
pub struct LoadedConfig {
    pub config: Config,
    /// One-line warnings to show the user (e.g. a key readable by others).
    pub warnings: Vec<String>,
    /// `[keys]`, in file order, with line numbers.
    pub keys: Vec<KeyRebind>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

impl Config {
    /// Reads `path`; a missing file is an empty config, a broken one is an
    /// error naming the file and the line.
    pub fn load(path: &Path) -> Result<LoadedConfig, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(LoadedConfig {
                    config: Config::default(),
                    warnings: Vec::new(),
                    keys: Vec::new(),
                });
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let config: Config = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| line_of(&text, s.start)).unwrap_or(1);
            format!(
                "{}:{line}: {}; fix or remove that line",
                path.display(),
                e.message()
            )
        })?;
        let mut warnings = Vec::new();
        if config.api_key.is_some() && readable_by_others(path) {
            warnings.push(format!(
                "{} holds an API key and is readable by other users: run chmod 600 on it",
                path.display()
            ));
        }
        let mut keys: Vec<KeyRebind> = config
            .keys
            .iter()
            .map(|(action, list)| KeyRebind {
                action: action.clone(),
                keys: list.get_ref().0.clone(),
                line: line_of(&text, list.span().start),
            })
            .collect();
        keys.sort_by_key(|k| k.line);
        Ok(LoadedConfig {
            config,
            warnings,
            keys,
        })
    }

    /// The spending caps, refused if not a number of dollars.
    pub fn budget(&self) -> Result<crate::budget::Budget, String> {
        let budget = crate::budget::Budget {
            daily_usd: self.daily_budget_usd,
            monthly_usd: self.monthly_budget_usd,
        };
        budget.validate()?;
        Ok(budget)
    }

    /// The key from the environment, else from the file.
    pub fn api_key(&self) -> Option<ApiKey> {
        std::env::var("KLANG_API_KEY")
            .ok()
            .and_then(ApiKey::new)
            .or_else(|| self.api_key.as_deref().and_then(ApiKey::new))
    }
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o044 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> bool {
    false
}

/// A plain-http base URL sends the key in clear text; allow it only to
/// this machine unless the user insists.
pub fn check_base_url_security(base_url: &str, allow_insecure: bool) -> Result<(), String> {
    let url = url::Url::parse(base_url)
        .map_err(|e| format!("--base-url {base_url:?} is not a URL ({e})"))?;
    if url.scheme() == "https" || allow_insecure {
        return Ok(());
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "http" && loopback {
        return Ok(());
    }
    Err(format!(
        "--base-url {base_url} is not https: the API key would travel in clear text; use https, a loopback address, or --allow-insecure"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_config_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "theme = \"dark\"\nmax_in_flight = \"eight\"\n").unwrap();
        let err = Config::load(&path).unwrap_err();
        assert!(err.contains("config.toml:2"), "{err}");
        std::fs::write(&path, "them = \"dark\"\n").unwrap();
        assert!(Config::load(&path).unwrap_err().contains(":1"));
    }

    #[test]
    fn missing_config_is_empty_and_open_key_file_warns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert_eq!(Config::load(&path).unwrap().config, Config::default());
        std::fs::write(&path, "api_key = \"sk-1\"\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(Config::load(&path).unwrap().warnings.len(), 1);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(Config::load(&path).unwrap().warnings.is_empty());
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_base_url_security("https://apimodels.app", false).is_ok());
        assert!(check_base_url_security("http://127.0.0.1:8080", false).is_ok());
        assert!(check_base_url_security("http://localhost:1", false).is_ok());
        assert!(check_base_url_security("http://[::1]:1", false).is_ok());
        assert!(check_base_url_security("http://api.example.com", false).is_err());
        assert!(check_base_url_security("http://api.example.com", true).is_ok());
    }
}
