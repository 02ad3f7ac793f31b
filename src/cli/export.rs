//! `klang export`: the task history as CSV (with a header; prompts with
//! commas, quotes and newlines quoted by the csv crate) or JSON Lines, one
//! row per task, oldest first, streamed from the store.

use super::args::{ExportArgs, ExportFormat};
use super::{Context, Failure, exit};
use crate::api::Model;
use crate::store::{ExportError, HistoryFilter, LocalState, TaskRecord};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// One exported task. Flat, so CSV and JSON Lines carry the same columns.
/// Audio figures measured from the file (loudness, peak, ...) belong here
/// once the store keeps them: add their columns after `audio_seconds`.
#[derive(Serialize)]
struct Row {
    id: i64,
    task_id: Option<String>,
    model: &'static str,
    state: LocalState,
    /// Local time, RFC 3339 with offset.
    submitted_at: String,
    create_time: Option<String>,
    complete_time: Option<String>,
    generation_seconds: Option<f64>,
    cost_usd: f64,
    prompt: Option<String>,
    duration: Option<String>,
    text: Option<String>,
    voice_id: Option<String>,
    voice_language: Option<String>,
    voice_speed: Option<String>,
    video_url: Option<String>,
    video_id: Option<String>,
    sound_effect_prompt: Option<String>,
    bgm_prompt: Option<String>,
    asmr_mode: Option<String>,
    /// Space-separated in CSV; an array in JSON Lines.
    result_urls: String,
    local_path: Option<String>,
    /// What the server said, else what was asked for (completed tasks).
    audio_seconds: Option<f64>,
    fail_msg: Option<String>,
    last_error: Option<String>,
    group_id: Option<String>,
    starred: bool,
    batch_line: Option<i64>,
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .unwrap_or_default()
}

fn row(r: &TaskRecord) -> Row {
    let fields = r.params.fields();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    Row {
        id: r.id,
        task_id: r.task_id.clone(),
        model: r.model.api_name(),
        state: r.state,
        submitted_at: time(r.submitted_at),
        create_time: r.create_time.map(time),
        complete_time: r.complete_time.map(time),
        generation_seconds: r.generation_ms().map(|ms| ms as f64 / 1000.0),
        cost_usd: r.cost_usd,
        prompt: field("prompt"),
        duration: field("duration"),
        text: field("text"),
        voice_id: field("voice_id"),
        voice_language: field("voice_language"),
        voice_speed: field("voice_speed"),
        video_url: field("video_url"),
        video_id: field("video_id"),
        sound_effect_prompt: field("sound_effect_prompt"),
        bgm_prompt: field("bgm_prompt"),
        asmr_mode: field("asmr_mode"),
        result_urls: r.result_urls.join(" "),
        local_path: r.local_path.clone(),
        audio_seconds: r.audio_seconds(),
        fail_msg: r.fail_msg.clone(),
        last_error: r.last_error.clone(),
        group_id: r.group_id.clone(),
        starred: r.starred,
        batch_line: r.batch_line,
    }
}

/// `--since`, `--state`, `--model` as a store filter (shared with `stats`).
pub(super) fn filter(
    since: Option<&str>,
    state: Option<&str>,
    model: Option<&str>,
) -> Result<HistoryFilter, Failure> {
    let since_ms = since.map(parse_date).transpose()?;
    let state = state
        .map(|s| {
            LocalState::parse(s).ok_or_else(|| {
                let all: Vec<&str> = LocalState::ALL.iter().map(|s| s.as_str()).collect();
                Failure::usage(format!("--state {s:?} is not one of {}", all.join(", ")))
            })
        })
        .transpose()?;
    let model = model
        .map(|m| {
            Model::parse(m).ok_or_else(|| {
                Failure::usage(format!(
                    "--model {m:?} is not sfx, v2a, tts or a full model name"
                ))
            })
        })
        .transpose()?;
    Ok(HistoryFilter {
        since_ms,
        state,
        model,
    })
}

/// A local calendar date, as the ms epoch of its first instant.
pub(super) fn parse_date(text: &str) -> Result<i64, Failure> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(crate::budget::local_midnight_ms)
        .map_err(|_| Failure::usage(format!("--since {text:?} is not a date like 2026-11-01")))
}

pub fn run(ctx: Context, args: ExportArgs) -> Result<i32, Failure> {
    let filter = filter(
        args.since.as_deref(),
        args.state.as_deref(),
        args.model.as_deref(),
    )?;
    let mut encoding = Encoding {
        format: args.format,
        keep_formulas: args.keep_formulas,
        terminal: false,
    };
    match &args.out {
        Some(path) => export_to_file(&ctx, &filter, encoding, path),
        None => {
            let stdout = std::io::stdout();
            encoding.terminal = stdout.is_terminal();
            let mut out = std::io::BufWriter::new(stdout.lock());
            match write_all(&ctx, &filter, encoding, &mut out) {
                Ok(_) => Ok(exit::OK),
                // The reader went away (`klang export ... | head`): fine.
                Err(ExportError::Write(e)) if e.contains("Broken pipe") => Ok(exit::OK),
                Err(e) => Err(failure(e)),
            }
        }
    }
}

/// How rows become text.
#[derive(Clone, Copy)]
struct Encoding {
    format: ExportFormat,
    /// `--keep-formulas`: CSV cells starting with `=`, `+`, `-`, `@`, tab
    /// or CR stay as they are instead of getting a leading `'`.
    keep_formulas: bool,
    /// Stdout is a terminal: CSV cells are shown terminal-safe (control
    /// characters as visible pictures). To a file or pipe they stay exact.
    terminal: bool,
}

/// Written to a random temporary name beside the target (exclusive
/// create, see [`crate::atomic_file`]) and renamed over it: a half-written
/// export never passes for a whole one, and a symlink at `path` is
/// replaced, never written through.
fn export_to_file(
    ctx: &Context,
    filter: &HistoryFilter,
    encoding: Encoding,
    path: &Path,
) -> Result<i32, Failure> {
    let cannot_write = |e: &dyn std::fmt::Display| Failure {
        code: exit::USAGE,
        message: format!("cannot write {}: {e}", path.display()),
    };
    // Dropped (so removed) on any error below.
    let part = crate::atomic_file::temp_in(crate::atomic_file::parent_dir(path), "export")
        .map_err(|e| cannot_write(&e))?;
    let mut out = std::io::BufWriter::new(part);
    let count = write_all(ctx, filter, encoding, &mut out).map_err(failure)?;
    let part = out.into_inner().map_err(|e| cannot_write(e.error()))?;
    crate::atomic_file::persist_replacing(part, path).map_err(|e| cannot_write(&e))?;
    eprintln!(
        "klang: exported {count} task{} to {}",
        if count == 1 { "" } else { "s" },
        crate::sanitize::terminal_safe(&path.display().to_string())
    );
    Ok(exit::OK)
}

fn failure(e: ExportError) -> Failure {
    match e {
        ExportError::Store(e) => Failure::from(e),
        ExportError::Write(e) => Failure {
            code: exit::USAGE,
            message: format!("cannot write the export: {e}"),
        },
    }
}

fn write_all(
    ctx: &Context,
    filter: &HistoryFilter,
    encoding: Encoding,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    match encoding.format {
        ExportFormat::Csv => {
            let mut csv = csv::WriterBuilder::new().from_writer(out);
            write_header_only(&mut csv)?;
            let columns = columns();
            let count = ctx.store.for_each_task(filter, |r| {
                let value = serde_json::to_value(row(&r)).map_err(|e| e.to_string())?;
                let cells = columns.iter().map(|c| csv_cell(&value[*c], encoding));
                csv.write_record(cells).map_err(|e| e.to_string())
            })?;
            csv.flush().map_err(|e| ExportError::Write(e.to_string()))?;
            Ok(count)
        }
        ExportFormat::Jsonl => {
            let count = ctx.store.for_each_task(filter, |r| {
                let mut value = serde_json::to_value(row(&r)).map_err(|e| e.to_string())?;
                value["result_urls"] = serde_json::json!(r.result_urls);
                let line = serde_json::to_string(&value).map_err(|e| e.to_string())?;
                let line = crate::sanitize::json_escaped(&line);
                out.write_all(line.as_bytes())
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(|e| e.to_string())
            })?;
            out.flush().map_err(|e| ExportError::Write(e.to_string()))?;
            Ok(count)
        }
    }
}

/// One CSV cell from a row's JSON value. Text that a spreadsheet would run
/// as a formula (a leading `=`, `+`, `-`, `@`, tab or CR) gets a leading
/// `'`, as OWASP advises for CSV injection, unless `--keep-formulas`.
fn csv_cell(value: &serde_json::Value, encoding: Encoding) -> String {
    let text = match value {
        serde_json::Value::Null => return String::new(),
        serde_json::Value::String(s) => s,
        other => return other.to_string(),
    };
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if formula && !encoding.keep_formulas {
        format!("'{text}")
    } else {
        text.clone()
    };
    if encoding.terminal {
        crate::sanitize::terminal_safe(&text).into_owned()
    } else {
        text
    }
}

/// The header line: the column names.
fn write_header_only<W: Write>(csv: &mut csv::Writer<W>) -> Result<(), ExportError> {
    csv.write_record(columns())
        .map_err(|e| ExportError::Write(e.to_string()))
}

/// [`Row`]'s columns, in its order: the task, the request's parameters (the
/// fields a batch line takes, `model` having its own column), then what
/// came of it. A test holds this to what serializing a row writes.
fn columns() -> Vec<&'static str> {
    const TASK: [&str; 9] = [
        "id",
        "task_id",
        "model",
        "state",
        "submitted_at",
        "create_time",
        "complete_time",
        "generation_seconds",
        "cost_usd",
    ];
    const OUTCOME: [&str; 8] = [
        "result_urls",
        "local_path",
        "audio_seconds",
        "fail_msg",
        "last_error",
        "group_id",
        "starred",
        "batch_line",
    ];
    let params = crate::batch::FIELDS.iter().filter(|f| **f != "model");
    TASK.iter().chain(params).chain(&OUTCOME).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CreateRequest, SoundEffectsParams};

    #[test]
    fn the_header_only_export_has_the_columns_of_a_row() {
        let record = TaskRecord::new(CreateRequest::SoundEffects(SoundEffectsParams {
            prompt: "rain".into(),
            duration: "5.0".into(),
            callback_url: None,
        }));
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.serialize(row(&record)).unwrap();
        let written = String::from_utf8(csv.into_inner().unwrap()).unwrap();
        let header = written.lines().next().unwrap();
        assert_eq!(header, columns().join(","));
    }
}
