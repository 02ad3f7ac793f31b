//! klang's own secrets kept out of everything it stores and shows. The
//! callback URL carries the receiver's token (`/klang/callback/<token>/…`)
//! and a served clip's URL its own (`/klang/media/<token>/…`): both are
//! sent to the provider in the create request and nowhere else. The store,
//! `list`, `show`, `export`, the logs and the dashboard get the URL with
//! the token replaced by [`MARK`]; the receiver knows its token, and a clip
//! is looked up by its token's hash.

use super::CreateRequest;
use std::borrow::Cow;

/// What a token is replaced with.
pub const MARK: &str = "redacted";

/// The path prefixes whose next segment is a token.
const TOKEN_PATHS: [&str; 2] = ["/klang/callback/", "/klang/media/"];

/// `text` with the segment after every [`TOKEN_PATHS`] prefix replaced by
/// [`MARK`] (a URL, a summary holding one, a request's JSON).
pub fn text(text: &str) -> Cow<'_, str> {
    if !TOKEN_PATHS.iter().any(|p| text.contains(p)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, prefix)) = TOKEN_PATHS
        .iter()
        .filter_map(|p| rest.find(p).map(|at| (at, *p)))
        .min_by_key(|(at, _)| *at)
    {
        let after = at + prefix.len();
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        let end = rest
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | ')' | '\'' | '\\') || c.is_whitespace()
            })
            .unwrap_or(rest.len());
        if end > 0 {
            out.push_str(MARK);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn field(value: &mut Option<String>) {
    if let Some(v) = value
        && let Cow::Owned(redacted) = text(v)
    {
        *v = redacted;
    }
}

/// `request` as it may be kept and shown: its callback and video URLs
/// without klang's tokens. Everything else is unchanged.
pub fn request(request: &CreateRequest) -> CreateRequest {
    let mut kept = request.clone();
    match &mut kept {
        CreateRequest::SoundEffects(p) => field(&mut p.callback_url),
        CreateRequest::Tts(p) => field(&mut p.callback_url),
        CreateRequest::VideoToAudio(p) => {
            field(&mut p.callback_url);
            field(&mut p.video_url);
        }
    }
    kept
}

/// Whether `url` is one of klang's own URLs kept without its token: it
/// cannot be fetched, so a request must not be sent with it.
pub fn is_redacted(url: &str) -> bool {
    TOKEN_PATHS
        .iter()
        .any(|p| url.contains(&format!("{p}{MARK}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_after_klangs_own_paths_are_replaced_and_nothing_else() {
        assert_eq!(
            text("http://h:1/klang/callback/0123abcd/17"),
            "http://h:1/klang/callback/redacted/17"
        );
        assert_eq!(
            text("http://h:1/klang/callback/0123abcd"),
            "http://h:1/klang/callback/redacted"
        );
        assert_eq!(
            text("steps (https://x/klang/media/f00d/walk%20a.mp4)"),
            "steps (https://x/klang/media/redacted/walk%20a.mp4)"
        );
        let json = r#"{"video_url":"http://a/klang/media/t1/a.mp4","callback_url":"http://a/klang/callback/t2/3"}"#;
        assert_eq!(
            text(json),
            r#"{"video_url":"http://a/klang/media/redacted/a.mp4","callback_url":"http://a/klang/callback/redacted/3"}"#
        );
        assert!(matches!(text("https://cdn/x.mp4"), Cow::Borrowed(_)));
        assert_eq!(text("a/klang/media/"), "a/klang/media/");
        assert!(is_redacted(&text("http://a/klang/media/t1/a.mp4")));
        assert!(!is_redacted("http://a/klang/media/t1/a.mp4"));
    }
}
