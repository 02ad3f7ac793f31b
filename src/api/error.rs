//! Every way an API call can fail, each saying what the user should do.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// 400: the server refused the parameters; its message says which.
    #[error("the API refused the parameters: {0}; fix the field it names and submit again")]
    InvalidParams(String),
    /// 401.
    #[error(
        "the API key was rejected (401): set KLANG_API_KEY or api_key in config.toml (see `klang paths`)"
    )]
    Unauthorized,
    /// 402.
    #[error("insufficient credits (402): top up the account, then resume")]
    NoCredits,
    /// 404.
    #[error("task not found (404): the server does not know this task id")]
    NotFound,
    /// 429; `retry_after` from the Retry-After header when it was given.
    #[error("rate limited (429){}", retry_hint(.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx.
    /// Polls are retried with backoff (the status line says when); a create
    /// is not, since the server may have taken it, so the message promises
    /// neither.
    #[error("server error (HTTP {status}): {snippet}; the fault is on the server's side")]
    Server { status: u16, snippet: String },
    /// No answer: DNS, connect, reset or timeout. `sent` is false when the
    /// request certainly never reached the server (connection refused).
    #[error("network error: {message}; check the connection or --base-url")]
    Network { message: String, sent: bool },
    /// An answer body longer than klang reads (an endless or huge body);
    /// the read was stopped at `cap` bytes.
    #[error(
        "answer too large (HTTP {status}): the server sent more than {} KiB, so klang stopped reading; check --base-url",
        .cap / 1024
    )]
    TooLarge { status: u16, cap: usize },
    /// A query answer about a task other than the one asked for; ignored.
    #[error(
        "the server answered about task {answered} when asked about {asked}; the answer was ignored and klang asks again"
    )]
    WrongTask { asked: String, answered: String },
    /// An answer that is not the JSON the contract promises.
    #[error("undecodable answer (HTTP {status}): {snippet}")]
    Decode { status: u16, snippet: String },
    /// Any other status.
    #[error("unexpected answer (HTTP {status}): {snippet}")]
    Unexpected { status: u16, snippet: String },
}

fn retry_hint(after: &Option<Duration>) -> String {
    match after {
        Some(d) => format!(", server asks to retry in {} s", d.as_secs().max(1)),
        None => ", klang retries with backoff".into(),
    }
}

impl ApiError {
    /// The account, not the task, is at fault: polling must pause.
    pub fn is_account_problem(&self) -> bool {
        matches!(self, ApiError::Unauthorized | ApiError::NoCredits)
    }

    /// For a failed create: true when the server certainly did not create the
    /// task, so nothing was charged and resubmitting cannot double-charge.
    pub fn create_certainly_refused(&self) -> bool {
        match self {
            ApiError::InvalidParams(_)
            | ApiError::Unauthorized
            | ApiError::NoCredits
            | ApiError::RateLimited { .. } => true,
            ApiError::Network { sent, .. } => !sent,
            _ => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// Process exit code for the headless CLI.
    pub fn exit_code(&self) -> i32 {
        match self {
            ApiError::InvalidParams(_) => 2,
            ApiError::Unauthorized | ApiError::NoCredits => 3,
            _ => 4,
        }
    }
}
