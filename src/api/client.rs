//! The HTTP client for the API. The same code path serves the real
//! `https://apimodels.app` and any server that follows the contract.

use super::error::ApiError;
use super::model::CreateRequest;
use super::wire::{CreatedTask, Envelope, TaskStatus, snippet};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://apimodels.app";
const GENERATIONS: &str = "/api/v1/audio/generations";

/// The most klang reads of one API answer. A real answer is a few KiB; a
/// body past this is a broken or hostile server, and reading on would only
/// fill memory.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// The bearer key. Its Debug and Display never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Trims surrounding whitespace (keys pasted from a web page often
    /// carry a newline); None when nothing is left.
    pub fn new(raw: impl AsRef<str>) -> Option<ApiKey> {
        let key = raw.as_ref().trim();
        (!key.is_empty()).then(|| ApiKey(key.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `sk-a…9f` style, for settings views.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() <= 8 {
            return "****".into();
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(****)")
    }
}

#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    auth: Option<HeaderValue>,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base_url", &self.base_url)
            .field("key", &self.auth.as_ref().map(|_| "****"))
            .finish()
    }
}

impl ApiClient {
    /// `base_url` is the scheme and host (and optional port), e.g.
    /// `https://apimodels.app`. Without a key every call answers
    /// [`ApiError::Unauthorized`] without sending anything.
    pub fn new(
        base_url: &str,
        key: Option<ApiKey>,
        options: &ClientOptions,
    ) -> Result<ApiClient, String> {
        let parsed = url::Url::parse(base_url)
            .map_err(|e| format!("base URL {base_url:?} is not a URL ({e})"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!(
                "base URL {base_url:?} must be http:// or https:// with a host"
            ));
        }
        // klang adds the API's paths itself; anything else in the URL would
        // send creates to the wrong place, or swap the key for Basic auth.
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(format!(
                "base URL {base_url:?} carries user:pass@: remove it; the key goes in KLANG_API_KEY or api_key"
            ));
        }
        if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(format!(
                "base URL {base_url:?} has a path, query or fragment: give only scheme, host and port, e.g. {DEFAULT_BASE_URL}"
            ));
        }
        let auth = match key {
            Some(k) => {
                let mut v =
                    HeaderValue::from_str(&format!("Bearer {}", k.expose())).map_err(|_| {
                        "the API key holds characters a header cannot carry".to_string()
                    })?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            // The key must reach the API host only: never follow a redirect
            // that could carry it elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("klang/", env!("CARGO_PKG_VERSION")))
            .tls_backend_preconfigured(crate::tls::client_config()?)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(ApiClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            auth,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends a create request, validating it first.
    pub async fn create(&self, request: &CreateRequest) -> Result<CreatedTask, ApiError> {
        request
            .validate()
            .map_err(|e| ApiError::InvalidParams(e.to_string()))?;
        let body = serde_json::to_value(request)
            .map_err(|e| ApiError::InvalidParams(format!("cannot encode the request: {e}")))?;
        self.create_unchecked(&body).await
    }

    /// Sends a create body as it is, without local validation. For tests
    /// that check how a server's refusal is reported; use [`Self::create`].
    #[doc(hidden)]
    pub async fn create_unchecked(
        &self,
        body: &serde_json::Value,
    ) -> Result<CreatedTask, ApiError> {
        let auth = self.auth.clone().ok_or(ApiError::Unauthorized)?;
        let url = format!("{}{GENERATIONS}", self.base_url);
        let sent = self
            .http
            .post(url)
            .header(AUTHORIZATION, auth)
            .json(body)
            .send()
            .await;
        let created: CreatedTask = decode(sent).await?;
        match created.task_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => Ok(created),
            _ => Err(ApiError::Decode {
                status: 200,
                snippet: "the create answer carries no taskId".into(),
            }),
        }
    }

    /// Queries one task.
    pub async fn query(&self, task_id: &str) -> Result<TaskStatus, ApiError> {
        let auth = self.auth.clone().ok_or(ApiError::Unauthorized)?;
        let url = format!("{}{GENERATIONS}", self.base_url);
        let sent = self
            .http
            .get(url)
            .query(&[("task_id", task_id)])
            .header(AUTHORIZATION, auth)
            .send()
            .await;
        let status: TaskStatus = decode(sent).await?;
        // An answer about another task must never be recorded as this one's
        // result (a missing taskId is tolerated: the contract lets fields go).
        match status.task_id.as_deref().map(str::trim) {
            Some(answered) if !answered.is_empty() && answered != task_id.trim() => {
                Err(ApiError::WrongTask {
                    asked: task_id.to_string(),
                    answered: crate::api::snippet(answered.as_bytes()),
                })
            }
            _ => Ok(status),
        }
    }
}

fn network_error(e: &reqwest::Error) -> ApiError {
    // A refused or unresolvable connection never reached the server.
    let sent = !(e.is_connect() || e.is_builder());
    let kind = if e.is_timeout() {
        "timed out talking to"
    } else if e.is_connect() {
        "could not connect to"
    } else {
        "connection failed with"
    };
    // The innermost cause says what went wrong ("Connection refused");
    // the layers above it only repeat the URL.
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let host = e
        .url()
        .map(|u| {
            let host = u.host_str().unwrap_or("?");
            match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            }
        })
        .unwrap_or_else(|| "the server".into());
    let message = format!("{kind} {host}: {cause}");
    ApiError::Network { message, sent }
}

async fn decode<T: DeserializeOwned>(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, ApiError> {
    let response = sent.map_err(|e| network_error(&e))?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = read_capped(response, MAX_ANSWER_BYTES).await?;
    let envelope = serde_json::from_slice::<Envelope<T>>(&body);
    // Some gateways answer HTTP 200 with the real status in `code`.
    let code = match &envelope {
        Ok(env) => env.code.filter(|c| (100..600).contains(c) && *c != 200),
        Err(_) => None,
    };
    let effective = match code {
        Some(c) if status == StatusCode::OK => StatusCode::from_u16(c as u16).unwrap_or(status),
        _ => status,
    };
    let message = match &envelope {
        Ok(env) => env.msg.clone().unwrap_or_else(|| snippet(&body)),
        Err(_) => snippet(&body),
    };
    match effective.as_u16() {
        200..=299 => match envelope {
            Ok(Envelope { data: Some(d), .. }) => Ok(d),
            Ok(_) => Err(ApiError::Decode {
                status: status.as_u16(),
                snippet: format!("no data object: {}", snippet(&body)),
            }),
            Err(_) => Err(ApiError::Decode {
                status: status.as_u16(),
                snippet: snippet(&body),
            }),
        },
        400 | 422 => Err(ApiError::InvalidParams(crate::api::snippet(
            message.as_bytes(),
        ))),
        401 | 403 => Err(ApiError::Unauthorized),
        402 => Err(ApiError::NoCredits),
        404 => Err(ApiError::NotFound),
        429 => Err(ApiError::RateLimited { retry_after }),
        s @ 500..=599 => Err(ApiError::Server {
            status: s,
            snippet: snippet(message.as_bytes()),
        }),
        s => Err(ApiError::Unexpected {
            status: s,
            snippet: snippet(&body),
        }),
    }
}

/// Reads a body chunk by chunk and stops at `cap` bytes, so an endless or
/// huge answer costs at most `cap` of memory.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, ApiError> {
    let status = response.status().as_u16();
    let too_large = || ApiError::TooLarge { status, cap };
    if response
        .content_length()
        .is_some_and(|len| len > cap as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| network_error(&e))? {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Retry-After is either delta-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(3600)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.timestamp() - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(delta.clamp(0, 3600) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_never_shows_in_debug() {
        let key = ApiKey::new(" sk-secret-123456 \n").unwrap();
        assert_eq!(key.expose(), "sk-secret-123456");
        assert!(!format!("{key:?}").contains("secret"));
        assert_eq!(key.masked(), "sk-…56");
        let client =
            ApiClient::new("http://127.0.0.1:1", Some(key), &ClientOptions::default()).unwrap();
        assert!(!format!("{client:?}").contains("secret"));
        assert!(ApiKey::new("  ").is_none());
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(parse_retry_after("12"), Some(Duration::from_secs(12)));
        assert!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").is_some());
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn refuses_base_urls_that_are_not_http() {
        let opts = ClientOptions::default();
        assert!(ApiClient::new("ftp://x", None, &opts).is_err());
        assert!(ApiClient::new("not a url", None, &opts).is_err());
        assert!(ApiClient::new("https://apimodels.app/", None, &opts).is_ok());
        assert!(ApiClient::new("http://127.0.0.1:8080", None, &opts).is_ok());
        for wrong in [
            "https://apimodels.app/api/v1",
            "https://apimodels.app/?x=1",
            "https://apimodels.app/#top",
            "https://user:pass@apimodels.app",
            "https://user@apimodels.app",
        ] {
            let err = ApiClient::new(wrong, None, &opts).unwrap_err();
            assert!(err.contains("base URL"), "{wrong}: {err}");
        }
    }
}
