use super::naming::sanitize_component;
use super::*;
use crate::api::{CreateRequest, Model, SoundEffectsParams};
use crate::store::LocalState;
use std::io::ErrorKind;

/// Noon UTC on 2026-11-24.
const NOON: i64 = 1_795_521_600_000;

/// `rest` after the local date of NOON, as names start: no fixed zone can
/// be assumed (UTC+13 is already the 25th).
fn named(rest: &str) -> String {
    use chrono::TimeZone;
    let day = chrono::Local.timestamp_millis_opt(NOON).earliest().unwrap();
    format!("{}_{rest}", day.format("%Y-%m-%d"))
}

fn record(summary: &str, task_id: Option<&str>) -> TaskRecord {
    TaskRecord {
        id: 7,
        task_id: task_id.map(str::to_string),
        state: LocalState::Completed,
        submitted_at: NOON - 86_400_000,
        create_time: Some(NOON),
        complete_time: Some(NOON + 5_000),
        cost_usd: 0.0,
        updated_at: NOON,
        ..TaskRecord::new(CreateRequest::SoundEffects(SoundEffectsParams {
            prompt: summary.to_string(),
            duration: "5.0".into(),
            callback_url: None,
        }))
    }
}

/// The properties every produced name must have.
fn assert_plain(name: &str) {
    assert!(!name.is_empty());
    assert!(name.len() <= MAX_NAME_BYTES, "{} bytes: {name}", name.len());
    assert!(!name.contains('/') && !name.contains('\\'), "{name}");
    assert!(!name.contains(".."), "{name}");
    assert!(!name.starts_with('.'), "{name}");
    assert!(!name.chars().any(char::is_control), "{name:?}");
    let path = std::path::Path::new(name);
    assert_eq!(path.components().count(), 1, "{name}");
    assert!(matches!(
        path.components().next(),
        Some(std::path::Component::Normal(_))
    ));
}

#[test]
fn names_follow_the_pattern() {
    let task = record("Strong wind in forest!", Some("cl3f9a2b-1234-5678"));
    let name = file_name(&task, "https://cdn.example.com/a/b/x.mp3", None);
    assert_eq!(name, named("sfx_cl3f9a2b_strong-wind-in-forest.mp3"));
    assert_plain(&name);
}

#[test]
fn falls_back_to_submitted_at_and_local_id() {
    let mut task = record("rain", None);
    task.create_time = None;
    task.submitted_at = NOON;
    task.model = Model::Tts;
    assert_eq!(
        file_name(&task, "https://x/y", None),
        named("tts_local7_rain.mp3")
    );
}

#[test]
fn extension_prefers_the_url_then_content_type() {
    assert_eq!(
        extension("https://x/a/b.WAV?sig=1", Some("audio/mpeg")),
        "wav"
    );
    assert_eq!(extension("https://x/a/b.exe", Some("audio/x-wav")), "wav");
    assert_eq!(
        extension("https://x/a/b", Some("audio/mp4; codecs=x")),
        "m4a"
    );
    assert_eq!(extension("https://x/a/b", Some("Audio/OGG")), "ogg");
    assert_eq!(extension("https://x/a/b", Some("audio/flac")), "flac");
    assert_eq!(extension("https://x/a/b", Some("audio/aac")), "aac");
    assert_eq!(extension("https://x/a/b", Some("audio/webm")), "webm");
    assert_eq!(extension("https://x/a/b", Some("audio/wave")), "wav");
    assert_eq!(extension("https://x/a/b", Some("text/html")), "mp3");
    assert_eq!(extension("https://x/a/b", None), "mp3");
    assert_eq!(extension("not a url", None), "mp3");
    // The query is not the path.
    assert_eq!(extension("https://x/a/b?f=x.flac", None), "mp3");
    assert_eq!(extension("https://x/track.opus", None), "opus");
}

#[test]
fn hostile_urls_only_choose_an_extension() {
    let task = record("wind", Some("abc"));
    for url in [
        "https://x/../../etc/passwd",
        "https://x/..%2F..%2Fetc%2Fpasswd",
        "https://x/a/..\\..\\evil.mp3",
        "https://x/%00.mp3",
        "file:///etc/passwd",
        "https://x/.bashrc",
        "https://x/CON",
        "https://x/a.mp3/",
    ] {
        let name = file_name(&task, url, Some("audio/mpeg"));
        assert_plain(&name);
        assert!(name.starts_with(&named("sfx_abc_wind.")), "{url} -> {name}");
    }
}

#[test]
fn hostile_task_ids_are_reduced_to_letters_and_digits() {
    for id in [
        "../../x",
        "/etc/passwd",
        "..",
        "\u{0}\n",
        "💥💥",
        "a/b\\c:d",
    ] {
        let name = file_name(&record("wind", Some(id)), "https://x/y.mp3", None);
        assert_plain(&name);
    }
    assert_eq!(
        file_name(&record("wind", Some("../../x")), "https://x/y.mp3", None),
        named("sfx_x_wind.mp3")
    );
    assert_eq!(
        file_name(&record("wind", Some("../..")), "https://x/y.mp3", None),
        named("sfx_local7_wind.mp3")
    );
}

#[test]
fn slug_rules() {
    assert_eq!(slug("  Hello,   World!!  "), "hello-world");
    assert_eq!(slug(""), "audio");
    assert_eq!(slug("!!!"), "audio");
    assert_eq!(slug("日本語のテキスト"), "audio");
    assert_eq!(slug("café au lait"), "caf-au-lait");
    // Cut at a word boundary when the 41st character starts a new word...
    let words = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj";
    assert_eq!(slug(words), "aaaa-bbbb-cccc-dddd-eeee-ffff-gggg-hhhh");
    // ...or back to the last dash inside the cap...
    let s = slug("the quick brown fox jumps over the lazy doggedness");
    assert_eq!(s, "the-quick-brown-fox-jumps-over-the-lazy");
    // ...but a single long word is cut hard.
    assert_eq!(slug(&"x".repeat(100)), "x".repeat(40));
    assert!(slug(&"word ".repeat(100)).len() <= 40);
}

#[test]
fn a_huge_prompt_gives_a_short_name() {
    let prompt: String = "thunder and lightning ".repeat(500);
    assert!(prompt.len() >= 10_000);
    let name = file_name(
        &record(&prompt, Some("abcdefgh12")),
        "https://x/y.mp3",
        None,
    );
    assert_plain(&name);
    assert_eq!(
        name,
        named("sfx_abcdefgh_thunder-and-lightning-thunder-and.mp3")
    );
    let name = file_name(&record(&"é".repeat(10_000), None), "https://x/y", None);
    assert_eq!(name, named("sfx_local7_audio.mp3"));
}

#[test]
fn unicode_emoji_and_bidi_prompts() {
    for prompt in [
        "🌧️ rain on a tin roof 🌧️",
        "\u{202E}3pm.exe",
        "evil\u{202E}gpj.mp3",
        "\u{200F}\u{2066}שלום\u{2069} world",
        "line\nbreak\r\tand\u{0}nul",
        "../../../etc/passwd",
        ".hidden",
        "CON",
        "nul.txt",
        "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ",
    ] {
        let name = file_name(&record(prompt, Some("t1")), "https://x/y.mp3", None);
        assert_plain(&name);
        assert!(name.is_ascii(), "{name}");
    }
    assert_eq!(
        file_name(
            &record("\u{202E}3pm.exe", Some("t1")),
            "https://x/y.mp3",
            None
        ),
        named("sfx_t1_3pm-exe.mp3")
    );
    assert_eq!(
        file_name(&record("🌧️ rain 🌧️", Some("t1")), "https://x/y.mp3", None),
        named("sfx_t1_rain.mp3")
    );
}

#[test]
fn sanitize_handles_anything() {
    for raw in [
        "",
        ".",
        "..",
        "../x",
        "a/../../b",
        ".bashrc",
        "CON",
        "con.mp3",
        "LPT9.wav",
        "com1",
        "x\u{0}y",
        "trailing. . ",
        "\u{202E}evil",
        "a\\b:c*d?e\"f<g>h|i",
    ] {
        let out = sanitize_component(raw);
        assert_plain(&out);
        let device = out.split('.').next().unwrap_or("");
        assert!(
            !["CON", "NUL", "LPT9", "COM1"]
                .iter()
                .any(|r| r.eq_ignore_ascii_case(device)),
            "{raw:?} -> {out}"
        );
    }
    let long = format!("{}.mp3", "é".repeat(200));
    let out = sanitize_component(&long);
    assert!(
        out.len() <= MAX_NAME_BYTES && out.ends_with(".mp3"),
        "{out}"
    );
}

#[test]
fn numbered_names() {
    assert_eq!(numbered("a_b.mp3", 1), "a_b.mp3");
    assert_eq!(numbered("a_b.mp3", 2), "a_b-2.mp3");
    assert_eq!(numbered("noext", 3), "noext-3");
    let long = format!("{}.mp3", "x".repeat(MAX_NAME_BYTES - 4));
    let n = numbered(&long, 9999);
    assert!(n.len() <= MAX_NAME_BYTES && n.ends_with("-9999.mp3"), "{n}");
}

#[test]
fn part_names_are_deterministic_hidden_and_plain() {
    let a = part_name(7, "https://x/a.mp3");
    assert_eq!(a, part_name(7, "https://x/a.mp3"));
    assert_ne!(a, part_name(7, "https://x/b.mp3"));
    assert_ne!(a, part_name(8, "https://x/a.mp3"));
    assert!(a.starts_with(".klang-7-") && a.ends_with(".part"));
    // Stable across builds: a resume after an upgrade finds the old file.
    assert_eq!(part_name(1, ""), ".klang-1-cbf29ce484222325.part");
    let hostile = part_name(-3, "https://x/../../etc/passwd");
    assert_eq!(std::path::Path::new(&hostile).components().count(), 1);
}

#[test]
fn content_range_parsing() {
    assert_eq!(
        parse_content_range("bytes 100-199/200"),
        Some((100, Some(200)))
    );
    assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, None)));
    assert_eq!(parse_content_range("bytes 5-4/200"), None);
    assert_eq!(parse_content_range("bytes 0-199/100"), None);
    assert_eq!(parse_content_range("bytes */200"), None);
    assert_eq!(parse_content_range("items 0-1/2"), None);
    assert_eq!(parse_content_range(""), None);
}

#[test]
fn urls_are_checked_and_redacted() {
    assert!(matches!(
        checked_url("file:///etc/passwd"),
        Err(DownloadError::BadUrl(_))
    ));
    assert!(matches!(
        checked_url("ftp://x/a.mp3"),
        Err(DownloadError::BadUrl(_))
    ));
    assert!(matches!(
        checked_url("javascript:alert(1)"),
        Err(DownloadError::BadUrl(_))
    ));
    assert!(matches!(
        checked_url("/relative.mp3"),
        Err(DownloadError::BadUrl(_))
    ));
    let url =
        checked_url("https://user:secret@cdn.example.com:8443/a/b.mp3?X-Sig=TOKEN#f").unwrap();
    assert_eq!(url.username(), "");
    assert_eq!(url.password(), None);
    let shown = redact(&url);
    assert_eq!(shown, "https://cdn.example.com:8443/a/b.mp3");
    assert!(!shown.contains("TOKEN") && !shown.contains("secret"));
}

#[test]
fn error_messages_are_one_line() {
    let errors = [
        DownloadError::Http {
            status: 404,
            url: "https://x/a.mp3".into(),
        },
        DownloadError::Network("x".into()),
        io_error(
            std::path::Path::new("/tmp/a\nb"),
            &std::io::Error::from(ErrorKind::StorageFull),
        ),
        DownloadError::NoUrl,
        DownloadError::BadUrl("x".into()),
        DownloadError::TooLarge { limit: 5 },
        DownloadError::InProgress { dir: "d".into() },
    ];
    for e in errors {
        let text = e.to_string();
        assert!(!text.contains('\n'), "{text}");
    }
    assert!(
        DownloadError::Http {
            status: 410,
            url: String::new()
        }
        .url_may_be_stale()
    );
    assert!(!DownloadError::BadUrl(String::new()).url_may_be_stale());
    assert!(
        one_line(&"long ".repeat(100)).chars().count() <= 201,
        "capped"
    );
}

#[test]
fn redirects_may_not_downgrade_or_loop() {
    let u = |s: &str| url::Url::parse(s).unwrap();
    let https = [u("https://cdn.example/a.mp3")];
    assert!(redirect_refusal(&https, &u("https://other.example/a.mp3"), 5).is_none());
    let why = redirect_refusal(&https, &u("http://other.example/a.mp3"), 5).unwrap();
    assert!(why.contains("downgrade"), "{why}");
    assert!(redirect_refusal(&[u("http://a.example/x")], &u("http://b.example/x"), 5).is_none());
    assert!(redirect_refusal(&[u("http://a.example/x")], &u("ftp://b.example/x"), 5).is_some());
    let many: Vec<_> = (0..6)
        .map(|i| u(&format!("http://a.example/{i}")))
        .collect();
    assert!(redirect_refusal(&many, &u("http://a.example/x"), 5).is_some());
}

#[test]
fn a_batch_task_name_starts_with_its_padded_line_number() {
    let mut task = record("line seven", Some("abcdef123"));
    task.batch_line = Some(7);
    let name = file_name(&task, "https://x/y.wav", None);
    assert!(name.starts_with("00007_"), "{name}");
    assert!(name.ends_with("_line-seven.wav"), "{name}");
    task.batch_line = Some(12);
    assert!(file_name(&task, "https://x/y.wav", None) > name);
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_planted_at_the_validator_or_the_part_is_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let part = dir.path().join(part_name(7, "https://x/a.mp3"));
    let validator = part.with_extension("validator");
    std::os::unix::fs::symlink(&victim, &validator).unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ETAG, "\"v1\"".parse().unwrap());

    super::request::write_validator(&validator, &headers).await;

    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    let meta = std::fs::symlink_metadata(&validator).unwrap();
    assert!(meta.is_file(), "the link was replaced by the validator");
    assert_eq!(std::fs::read_to_string(&validator).unwrap(), "\"v1\"");

    std::os::unix::fs::symlink(&victim, &part).unwrap();
    assert!(super::files::open_part(&part, dir.path()).is_err());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
}
