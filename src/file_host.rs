//! The HTTP client for files on other hosts: the results the engine
//! downloads, the videos the form and `klang mux` check and fetch. Below
//! the engine, the audio and the video modules alike, beside `tls`.

use std::time::Duration;

/// The client for files on other hosts (results, and the videos klang
/// checks before a video-to-audio request): no credentials, at most
/// `max_redirects` redirects, never from https down to http.
pub fn file_host_client(
    connect_timeout: Duration,
    read_timeout: Duration,
    max_redirects: usize,
) -> Result<reqwest::Client, String> {
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        match redirect_refusal(attempt.previous(), attempt.url(), max_redirects) {
            Some(why) => attempt.error(why),
            None => attempt.follow(),
        }
    });
    // A fresh client with no default headers: the API key lives in the
    // API client only and must never reach a file host. No Referer
    // either, so a signed URL is not echoed to the next hop.
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .redirect(policy)
        .referer(false)
        .user_agent(concat!("klang/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(crate::tls::client_config()?)
        .build()
        .map_err(|e| e.to_string())
}

/// Why a redirect must not be followed, if it must not: too many, not
/// http(s), or from https down to plain http (where anyone on the way could
/// swap the file).
pub(crate) fn redirect_refusal(
    previous: &[url::Url],
    next: &url::Url,
    max: usize,
) -> Option<String> {
    if previous.len() > max {
        return Some(format!("more than {max} redirects"));
    }
    if !matches!(next.scheme(), "http" | "https") {
        return Some("redirected to a link that is not http or https".into());
    }
    if previous.iter().any(|u| u.scheme() == "https") && next.scheme() == "http" {
        return Some("redirected from https to plain http; refusing the downgrade".into());
    }
    None
}
