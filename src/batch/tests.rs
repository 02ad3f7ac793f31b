use super::*;
use crate::api::CreateRequest;

#[test]
fn jsonl_takes_short_model_names_and_numeric_durations() {
    let text = r#"{"model":"sfx","prompt":"wind","duration":5}
{"model":"kling-tts","text":"hello","voice_id":"v1","voice_language":"en","voice_speed":"1.2"}

# a comment keeps its line number
{"model":"v2a","video_url":"https://x.test/a.mp4","asmr_mode":true}
{"model":"kling-sound-effects","prompt":"rain","duration":"4.5"}
"#;
    let lines = parse(text, Format::Jsonl).unwrap();
    let numbers: Vec<u64> = lines.iter().map(|l| l.number).collect();
    assert_eq!(numbers, [1, 2, 5, 6]);
    match &lines[0].request {
        CreateRequest::SoundEffects(p) => assert_eq!(p.duration, "5.0"),
        other => panic!("{other:?}"),
    }
    let p = price(&lines);
    assert_eq!(p.total.count, 4);
    assert!((p.total.cost_usd - (0.0295 * 2.0 + 0.0006 + 0.0027)).abs() < 1e-9);
    assert_eq!(p.per_model.len(), 3);
}

#[test]
fn every_bad_line_is_named_with_its_field_and_limit() {
    let long = "a".repeat(201);
    let text = format!(
        "{{\"model\":\"sfx\",\"prompt\":\"ok\",\"duration\":5}}\n\
         {{\"model\":\"sfx\",\"prompt\":\"{long}\",\"duration\":5}}\n\
         {{\"model\":\"tts\",\"text\":\"hi\",\"voice_id\":\"v\",\"voice_language\":\"fr\"}}\n\
         not json\n\
         {{\"model\":\"sfx\",\"prompt\":\"x\",\"duration\":12}}\n\
         {{\"model\":\"tts\",\"prompt\":\"x\",\"text\":\"t\",\"voice_id\":\"v\",\"voice_language\":\"en\"}}\n\
         {{\"model\":\"music\",\"prompt\":\"x\"}}\n"
    );
    let errors = parse(&text, Format::Jsonl).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 6, "{shown:?}");
    assert!(shown[0].starts_with("line 2: prompt:") && shown[0].contains("200"));
    assert!(shown[1].starts_with("line 3: voice_language:"));
    assert!(shown[2].starts_with("line 4: line:"));
    assert!(shown[3].starts_with("line 5: duration:") && shown[3].contains("10.0"));
    assert!(shown[4].starts_with("line 6: prompt: is not a field of kling-tts"));
    assert!(shown[5].starts_with("line 7: model:"));
}

#[test]
fn csv_keeps_quoted_commas_and_newlines_and_numbers_rows_by_line() {
    let text = "model,text,voice_id,voice_language,prompt,duration\n\
                tts,\"Hello, world\",v1,en,,\n\
                sfx,,,,\"door, slam\nthen \"\"echo\"\"\",3\n\
                tts,plain,v1,zh,,\n";
    let lines = parse(text, Format::Csv).unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].request.summary(), "Hello, world");
    assert_eq!(lines[1].request.summary(), "door, slam\nthen \"echo\"");
    // The third row starts on line 5: the second spans two.
    assert_eq!(
        lines.iter().map(|l| l.number).collect::<Vec<_>>(),
        [2, 3, 5]
    );
    let bad = parse("model,txt\ntts,hi\n", Format::Csv).unwrap_err();
    assert!(
        bad[0]
            .to_string()
            .starts_with("line 1: txt: is not a field")
    );
}

#[test]
fn keys_differ_by_line_and_content_and_ignore_spelling() {
    let file = |text: &str| BatchFile {
        lines: parse(text, Format::Jsonl).unwrap(),
        canonical: "/data/lines.jsonl".into(),
    };
    let a = file(
        "{\"model\":\"sfx\",\"prompt\":\"wind\",\"duration\":5}\n{\"model\":\"sfx\",\"prompt\":\"wind\",\"duration\":5}\n",
    );
    let b = file("{\"model\":\"kling-sound-effects\",\"duration\":\"5.0\",\"prompt\":\"wind\"}\n");
    let (a1, a2) = (a.tag(&a.lines[0]), a.tag(&a.lines[1]));
    assert_ne!(a1.key, a2.key, "same text on two lines: two tasks");
    assert_eq!(a1.key, b.tag(&b.lines[0]).key, "same request, same line");
    assert_eq!(a2.line, 2);
    let other_path = BatchFile {
        canonical: "/data/other.jsonl".into(),
        ..a.clone()
    };
    assert_ne!(a1.key, other_path.tag(&other_path.lines[0]).key);
    // Keys hash the path's bytes: a UTF-8 path keys as it always did, and
    // two names that differ only where they are not UTF-8 (both shown as
    // "w\u{fffd}lk") are two files.
    use std::os::unix::ffi::OsStrExt;
    let named = |name: &[u8]| BatchFile {
        canonical: std::path::Path::new(std::ffi::OsStr::from_bytes(name)).into(),
        ..a.clone()
    };
    let (latin1, cp1252) = (named(b"/data/w\xe4lk.jsonl"), named(b"/data/w\xfclk.jsonl"));
    assert_ne!(
        latin1.tag(&latin1.lines[0]).key,
        cp1252.tag(&cp1252.lines[0]).key
    );
    assert_eq!(
        a1.key, "adb758c77a49253d2c62e59ec4c2272a4db336edd98dd1fb9de0628a94790952",
        "keys of UTF-8 paths are unchanged"
    );
}

#[test]
fn an_empty_file_is_refused() {
    assert!(parse("\n\n", Format::Jsonl).is_err());
    assert!(parse("model,prompt\n", Format::Csv).is_err());
}

#[test]
fn a_video_file_line_has_no_url_yet_and_takes_no_other_video() {
    let text = "model,video_file,sound_effect_prompt\nv2a,clips/walk.mp4,steps\n";
    let lines = parse(text, Format::Csv).unwrap();
    assert_eq!(
        lines[0].video_file.as_deref(),
        Some(std::path::Path::new("clips/walk.mp4"))
    );
    match &lines[0].request {
        CreateRequest::VideoToAudio(p) => {
            assert_eq!(
                (p.video_url.as_deref(), p.video_id.as_deref()),
                (None, None)
            );
            assert_eq!(p.sound_effect_prompt.as_deref(), Some("steps"));
        }
        other => panic!("{other:?}"),
    }
    let both = r#"{"model":"v2a","video_file":"a.mp4","video_url":"https://x.test/a.mp4"}"#;
    let errors = parse(both, Format::Jsonl).unwrap_err();
    assert!(
        errors[0]
            .to_string()
            .contains("exactly one of video_id, video_url or video_file"),
        "{errors:?}"
    );
    let stray = r#"{"model":"sfx","prompt":"x","video_file":"a.mp4"}"#;
    assert!(parse(stray, Format::Jsonl).is_err());
}
