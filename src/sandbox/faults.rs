//! Fault injection for the API routes: what a flaky provider or proxy does.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::json;

use super::Faults;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Connection dropped with no response at all.
    Reset,
    /// 502 with an HTML page, as a reverse proxy sends.
    Html,
    /// 429 with `Retry-After: 1`.
    RateLimit,
    /// 500 envelope.
    Error,
    /// 200 whose JSON body is cut in the middle.
    Malformed,
}

fn rate(r: f64) -> f64 {
    if r.is_nan() { 0.0 } else { r.clamp(0.0, 1.0) }
}

/// One roll per request; the rates are stacked in a fixed order, so rates that
/// sum above 1 favour the earlier kinds.
pub fn pick(faults: &Faults, rng: &mut StdRng) -> Option<Fault> {
    let kinds = [
        (Fault::Reset, faults.reset_rate),
        (Fault::Html, faults.html_error_rate),
        (Fault::RateLimit, faults.rate_limit_rate),
        (Fault::Error, faults.error_rate),
        (Fault::Malformed, faults.malformed_rate),
    ];
    if kinds.iter().all(|(_, r)| rate(*r) == 0.0) {
        // Don't advance the RNG: a run without faults stays reproducible
        // whatever happens before faults are switched on.
        return None;
    }
    let roll: f64 = rng.random();
    let mut acc = 0.0;
    for (kind, r) in kinds {
        acc += rate(r);
        if roll < acc {
            return Some(kind);
        }
    }
    None
}

/// The response for every kind except `Reset` (which has none; the caller
/// resets the connection and whatever it returns is never written).
pub fn response(fault: Fault) -> Response {
    match fault {
        Fault::Error | Fault::Reset => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"code": 500, "msg": "Internal error"})),
        )
            .into_response(),
        Fault::Html => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response(),
        Fault::RateLimit => {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"code": 429, "msg": "Too many requests", "data": null})),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Fault::Malformed => {
            let full = json!({
                "code": 200,
                "msg": "success",
                "data": {"taskId": "clmalformed000000000000000", "state": "pending",
                         "model": "kling-audio/kling-sound-effects"}
            })
            .to_string();
            let cut = full.len() / 2;
            let body = full.get(..cut).unwrap_or("{\"code\":2").to_string();
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn rates_one_and_zero() {
        let mut rng = StdRng::seed_from_u64(1);
        let none = Faults::default();
        assert_eq!(pick(&none, &mut rng), None);
        let all = Faults {
            rate_limit_rate: 1.0,
            ..Faults::default()
        };
        assert!((0..100).all(|_| pick(&all, &mut rng) == Some(Fault::RateLimit)));
    }
}
