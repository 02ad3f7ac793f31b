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

/// Writes `bytes` as a file named `name` and analyses it: whatever the
/// bytes, the answer is figures or "cannot decode", never a panic.
fn analyse_bytes(
    bytes: &[u8],
    name: &str,
) -> Result<klang::audio::Analysis, klang::audio::AudioError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    klang::audio::analyse_file(&path)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name);
    std::fs::read(path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_crash_the_audio_decoder(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        ext in prop_oneof![Just("mp3"), Just("wav"), Just("flac"), Just("ogg"), Just("m4a")],
    ) {
        let _ = analyse_bytes(&bytes, &format!("x.{ext}"));
    }

    #[test]
    fn damaged_real_files_decode_or_are_refused(
        file in prop_oneof![Just("stereo_44k.mp3"), Just("mono_22k.mp3"), Just("mono_32k.wav")],
        cut in 0.0f64..1.0,
        flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 0..8),
    ) {
        let mut bytes = fixture(file);
        for (at, value) in flips {
            let i = ((bytes.len() as f64) * at) as usize;
            if let Some(b) = bytes.get_mut(i) {
                *b = value;
            }
        }
        bytes.truncate(((bytes.len() as f64) * cut) as usize);
        if let Ok(a) = analyse_bytes(&bytes, file) {
            let s = a.stats;
            prop_assert!(s.duration_s.is_finite() && s.duration_s > 0.0);
            prop_assert!(s.peak_dbfs.is_none_or(f64::is_finite));
            prop_assert!(s.leading_silence_s <= s.duration_s + 1e-9);
            prop_assert!(a.peaks.as_slice().iter().all(|p| p.min <= p.max));
        }
    }
}
