use super::*;

// Every example body from docs/api.md and the provider's page.
#[test]
fn decodes_create_answer() {
    let body = r#"{"code":200,"msg":"success","data":{"taskId":"clxxx...","state":"pending","model":"kling-audio/kling-sound-effects"}}"#;
    let env: Envelope<CreatedTask> = serde_json::from_str(body).unwrap();
    assert_eq!(env.code, Some(200));
    let data = env.data.unwrap();
    assert_eq!(data.task_id.as_deref(), Some("clxxx..."));
    assert_eq!(data.state, Some(RemoteState::Pending));
}

#[test]
fn decodes_completed_and_failed_queries() {
    let body = r#"{"code":200,"msg":"success","data":{"taskId":"clxxx...","state":"completed","model":"kling-audio/kling-sound-effects","resultUrls":["https://...audio.mp3"],"createTime":1705123450000,"completeTime":1705123500000}}"#;
    let t = serde_json::from_str::<Envelope<TaskStatus>>(body)
        .unwrap()
        .data
        .unwrap();
    assert_eq!(t.state, Some(RemoteState::Completed));
    assert_eq!(t.result_urls, vec!["https://...audio.mp3"]);
    assert_eq!(t.complete_time.unwrap() - t.create_time.unwrap(), 50_000);

    let body = r#"{"code":200,"msg":"success","data":{"taskId":"clxxx...","state":"failed","model":"kling-audio/kling-sound-effects","failMsg":"Content policy violation"}}"#;
    let t = serde_json::from_str::<Envelope<TaskStatus>>(body)
        .unwrap()
        .data
        .unwrap();
    assert_eq!(t.state, Some(RemoteState::Failed));
    assert_eq!(t.fail_msg.as_deref(), Some("Content policy violation"));
    assert!(t.result_urls.is_empty());
}

#[test]
fn missing_null_odd_and_unknown_fields_never_break_a_task() {
    let body = r#"{"code":"200","data":{"taskId":"t1","state":"weird-new-state","resultUrls":null,
        "createTime":"1705123450000","completeTime":null,"failMsg":null,"extra":{"x":1},"audioDuration":"4.5"}}"#;
    let t = serde_json::from_str::<Envelope<TaskStatus>>(body)
        .unwrap()
        .data
        .unwrap();
    assert_eq!(
        t.state,
        Some(RemoteState::Unknown("weird-new-state".into()))
    );
    assert!(t.result_urls.is_empty());
    assert_eq!(t.create_time, Some(1_705_123_450_000));
    assert_eq!(t.audio_duration, Some(4.5));

    let env: Envelope<TaskStatus> =
        serde_json::from_str(r#"{"code":404,"msg":"Task not found","data":null}"#).unwrap();
    assert!(env.data.is_none());
    let env: Envelope<TaskStatus> = serde_json::from_str(r#"{"data":[]}"#).unwrap();
    assert!(env.data.is_none());
}

#[test]
fn decodes_the_callback_payload_with_embedded_json_strings() {
    let body = r#"{"code":200,"msg":"success","data":{"taskId":"clxxx...","model":"kling-audio/kling-sound-effects","state":"completed",
        "param":"{\"model\":\"kling-sound-effects\",\"prompt\":\"wind\",\"duration\":\"5.0\"}",
        "resultJson":"{\"resultUrls\":[\"https://r2.apimodels.app/audio/xxx.mp3\"],\"audioDuration\":12.5}",
        "failCode":null,"failMsg":null,"costTime":12345,"completeTime":1705123500000,"createTime":1705123450000}}"#;
    let cb = decode_callback(body.as_bytes()).unwrap();
    assert_eq!(cb.state, Some(RemoteState::Completed));
    assert_eq!(
        cb.result_urls,
        vec!["https://r2.apimodels.app/audio/xxx.mp3"]
    );
    assert_eq!(cb.audio_duration, Some(12.5));
    assert_eq!(cb.param.unwrap()["duration"], "5.0");
    assert_eq!(cb.cost_time, Some(12345));

    let failed = r#"{"code":200,"msg":"success","data":{"taskId":"t","state":"failed","param":"{}","resultJson":null,"failCode":"400","failMsg":"Content policy violation"}}"#;
    let cb = decode_callback(failed.as_bytes()).unwrap();
    assert_eq!(cb.state, Some(RemoteState::Failed));
    assert!(cb.result_urls.is_empty());
    assert_eq!(cb.fail_code.as_deref(), Some("400"));
    let empty = r#"{"data":{"taskId":"t","state":"failed","resultJson":"{\"resultUrls\":[]}"}}"#;
    assert!(
        decode_callback(empty.as_bytes())
            .unwrap()
            .result_urls
            .is_empty()
    );
    assert!(decode_callback(b"not json").is_err());
    assert!(decode_callback(b"{\"code\":200}").is_err());
}

fn query(body: &str) -> TaskStatus {
    serde_json::from_str::<Envelope<TaskStatus>>(body)
        .unwrap()
        .data
        .unwrap()
}

#[test]
fn a_query_answered_in_the_callback_shape_keeps_urls_and_length() {
    let t = query(
        r#"{"code":200,"msg":"success","data":{"taskId":"t1","state":"completed",
        "param":"{\"model\":\"kling-tts\",\"text\":\"hi\"}",
        "resultJson":"{\"resultUrls\":[\"https://r2.example/a.mp3\"],\"audioDuration\":3.25}",
        "failCode":null,"failMsg":null,"costTime":4100,"createTime":1705123450000,"completeTime":1705123454100}}"#,
    );
    assert_eq!(t.state, Some(RemoteState::Completed));
    assert_eq!(t.result_urls, vec!["https://r2.example/a.mp3"]);
    assert_eq!(t.audio_duration, Some(3.25));
    assert_eq!(t.cost_time, Some(4100));
    assert_eq!(t.param.unwrap()["text"], "hi");
}

#[test]
fn mixed_shapes_take_the_top_level_first_and_fill_in_from_result_json() {
    // An empty top-level list does not hide the URLs inside resultJson,
    // and a length given only inside resultJson is kept.
    let t = query(
        r#"{"data":{"taskId":"t","state":"completed","resultUrls":[],
        "resultJson":{"resultUrls":["https://r2.example/b.mp3"],"audioDuration":"7.5"}}}"#,
    );
    assert_eq!(t.result_urls, vec!["https://r2.example/b.mp3"]);
    assert_eq!(t.audio_duration, Some(7.5));
    let t = query(
        r#"{"data":{"taskId":"t","state":"completed","resultUrls":["https://top/c.mp3"],"audioDuration":2,
        "resultJson":"{\"resultUrls\":[\"https://inner/d.mp3\"],\"audioDuration\":9}"}}"#,
    );
    assert_eq!(t.result_urls, vec!["https://top/c.mp3"]);
    assert_eq!(t.audio_duration, Some(2.0));
}

#[test]
fn a_failure_says_why_from_the_message_or_the_code() {
    let t =
        query(r#"{"data":{"state":"failed","failCode":"1301","failMsg":"","resultJson":null}}"#);
    assert_eq!(
        t.failure_reason().as_deref(),
        Some("failed with code 1301 (no message)")
    );
    let t = query(
        r#"{"data":{"state":"failed","failCode":"1301","failMsg":"Content policy violation"}}"#,
    );
    assert_eq!(
        t.failure_reason().as_deref(),
        Some("Content policy violation")
    );
    let t = query(r#"{"data":{"state":"failed","resultJson":"not json at all"}}"#);
    assert!(t.result_urls.is_empty() && t.failure_reason().is_none());
}

#[test]
fn snippet_is_short_and_printable() {
    let s = snippet(b"<html>\x1b[31m\n  <h1>502 Bad Gateway</h1></html>");
    assert!(!s.contains('\x1b'));
    assert!(s.starts_with("<html>"));
    assert!(snippet(&[b'x'; 500]).chars().count() <= 120);
}
