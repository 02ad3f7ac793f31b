//! Task timeline and the JSON the API answers about a task.
//!
//! Responses vary a little per task (chosen by the seed bits in the id, so
//! they are reproducible): optional fields are sometimes omitted or null and
//! unknown fields sometimes appear, as the contract warns the real API does.

use serde_json::{Map, Value, json};

use super::taskid::TaskId;

pub const FAIL_MSG: &str = "Content policy violation";
const FAIL_CODE: &str = "content_policy_violation";

#[derive(Clone, Copy, Debug)]
pub struct Timings {
    pub pending_ms: u64,
    pub processing_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Processing => "processing",
            Phase::Completed => "completed",
            Phase::Failed => "failed",
        }
    }
}

pub fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

pub fn complete_ms(id: &TaskId, t: Timings) -> u64 {
    id.created_ms
        .saturating_add(t.pending_ms)
        .saturating_add(t.processing_ms)
}

pub fn phase_at(id: &TaskId, now: u64, t: Timings) -> Phase {
    let elapsed = now.saturating_sub(id.created_ms);
    if elapsed < t.pending_ms {
        Phase::Pending
    } else if elapsed < t.pending_ms.saturating_add(t.processing_ms) {
        Phase::Processing
    } else if id.fail {
        Phase::Failed
    } else {
        Phase::Completed
    }
}

pub fn file_url(base_url: &str, task_id: &str, extension: &str) -> String {
    format!("{base_url}/files/{task_id}.{extension}")
}

pub fn audio_seconds(id: &TaskId) -> f64 {
    f64::from(id.audio_cs) / 100.0
}

fn bit(id: &TaskId, n: u32) -> bool {
    (id.seed >> n) & 1 == 1
}

/// `data` of a query answer.
pub fn query_data(
    task_id: &str,
    id: &TaskId,
    now: u64,
    t: Timings,
    (base_url, extension): (&str, &str),
) -> Value {
    let phase = phase_at(id, now, t);
    let mut d = Map::new();
    d.insert("taskId".into(), json!(task_id));
    d.insert("state".into(), json!(phase.as_str()));
    d.insert("model".into(), json!(id.model.qualified()));
    match phase {
        Phase::Pending => {
            d.insert("createTime".into(), json!(id.created_ms));
            if bit(id, 0) {
                d.insert("resultUrls".into(), Value::Null);
            }
            if bit(id, 1) {
                // Unknown field: clients must ignore it.
                d.insert("queuePosition".into(), json!(1 + id.seed % 7));
            }
        }
        Phase::Processing => {
            d.insert("createTime".into(), json!(id.created_ms));
            if bit(id, 2) {
                let done = now
                    .saturating_sub(id.created_ms)
                    .saturating_sub(t.pending_ms);
                let pct = done.saturating_mul(100) / t.processing_ms.max(1);
                d.insert("progress".into(), json!(pct.min(99)));
            }
        }
        Phase::Completed => {
            d.insert(
                "resultUrls".into(),
                json!([file_url(base_url, task_id, extension)]),
            );
            d.insert("createTime".into(), json!(id.created_ms));
            d.insert("completeTime".into(), json!(complete_ms(id, t)));
            if bit(id, 3) {
                d.insert("progress".into(), json!(100));
            }
        }
        Phase::Failed => {
            // The provider's own failed example carries no times at all.
            if bit(id, 4) {
                d.insert("createTime".into(), json!(id.created_ms));
                d.insert("completeTime".into(), json!(complete_ms(id, t)));
            }
            d.insert("failMsg".into(), json!(FAIL_MSG));
        }
    }
    Value::Object(d)
}

/// The whole callback body for a task in its terminal state.
pub fn callback_payload(
    task_id: &str,
    id: &TaskId,
    t: Timings,
    (base_url, extension): (&str, &str),
    params: &Value,
) -> Value {
    let complete = complete_ms(id, t);
    let (state, result_json, fail_code, fail_msg) = if id.fail {
        // The page says: "typically null or {"resultUrls":[]}"; send both shapes.
        let result = if bit(id, 7) {
            Value::String(json!({"resultUrls": []}).to_string())
        } else {
            Value::Null
        };
        ("failed", result, json!(FAIL_CODE), json!(FAIL_MSG))
    } else {
        let mut r = Map::new();
        r.insert(
            "resultUrls".into(),
            json!([file_url(base_url, task_id, extension)]),
        );
        if !bit(id, 6) {
            r.insert("audioDuration".into(), json!(audio_seconds(id)));
        }
        (
            "completed",
            Value::String(Value::Object(r).to_string()),
            Value::Null,
            Value::Null,
        )
    };
    json!({
        "code": 200,
        "msg": "success",
        "data": {
            "taskId": task_id,
            "model": id.model.qualified(),
            "state": state,
            "param": params.to_string(),
            "resultJson": result_json,
            "failCode": fail_code,
            "failMsg": fail_msg,
            "costTime": complete.saturating_sub(id.created_ms),
            "completeTime": complete,
            "createTime": id.created_ms,
        }
    })
}
