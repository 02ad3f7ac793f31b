//! How the CLI prints tasks: a table for people, JSON for scripts. Text from
//! the server or the user passes through `terminal_safe` before it reaches a
//! terminal.

use crate::sanitize::terminal_safe;
use crate::store::TaskRecord;
use serde::Serialize;

/// A task as `--json` prints it: the stored record plus derived figures.
#[derive(Serialize)]
pub struct TaskView<'a> {
    #[serde(flatten)]
    pub record: &'a TaskRecord,
    /// completeTime - createTime, in seconds.
    pub generation_seconds: Option<f64>,
    pub audio_seconds: Option<f64>,
    /// Why the command failed after the task was created (`--json` prints
    /// the task even then, so a script learns what it paid for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the file on disk measured (`klang show`), once it is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<crate::audio::AudioStats>,
    /// Why the file on disk could not be decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_error: Option<String>,
}

impl TaskView<'_> {
    pub fn with_error(mut self, error: &str) -> Self {
        self.error = Some(error.to_string());
        self
    }
}

pub fn task_view(record: &TaskRecord) -> TaskView<'_> {
    TaskView {
        record,
        generation_seconds: record.generation_ms().map(|ms| ms as f64 / 1000.0),
        audio_seconds: record.audio_seconds(),
        error: None,
        audio: None,
        audio_error: None,
    }
}

/// Writes one line to stdout. A reader that went away (`klang list | head`)
/// ends the command quietly and successfully, as other Unix tools do: the
/// task store already holds everything, nothing is left to say.
pub fn out(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let written = writeln!(std::io::stdout().lock(), "{line}");
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("klang: cannot write to stdout: {e}");
            std::process::exit(super::exit::TASK_FAILED)
        }
    }
}

/// `println!` through [`out`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::out(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// Pretty JSON on stdout, with C1 and bidi controls escaped as `\uXXXX`
/// (serde_json escapes only C0): exact JSON, and nothing in it a terminal
/// would act on.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => outln!("{}", crate::sanitize::json_escaped(&text)),
        Err(e) => eprintln!("klang: cannot encode JSON: {e}"),
    }
}

pub fn local_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| "-".into())
}

fn truncate(s: &str, max: usize) -> String {
    let clean = terminal_safe(s).replace('\n', " ");
    if clean.chars().count() <= max {
        clean
    } else {
        clean
            .chars()
            .take(max.saturating_sub(1))
            .collect::<String>()
            + "…"
    }
}

pub fn print_table(rows: &[TaskRecord]) {
    outln!(
        "{:>6}  {:<14}  {:<4}  {:>8}  {:<19}  {:>7}  PROMPT",
        "ID",
        "STATE",
        "MDL",
        "COST",
        "CREATED",
        "TIME"
    );
    for r in rows {
        let timing = r
            .generation_ms()
            .map(|ms| format!("{:.1}s", ms as f64 / 1000.0))
            .unwrap_or_else(|| "-".into());
        outln!(
            "{:>6}  {:<14}  {:<4}  {:>8}  {:<19}  {:>7}  {}",
            r.id,
            r.state.as_str(),
            r.model.short(),
            format!("${:.4}", r.cost_usd),
            local_time(r.create_time.unwrap_or(r.submitted_at)),
            timing,
            if r.starred {
                format!("* {}", truncate(&r.summary, 58))
            } else {
                truncate(&r.summary, 60)
            }
        );
    }
}

pub fn print_detail(r: &TaskRecord) {
    let line = |name: &str, value: &str| outln!("{name:<16} {}", terminal_safe(value));
    line("local id", &r.id.to_string());
    line("task id", r.task_id.as_deref().unwrap_or("-"));
    line("state", r.state.as_str());
    if let Some(group) = &r.group_id {
        line("group", group);
    }
    if r.starred {
        line("starred", "yes");
    }
    if r.discarded {
        line(
            "discarded",
            "yes (its file was deleted; `d` in the dashboard fetches it again)",
        );
    }
    for (name, value) in r.params.fields() {
        line(name, &value);
    }
    line("cost", &format!("${:.4}", r.cost_usd));
    line("submitted", &local_time(r.submitted_at));
    if let Some(t) = r.create_time {
        line("created", &local_time(t));
    }
    if let Some(t) = r.complete_time {
        line("completed", &local_time(t));
    }
    if let Some(ms) = r.generation_ms() {
        line("generation", &format!("{:.1} s", ms as f64 / 1000.0));
    }
    if let Some(s) = r.audio_seconds() {
        line("audio", &format!("{s:.1} s"));
    }
    for url in &r.result_urls {
        outln!("{:<16} {}", "result url", super::audio::link(url));
    }
    if let Some(m) = &r.fail_msg {
        line("failMsg", m);
    }
    if let Some(p) = &r.local_path {
        line("file", p);
    }
    if let Some(e) = &r.last_error {
        line("last error", e);
    }
    if let Some(at) = r.recovered_at {
        let when = local_time(at);
        line(
            "recovered",
            &format!("created at the provider: recovered from its callback ({when})"),
        );
    }
}
