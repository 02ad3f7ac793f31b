//! Files that carry their origin: every WAV `render` and `speak` write has
//! a BWF `bext` chunk (description, originator, reference, date) and an
//! iXML chunk before `data`; every FLAC the same as Vorbis comments. Judged
//! by ffprobe's format tags and a test-side RIFF reader (`common::riff`).

use crate::common;

use common::home::{Home, json, stderr};
use common::riff;
use klang::sandbox::{self, SANDBOX_KEY, SandboxConfig};
use serde_json::Value;
use std::path::{Path, PathBuf};

type Tags = std::collections::BTreeMap<String, String>;

fn tag<'a>(tags: &'a Tags, key: &str) -> Option<&'a str> {
    tags.get(key).map(String::as_str)
}

const PROMPT: &str = "rain on a tin roof, distant thunder & wind";

async fn rendered(home: &Home, id: &str, format: &str) -> PathBuf {
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &["render", id, "--format", format, "--json"],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    PathBuf::from(json(&out)["path"].as_str().expect("a path"))
}

/// A sound made by the sandbox and downloaded: its local id and task id.
async fn made(home: &Home, base_url: &str) -> (String, String) {
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &[
                "--base-url",
                base_url,
                "submit",
                "sfx",
                "--prompt",
                PROMPT,
                "--duration",
                "3.0",
                "--wait",
                "--download",
                "--json",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = json(&out);
    let task_id = doc["task_id"].as_str().expect("a task id").to_string();
    (doc["id"].to_string(), task_id)
}

#[tokio::test]
async fn a_rendered_wav_and_flac_say_their_prompt_and_task_id() {
    if common::ffmpeg::missing() {
        return;
    }
    let sb = common::sandbox(100, 100).await;
    let home = Home::new();
    let (id, task_id) = made(&home, &sb.base_url()).await;

    let wav = rendered(&home, &id, "wav").await;
    // ffprobe shows the bext Description as `comment`, the Originator as
    // `encoded_by`.
    let tags = riff::format_tags(&wav);
    assert_eq!(tag(&tags, "comment"), Some(PROMPT), "{tags:?}");
    assert_eq!(tag(&tags, "encoded_by"), Some("klang"));
    let reference = tags.get("originator_reference").expect("a reference");
    assert!(
        task_id.starts_with(reference.as_str()) && reference.len() == task_id.len().min(32),
        "{reference} is not {task_id}"
    );
    let bext = riff::bext(&wav);
    assert_eq!(bext.description, PROMPT);
    assert_eq!(bext.time_reference, 0);
    assert_eq!(bext.version, 2);
    assert_eq!(bext.date.len(), 10, "{bext:?}");
    // The loudness fields hold what the file measures (ffmpeg's judge).
    let judged = common::ffmpeg::judge(&wav);
    assert!(
        (f64::from(bext.loudness[0]) / 100.0 - judged.lufs).abs() <= 0.5,
        "{bext:?} vs {judged:?}"
    );
    let ids: Vec<String> = riff::chunks(&wav).into_iter().map(|(i, _)| i).collect();
    assert_eq!(
        ids,
        ["fmt ", "bext", "iXML", "data"],
        "metadata before the audio"
    );
    let ixml = String::from_utf8(riff::chunk(&wav, "iXML").unwrap()).unwrap();
    assert!(
        ixml.contains("<MODEL>kling-sound-effects</MODEL>"),
        "{ixml}"
    );
    assert!(ixml.contains("thunder &amp; wind"), "{ixml}");
    assert!(ixml.contains(&task_id), "{ixml}");
    assert!(
        ixml.contains("&quot;duration&quot;:&quot;3.0&quot;"),
        "{ixml}"
    );

    let flac = rendered(&home, &id, "flac").await;
    let tags = riff::format_tags(&flac);
    // ffprobe shows the DESCRIPTION comment as `comment`.
    assert_eq!(tag(&tags, "comment"), Some(PROMPT), "{tags:?}");
    assert_eq!(tags.get("klang_reference"), Some(&task_id), "{tags:?}");
    assert_eq!(tags.get("encoded_by").map(String::as_str), Some("klang"));
    assert_eq!(
        tags.get("klang_model").map(String::as_str),
        Some("kling-sound-effects")
    );
    assert!(
        tags.get("date").is_some_and(|d| d.starts_with("20")),
        "{tags:?}"
    );
    // Still a FLAC every decoder reads, as long as the WAV.
    let (w, f) = (common::ffmpeg::judge(&wav), common::ffmpeg::judge(&flac));
    assert_eq!(w.samples, f.samples);
}

#[tokio::test]
async fn a_spoken_piece_says_its_text_and_piece_id() {
    if common::ffmpeg::missing() {
        return;
    }
    let sb = sandbox::start(SandboxConfig {
        pending_ms: 100,
        processing_ms: 100,
        audio_format: sandbox::AudioFormat::Wav,
        ..Default::default()
    })
    .await
    .expect("sandbox starts");
    let home = Home::new();
    let file = home.dir.path().join("story.txt");
    let text = "The kettle sings. Rain taps on the window.";
    std::fs::write(&file, text).unwrap();
    let out_dir = home.dir.path().join("out");
    for format in ["wav", "flac"] {
        let url = sb.base_url();
        let out = home
            .run(
                Some(SANDBOX_KEY),
                &[
                    "--base-url",
                    url.as_str(),
                    "speak",
                    file.to_str().unwrap(),
                    "--out",
                    out_dir.to_str().unwrap(),
                    "--format",
                    format,
                    "--json",
                ],
            )
            .await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let doc = json(&out);
        let audio = Path::new(doc["path"].as_str().unwrap()).to_path_buf();
        let piece = format!("piece-{}", doc["piece"]);
        let tags = riff::format_tags(&audio);
        assert_eq!(tag(&tags, "comment"), Some(text), "{tags:?}");
        let reference = if format == "wav" {
            "originator_reference"
        } else {
            "klang_reference"
        };
        assert_eq!(tags.get(reference), Some(&piece), "{tags:?}");
        if format == "wav" {
            assert_eq!(riff::bext(&audio).description, text);
        }
        // The manifest beside it: the piece, its figures, its takes' ids.
        let manifest = PathBuf::from(doc["manifest"].as_str().unwrap());
        assert_eq!(manifest.parent(), audio.parent());
        let mut reader = csv::Reader::from_path(&manifest).expect("a manifest");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(&row[0], audio.file_name().unwrap().to_str().unwrap());
        let judged = common::ffmpeg::judge(&audio);
        assert!((row[1].parse::<f64>().unwrap() - judged.decoded_s()).abs() < 0.01);
        assert!(
            (row[2].parse::<f64>().unwrap() - judged.lufs).abs() <= 0.5,
            "{row:?}"
        );
        assert_eq!(&row[4], text);
        let store = home.store();
        let takes: Vec<String> = store
            .list(&Default::default())
            .unwrap()
            .into_iter()
            .filter_map(|r| r.task_id)
            .collect();
        let in_row: Vec<&str> = row[5].split(' ').collect();
        assert_eq!(in_row.len(), doc["segments"].as_u64().unwrap() as usize);
        assert!(
            in_row.iter().all(|t| takes.iter().any(|k| k == t)),
            "{row:?}"
        );
    }
}

#[tokio::test]
async fn a_group_renders_by_ucs_with_a_manifest_beside_it() {
    if common::ffmpeg::missing() {
        return;
    }
    let sb = common::sandbox(100, 100).await;
    let home = Home::new();
    let url = sb.base_url();
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &[
                "--base-url",
                url.as_str(),
                "submit",
                "sfx",
                "--prompt",
                PROMPT,
                "--count",
                "2",
                "--wait",
                "--download",
                "--json",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let takes = json(&out);
    let group = takes[0]["group_id"].as_str().unwrap().to_string();
    let task_ids: Vec<String> = takes
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"].as_str().unwrap().to_string())
        .collect();
    let dir = home.dir.path().join("library");
    let args = [
        "render",
        "--group",
        group.as_str(),
        "--name",
        "ucs",
        "--out",
        dir.to_str().unwrap(),
        "--json",
    ];
    let out = home.run(Some(SANDBOX_KEY), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let files: Vec<PathBuf> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|f| PathBuf::from(f["path"].as_str().unwrap()))
        .collect();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let expected: Vec<String> = task_ids
        .iter()
        .map(|t| format!("RAINMisc_Rain On A Tin Roof_klang_{t}.wav"))
        .collect();
    assert_eq!(names, expected);

    let manifest = dir.join(format!("{group}.manifest.csv"));
    let mut reader = csv::Reader::from_path(&manifest).expect("a manifest beside the files");
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "file",
            "duration_s",
            "loudness_lufs",
            "true_peak_dbtp",
            "prompt",
            "task_ids",
            "cost_usd"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    for ((row, file), task_id) in rows.iter().zip(&files).zip(&task_ids) {
        let judged = common::ffmpeg::judge(file);
        assert_eq!(&row[0], file.file_name().unwrap().to_str().unwrap());
        let number = |i: usize| row[i].parse::<f64>().unwrap();
        assert!(
            (number(1) - judged.decoded_s()).abs() < 0.01,
            "{row:?} {judged:?}"
        );
        assert!((number(2) - judged.lufs).abs() <= 0.5, "{row:?} {judged:?}");
        assert!(
            (number(3) - judged.true_peak_db).abs() <= 0.5,
            "{row:?} {judged:?}"
        );
        assert_eq!(&row[4], PROMPT);
        assert_eq!(&row[5], task_id.as_str());
        assert!(number(6) > 0.0, "{row:?}");
    }
}

#[tokio::test]
async fn catid_sets_the_category_and_is_refused_without_ucs_names() {
    let sb = common::sandbox(100, 100).await;
    let home = Home::new();
    let (id, task_id) = made(&home, &sb.base_url()).await;
    let out = home
        .run(
            Some(SANDBOX_KEY),
            &[
                "render", &id, "--name", "ucs", "--catid", "WATRDrip", "--format", "flac", "--json",
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = PathBuf::from(json(&out)["path"].as_str().unwrap());
    assert_eq!(
        path.file_name().unwrap().to_string_lossy(),
        format!("WATRDrip_Rain On A Tin Roof_klang_{task_id}.flac")
    );
    for bad in [
        vec!["render", id.as_str(), "--catid", "WATRDrip"],
        vec!["render", id.as_str(), "--name", "ucs", "--catid", "../x"],
    ] {
        let out = home.run(Some(SANDBOX_KEY), &bad).await;
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
    }
}
