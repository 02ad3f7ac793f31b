//! Reading a batch file: JSON Lines or CSV, one create request per line or
//! row, with the API's field names. Every line is checked before anything
//! is sent; a file with any bad line is refused whole.

use super::read::{Utf8Lines, csv_rows, jsonl_rows};
use crate::api::{
    CreateRequest, Model, SoundEffectsParams, TtsParams, VideoToAudioParams, normalize_duration,
};
use serde_json::{Map, Value};
use std::io::BufRead;

/// The fields a line may carry; anything else is a typo and refused.
pub const FIELDS: [&str; 12] = [
    "model",
    "prompt",
    "duration",
    "text",
    "voice_id",
    "voice_language",
    "voice_speed",
    "video_url",
    "video_id",
    "sound_effect_prompt",
    "bgm_prompt",
    "asmr_mode",
];

/// A field that is klang's, not the API's: a clip on disk klang serves
/// (`--video-file`), its path relative to the batch file's directory.
pub const VIDEO_FILE: &str = "video_file";

/// Whether a line may carry `name` at all.
pub(super) fn known(name: &str) -> bool {
    FIELDS.contains(&name) || name == VIDEO_FILE
}

pub(super) fn field_list() -> String {
    format!("{}, {VIDEO_FILE}", FIELDS.join(", "))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    /// `.csv` is CSV; `.jsonl`, `.ndjson` and `.json` are JSON Lines.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// One valid line: where it is in the file and what it asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// 1-based line number in the file (for CSV, the row's first line).
    pub number: u64,
    pub request: CreateRequest,
    /// `video_file` as the line gives it (the request has no video then).
    pub video_file: Option<std::path::PathBuf>,
}

/// What is wrong with one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub number: u64,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.number, self.field, self.message)
    }
}

pub(super) fn error(number: u64, field: &str, message: impl Into<String>) -> LineError {
    LineError {
        number,
        field: field.to_string(),
        message: message.into(),
    }
}

/// Every line of `text`, or every bad one (see [`parse_reader`]).
pub fn parse(text: &str, format: Format) -> Result<Vec<Line>, Vec<LineError>> {
    parse_reader(text.as_bytes(), format)
}

/// Every line read from `reader`, a line at a time, or every bad one.
/// Blank lines (and, in JSON Lines, lines starting with `#`) are skipped
/// but keep their numbers. Bytes that are not UTF-8 name their line and
/// byte offset. More than [`super::MAX_LINES`] lines stop the reading.
pub fn parse_reader(reader: impl BufRead, format: Format) -> Result<Vec<Line>, Vec<LineError>> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut rows = 0usize;
    let mut take = |row: Row| {
        rows += 1;
        if rows > super::MAX_LINES {
            return false;
        }
        match row.and_then(|(number, fields)| to_request(number, &fields)) {
            Ok(line) => lines.push(line),
            Err(e) => errors.push(e),
        }
        true
    };
    let mut source = Utf8Lines::new(reader);
    let read_error = match format {
        Format::Jsonl => jsonl_rows(&mut source, &mut take),
        Format::Csv => csv_rows(&mut source, &mut take),
    };
    if rows > super::MAX_LINES {
        return Err(vec![error(
            0,
            "file",
            format!("has more than {} lines; split it", super::MAX_LINES),
        )]);
    }
    errors.extend(read_error);
    if lines.is_empty() && errors.is_empty() {
        errors.push(error(0, "file", "has no lines to submit"));
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

pub(super) type Row = Result<(u64, Map<String, Value>), LineError>;

/// The fields each model takes.
fn fields_of(model: Model) -> &'static [&'static str] {
    match model {
        Model::SoundEffects => &["model", "prompt", "duration"],
        Model::VideoToAudio => &[
            "model",
            "video_url",
            "video_id",
            "sound_effect_prompt",
            "bgm_prompt",
            "asmr_mode",
            VIDEO_FILE,
        ],
        Model::Tts => &["model", "text", "voice_id", "voice_language", "voice_speed"],
    }
}

/// A text field: a JSON string (or, from CSV, any cell).
fn text(n: u64, map: &Map<String, Value>, field: &str) -> Result<Option<String>, LineError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(error(n, field, "must be a string")),
    }
}

fn required(n: u64, map: &Map<String, Value>, field: &str) -> Result<String, LineError> {
    text(n, map, field)?.ok_or_else(|| error(n, field, "is required"))
}

/// A number given as a JSON number or a string ("5", "5.0").
fn number_text(n: u64, map: &Map<String, Value>, field: &str) -> Result<Option<String>, LineError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(x)) => Ok(Some(x.to_string())),
        Some(_) => Err(error(n, field, "must be a number or a string")),
    }
}

fn flag(n: u64, map: &Map<String, Value>, field: &str) -> Result<Option<bool>, LineError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            _ => Err(error(n, field, format!("must be true or false, got {s:?}"))),
        },
        Some(_) => Err(error(n, field, "must be true or false")),
    }
}

fn to_request(n: u64, map: &Map<String, Value>) -> Result<Line, LineError> {
    if let Some(unknown) = map.keys().find(|k| !known(k)) {
        return Err(error(
            n,
            unknown,
            format!("is not a field; use {}", field_list()),
        ));
    }
    let model_name = required(n, map, "model")?;
    let model = Model::parse(&model_name).ok_or_else(|| {
        error(
            n,
            "model",
            format!("must be sfx, v2a, tts or a full model name, got {model_name:?}"),
        )
    })?;
    if let Some(stray) = map.keys().find(|k| !fields_of(model).contains(&k.as_str())) {
        return Err(error(
            n,
            stray,
            format!(
                "is not a field of {}; it takes {}",
                model.api_name(),
                fields_of(model).join(", ")
            ),
        ));
    }
    let video_file = text(n, map, VIDEO_FILE)?;
    if video_file.is_some() && (map.contains_key("video_url") || map.contains_key("video_id")) {
        return Err(error(
            n,
            VIDEO_FILE,
            "give exactly one of video_id, video_url or video_file",
        ));
    }
    let mut request = match model {
        Model::SoundEffects => {
            let duration = number_text(n, map, "duration")?.unwrap_or_else(|| "5.0".into());
            let duration =
                normalize_duration(&duration).map_err(|e| error(n, e.field, e.message))?;
            CreateRequest::SoundEffects(SoundEffectsParams {
                prompt: required(n, map, "prompt")?,
                duration,
                callback_url: None,
            })
        }
        Model::VideoToAudio => CreateRequest::VideoToAudio(VideoToAudioParams {
            video_id: text(n, map, "video_id")?,
            video_url: match &video_file {
                // Its URL is known once the receiver runs: one of the same
                // shape until then, so the rest of the line is checked.
                Some(_) => Some(crate::api::LOCAL_CLIP_PLACEHOLDER_URL.into()),
                None => text(n, map, "video_url")?,
            },
            sound_effect_prompt: text(n, map, "sound_effect_prompt")?,
            bgm_prompt: text(n, map, "bgm_prompt")?,
            asmr_mode: flag(n, map, "asmr_mode")?,
            callback_url: None,
        }),
        Model::Tts => {
            let voice_speed = match number_text(n, map, "voice_speed")? {
                None => None,
                Some(s) => Some(s.parse::<f64>().map_err(|_| {
                    error(n, "voice_speed", format!("must be a number, got {s:?}"))
                })?),
            };
            CreateRequest::Tts(TtsParams {
                text: required(n, map, "text")?,
                voice_id: required(n, map, "voice_id")?,
                voice_language: required(n, map, "voice_language")?,
                voice_speed,
                callback_url: None,
            })
        }
    };
    request
        .validate()
        .map_err(|e| error(n, e.field, e.message))?;
    if let (Some(_), CreateRequest::VideoToAudio(p)) = (&video_file, &mut request) {
        p.video_url = None;
    }
    Ok(Line {
        number: n,
        request,
        video_file: video_file.map(std::path::PathBuf::from),
    })
}
