//! Subtitle files as people make them (tests/fixtures/subs, written by
//! scripts/make-subtitle-fixtures.py) parse to the cues a dub speaks: the
//! right count, times, speakers and exact text with the styling gone, in
//! whatever encoding they came; and a file with nothing to speak is
//! refused in one line that says where.

use klang::subtitles::{Cue, Format, SubtitleError, Subtitles, parse, read};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/subs")
        .join(name)
}

fn read_fixture(name: &str) -> Subtitles {
    read(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (start, end, speaker, text) of each cue, numbered 1.. in order.
fn cues(subs: &Subtitles) -> Vec<(u64, u64, Option<&str>, &str)> {
    for (i, cue) in subs.cues.iter().enumerate() {
        assert_eq!(cue.number, i + 1, "{cue:?}");
    }
    subs.cues
        .iter()
        .map(|c| (c.start_ms, c.end_ms, c.speaker.as_deref(), c.text.as_str()))
        .collect()
}

#[test]
fn utf8_srt_loses_its_markup_and_labels_and_skips_an_empty_cue() {
    let subs = read_fixture("plain-utf8.srt");
    assert_eq!((subs.format, subs.encoding), (Format::Srt, "UTF-8"));
    assert_eq!(
        cues(&subs),
        [
            (1000, 3500, None, "The lighthouse was dark that night."),
            (4000, 6250, Some("JOHN"), "Did you see it?"),
            (6500, 9000, Some("MARY"), "I saw it. So did I."),
            (12000, 14000, None, "Tom & Jerry, together again."),
        ]
    );
    assert_eq!(subs.skipped_empty, 1);
    let lines: Vec<usize> = subs.cues.iter().map(|c| c.line).collect();
    assert_eq!(lines, [2, 6, 10, 19]);
    assert!(subs.warnings.is_empty(), "{:?}", subs.warnings);
}

#[test]
fn cues_out_of_order_are_sorted_and_overlaps_kept_with_warnings() {
    let subs = read_fixture("shuffled-utf8-bom.srt");
    assert_eq!(subs.encoding, "UTF-8");
    assert_eq!(
        cues(&subs),
        [
            (1000, 5500, None, "First in time, running over."),
            (5000, 7000, None, "Second in time."),
            (9000, 10000, None, "Third."),
        ]
    );
    assert_eq!(subs.cues[0].line, 6);
    assert_eq!(subs.warnings.len(), 2, "{:?}", subs.warnings);
    assert!(
        subs.warnings[0].contains("out of order"),
        "{:?}",
        subs.warnings
    );
    assert!(
        subs.warnings[1].contains("1 cue(s) run into the next one (the first at line 6)"),
        "{:?}",
        subs.warnings
    );
}

#[test]
fn utf16_with_a_bom_either_way() {
    for (name, encoding) in [
        ("utf16le-bom.srt", "UTF-16LE"),
        ("utf16be-bom.srt", "UTF-16BE"),
    ] {
        let subs = read_fixture(name);
        assert_eq!(subs.encoding, encoding, "{name}");
        assert_eq!(
            cues(&subs),
            [
                (1000, 2000, None, "Ça va ? Größe, ½ € — ok."),
                (2500, 4000, None, "Ελληνικά and 日本語."),
            ],
            "{name}"
        );
    }
}

#[test]
fn cp1252_with_crlf_is_recognised() {
    let subs = read_fixture("cp1252-crlf.srt");
    assert_eq!(subs.encoding, "windows-1252");
    assert_eq!(
        cues(&subs),
        [
            (500, 2000, None, "We met at the café."),
            (2500, 5000, None, "“Don’t be naïve,” she said."),
            (5500, 7000, None, "Crème brûlée — façade — señor."),
        ]
    );
    assert!(subs.warnings.is_empty(), "{:?}", subs.warnings);
}

#[test]
fn chinese_in_gb2312_and_big5_is_recognised() {
    let subs = read_fixture("gb2312.srt");
    assert_eq!(subs.encoding, "GBK");
    assert_eq!(
        cues(&subs),
        [
            (1000, 3000, None, "今天天气很好，我们去公园散步吧。"),
            (3500, 6000, None, "李明：我们先去吃饭，然后再去看电影。"),
            (6500, 9000, None, "这个城市的夜晚非常安静，街上没有什么人。"),
            (9500, 12000, None, "他说明天早上八点在火车站等我们。"),
        ]
    );
    let subs = read_fixture("big5.srt");
    assert_eq!(subs.encoding, "Big5");
    assert_eq!(subs.cues.len(), 3);
    assert_eq!(
        subs.cues[1].text,
        "這個城市的夜晚非常安靜，街上沒有什麼人。"
    );
}

#[test]
fn a_file_without_indices_or_blank_lines() {
    let subs = read_fixture("no-indices.srt");
    assert_eq!(
        cues(&subs),
        [
            (1000, 2000, None, "No number above me."),
            (2500, 4000, None, "Nor above me."),
            (4500, 6000, None, "And no blank line before me."),
        ]
    );
}

#[test]
fn ass_override_tags_go_and_the_name_field_speaks() {
    let subs = read_fixture("styled.ass");
    assert_eq!(subs.format, Format::Ass);
    assert_eq!(
        cues(&subs),
        [
            (1000, 3500, Some("Keeper"), "The light is out."),
            (4000, 6000, None, "Line one, line two."),
            (6500, 8250, Some("Sailor"), "Wait, wait !"),
            (9000, 10000, Some("KEEPER"), "Go."),
        ]
    );
    // The drawing ({\p1} ... {\p0}) says nothing.
    assert_eq!(subs.skipped_empty, 1);
    let lines: Vec<usize> = subs.cues.iter().map(|c| c.line).collect();
    assert_eq!(lines, [12, 14, 15, 17]);
}

#[test]
fn webvtt_voices_become_speakers_and_styling_goes() {
    let subs = read_fixture("voices.vtt");
    assert_eq!(subs.format, Format::Vtt);
    assert_eq!(
        cues(&subs),
        [
            (1000, 3000, Some("Anna"), "Hello, sailor."),
            (3500, 5000, Some("Old Ben"), "Who goes there?"),
            (5500, 7000, None, "Only the wind."),
        ]
    );
    assert!(subs.warnings.is_empty(), "{:?}", subs.warnings);
}

#[test]
fn an_empty_file_has_nothing_to_speak() {
    for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\r\n  \n"] {
        let err = parse(bytes).unwrap_err();
        assert!(
            matches!(err, SubtitleError::NothingToSpeak { .. }),
            "{err:?}"
        );
        let line = err.to_string();
        assert!(line.starts_with("nothing to speak"), "{line}");
        assert_eq!(line.lines().count(), 1);
    }
    let err = parse(b"1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "nothing to speak: all 1 cues are empty once styling and speaker labels are removed"
    );
}

#[test]
fn a_file_where_no_cue_parses_names_the_first_line_that_is_not_one() {
    let err = parse(b"\n\nHello there\n00:00:01 -> 00:00:02\n").unwrap_err();
    assert_eq!(
        err,
        SubtitleError::NoCue {
            line: 3,
            excerpt: "Hello there".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "no cue parses: line 3 is not a cue: \"Hello there\"; give an SRT, WebVTT or ASS file with timed cues"
    );
    // A timing line that does not parse is the line named.
    let err = parse(b"1\n00:00:01,000 --> soon\nHi\n").unwrap_err();
    assert!(
        matches!(err, SubtitleError::NoCue { line: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn a_fifo_a_device_and_a_huge_file_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("subs.srt");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let err = read(&fifo).unwrap_err().to_string();
    assert!(err.contains("not a regular file (a FIFO)"), "{err}");
    let err = read(Path::new("/dev/zero")).unwrap_err().to_string();
    assert!(
        err.contains("not a regular file (a character device)"),
        "{err}"
    );
    let huge = dir.path().join("huge.srt");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(klang::subtitles::MAX_BYTES + 1).unwrap();
    let err = read(&huge).unwrap_err().to_string();
    assert!(err.contains("larger than 16 MiB"), "{err}");
}

#[test]
fn cue_is_what_the_dub_reads() {
    let subs = parse(b"00:00:01,000 --> 00:00:02,000\nBOB: Hi.\n").unwrap();
    assert_eq!(
        subs.cues,
        [Cue {
            number: 1,
            start_ms: 1000,
            end_ms: 2000,
            text: "Hi.".into(),
            speaker: Some("BOB".into()),
            line: 1
        }]
    );
}
