//! Property tests: no response or callback body, however broken, makes the
//! decoders panic, and whatever decodes keeps its invariants.

use klang::api::{Envelope, TaskStatus, decode_callback, normalize_duration, snippet};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Arbitrary JSON values, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::hash_map(
                prop_oneof![
                    Just("taskId".to_string()),
                    Just("state".to_string()),
                    Just("resultUrls".to_string()),
                    Just("createTime".to_string()),
                    Just("completeTime".to_string()),
                    Just("failMsg".to_string()),
                    Just("param".to_string()),
                    Just("resultJson".to_string()),
                    Just("data".to_string()),
                    Just("code".to_string()),
                    "[a-zA-Z]{1,8}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn raw_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<Envelope<TaskStatus>>(&bytes);
        let _ = decode_callback(&bytes);
        let s = snippet(&bytes);
        prop_assert!(s.chars().count() <= 120);
        prop_assert!(!s.chars().any(char::is_control));
    }

    #[test]
    fn any_json_shape_never_panics(data in any_json(), code in any_json()) {
        let body = json!({"code": code, "msg": "x", "data": data});
        let bytes = serde_json::to_vec(&body).unwrap();
        if let Ok(env) = serde_json::from_slice::<Envelope<TaskStatus>>(&bytes)
            && let Some(status) = env.data
        {
            prop_assert!(status.result_urls.iter().all(|u| !u.trim().is_empty()));
        }
        let _ = decode_callback(&bytes);
    }

    #[test]
    fn embedded_json_strings_never_panic(param in ".{0,80}", result in ".{0,80}") {
        let body = json!({"data": {"taskId": "t", "state": "completed", "param": param, "resultJson": result}});
        let cb = decode_callback(&serde_json::to_vec(&body).unwrap()).unwrap();
        prop_assert_eq!(cb.task_id.as_deref(), Some("t"));
    }

    #[test]
    fn durations_are_either_refused_or_canonical(input in ".{0,12}") {
        if let Ok(d) = normalize_duration(&input) {
            let v: f64 = d.parse().unwrap();
            prop_assert!((3.0..=10.0).contains(&v));
            prop_assert_eq!(d.split('.').nth(1).map(str::len), Some(1));
        }
    }
}
