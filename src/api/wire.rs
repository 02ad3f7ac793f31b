//! Response and callback bodies, decoded tolerantly: the contract warns that
//! fields go missing, turn null, or appear unannounced, and none of that may
//! break a task the user paid for.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{"code": <int>, "msg": <string>, "data": {...}}`; every part optional.
#[derive(Clone, Debug, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct Envelope<T> {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub msg: Option<String>,
    #[serde(default = "none", deserialize_with = "lenient_data")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// A task's state as the server reports it. Unknown words are kept, not
/// refused, so a new state upstream shows up instead of breaking polling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum RemoteState {
    Pending,
    Processing,
    Completed,
    Failed,
    Unknown(String),
}

impl RemoteState {
    pub fn parse(s: &str) -> RemoteState {
        match s.trim().to_ascii_lowercase().as_str() {
            "pending" | "queued" | "waiting" => RemoteState::Pending,
            "processing" | "running" | "generating" => RemoteState::Processing,
            "completed" | "success" | "succeeded" => RemoteState::Completed,
            "failed" | "fail" | "error" => RemoteState::Failed,
            _ => RemoteState::Unknown(s.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for RemoteState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(match v {
            Value::String(s) => RemoteState::parse(&s),
            other => RemoteState::Unknown(other.to_string()),
        })
    }
}

/// `data` of a create answer.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTask {
    #[serde(default, alias = "task_id", deserialize_with = "lenient_string")]
    pub task_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_state")]
    pub state: Option<RemoteState>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub model: Option<String>,
}

/// `data` of a query answer or a callback: one type for both, because a
/// server may answer a query in the callback's shape (`resultJson` and
/// `param` as JSON strings, `failCode`, `costTime`), in the query's shape
/// (`resultUrls` and `audioDuration` at the top of `data`), or mix them.
/// See docs/api.md, "Answers in either shape".
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(from = "RawTaskData")]
pub struct TaskStatus {
    pub task_id: Option<String>,
    pub state: Option<RemoteState>,
    pub model: Option<String>,
    /// From `resultUrls`, else from `resultJson.resultUrls`.
    pub result_urls: Vec<String>,
    pub create_time: Option<i64>,
    pub complete_time: Option<i64>,
    pub fail_code: Option<String>,
    pub fail_msg: Option<String>,
    /// Seconds, from `audioDuration` at either level.
    pub audio_duration: Option<f64>,
    /// Milliseconds of generation, as the server counts them.
    pub cost_time: Option<i64>,
    /// The create request as the server echoes it (`param`), parsed once.
    pub param: Option<Value>,
}

/// The parsed `resultJson`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct EmbeddedResult {
    #[serde(default, deserialize_with = "lenient_urls")]
    result_urls: Vec<String>,
    #[serde(default, deserialize_with = "lenient_f64")]
    audio_duration: Option<f64>,
}

/// Every field either shape may carry, each decoded leniently.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTaskData {
    #[serde(default, alias = "task_id", deserialize_with = "lenient_string")]
    task_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_state")]
    state: Option<RemoteState>,
    #[serde(default, deserialize_with = "lenient_string")]
    model: Option<String>,
    #[serde(default, deserialize_with = "lenient_urls")]
    result_urls: Vec<String>,
    #[serde(default, deserialize_with = "lenient_f64")]
    audio_duration: Option<f64>,
    #[serde(default)]
    result_json: Value,
    #[serde(default)]
    param: Value,
    #[serde(default, deserialize_with = "lenient_i64")]
    create_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    complete_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    fail_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    fail_msg: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    cost_time: Option<i64>,
}

impl From<RawTaskData> for TaskStatus {
    fn from(raw: RawTaskData) -> TaskStatus {
        let embedded = parse_embedded(raw.result_json)
            .and_then(|v| serde_json::from_value::<EmbeddedResult>(v).ok())
            .unwrap_or_default();
        // The top level wins where it says something; `resultJson` fills in.
        let result_urls = if raw.result_urls.is_empty() {
            embedded.result_urls
        } else {
            raw.result_urls
        };
        TaskStatus {
            task_id: raw.task_id,
            state: raw.state,
            model: raw.model,
            result_urls,
            create_time: raw.create_time,
            complete_time: raw.complete_time,
            fail_code: raw.fail_code.filter(|c| !c.trim().is_empty()),
            fail_msg: raw.fail_msg.filter(|m| !m.trim().is_empty()),
            audio_duration: raw.audio_duration.or(embedded.audio_duration),
            cost_time: raw.cost_time,
            param: parse_embedded(raw.param),
        }
    }
}

impl TaskStatus {
    /// Why a failed task failed, for people: `failMsg`, else `failCode`.
    pub fn failure_reason(&self) -> Option<String> {
        match (&self.fail_msg, &self.fail_code) {
            (Some(msg), _) => Some(msg.clone()),
            (None, Some(code)) => Some(format!("failed with code {code} (no message)")),
            (None, None) => None,
        }
    }
}

/// `param` and `resultJson` are JSON documents inside strings; a sender that
/// sends the object itself is accepted too.
fn parse_embedded(v: Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() || s.trim() == "null" => None,
        Value::String(s) => serde_json::from_str(&s).ok(),
        other => Some(other),
    }
}

/// Decodes a callback body. Fails only when it is not JSON or carries no data.
pub fn decode_callback(body: &[u8]) -> Result<TaskStatus, serde_json::Error> {
    let env: Envelope<TaskStatus> = serde_json::from_slice(body)?;
    env.data
        .ok_or_else(|| de::Error::custom("callback carries no data object"))
}

/// A short, printable excerpt of a body for error messages: control
/// characters removed, at most 120 characters.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if out.chars().count() > 120 {
        out = out.chars().take(117).collect::<String>() + "...";
    }
    if out.is_empty() {
        out = "(empty body)".into();
    }
    out
}

fn lenient_data<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    if !v.is_object() {
        return Ok(None);
    }
    serde_json::from_value(v)
        .map(Some)
        .map_err(de::Error::custom)
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

fn lenient_state<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RemoteState>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(RemoteState::parse(&s)),
        other => Some(RemoteState::Unknown(other.to_string())),
    })
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    })
    .map(|v| v.filter(|f| f.is_finite()))
}

fn lenient_urls<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s),
                _ => None,
            })
            .collect(),
        Value::String(s) if !s.trim().is_empty() => vec![s],
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests;
