//! The end of a batch run: a row per line (text or `--json`), the summary
//! on stderr, and the exit status.

use super::{Outcome, Run};
use crate::cli::args::BatchArgs;
use crate::cli::output::print_json;
use crate::cli::{Context, Failure, exit};
use crate::sanitize::terminal_safe;
use crate::store::{LocalState, TaskRecord};
use std::collections::BTreeMap;

impl Run<'_> {
    pub(super) fn report(mut self, ctx: &Context) -> Result<i32, Failure> {
        let store = self.headless.engine.store().clone();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut rows = Vec::new();
        let mut task_failed = false;
        for (number, entry) in &self.entries {
            *counts.entry(entry.outcome.as_str()).or_default() += 1;
            let record = entry.id.and_then(|id| store.get(id).ok());
            task_failed |= record
                .as_ref()
                .is_some_and(|r| matches!(r.state, LocalState::Failed | LocalState::Lost));
            rows.push((*number, entry.outcome, record));
        }
        let count = |o: Outcome| counts.get(o.as_str()).copied().unwrap_or(0);
        let spent: f64 = rows
            .iter()
            .filter(|(_, o, _)| *o == Outcome::New)
            .filter_map(|(_, _, r)| r.as_ref().map(|r| r.cost_usd))
            .fold(0.0, |a, b| a + b);
        if self.args.json {
            print_json(&json_report(self.args, &rows, &count, spent));
        } else {
            for (number, outcome, record) in &rows {
                crate::cli::output::outln!(
                    "{}",
                    terminal_safe(&text_row(*number, *outcome, record.as_ref()))
                );
            }
        }
        let summary = format!(
            "{}: {} lines: {} new, {} skipped (created earlier), {} failed, {} not sent; this run cost ${spent:.4}",
            self.args.file.display(),
            rows.len(),
            count(Outcome::New),
            count(Outcome::Skipped),
            count(Outcome::Failed),
            count(Outcome::NotSent),
        );
        self.headless.say(summary);
        if ctx.is_sandbox() {
            self.headless.say("SANDBOX: nothing was charged");
        }
        if let Some(stop) = self.stop.take() {
            return Err(stop);
        }
        if self.interrupted {
            return Err(Failure {
                code: 130,
                message: "interrupted: run the same command again to send the rest".into(),
            });
        }
        Ok(if count(Outcome::Failed) > 0 {
            exit::NETWORK
        } else if task_failed {
            exit::TASK_FAILED
        } else {
            exit::OK
        })
    }
}

fn text_row(number: u64, outcome: Outcome, record: Option<&TaskRecord>) -> String {
    let mut out = format!("line {number}: {}", outcome.as_str());
    if let Some(r) = record {
        out.push_str(&format!(
            " #{} {} {}",
            r.id,
            r.task_id.as_deref().unwrap_or("-"),
            r.state
        ));
        if let Some(path) = &r.local_path {
            out.push_str(&format!(" {path}"));
        } else if let Some(error) = r.last_error.as_deref().filter(|_| !r.state.is_running()) {
            out.push_str(&format!(" ({})", crate::sanitize::single_line(error)));
        }
    }
    out
}

fn json_report(
    args: &BatchArgs,
    rows: &[(u64, Outcome, Option<TaskRecord>)],
    count: &dyn Fn(Outcome) -> usize,
    spent: f64,
) -> serde_json::Value {
    let lines: Vec<_> = rows
        .iter()
        .map(|(number, outcome, record)| {
            serde_json::json!({
                "line": number,
                "result": outcome.as_str(),
                "id": record.as_ref().map(|r| r.id),
                "task_id": record.as_ref().and_then(|r| r.task_id.clone()),
                "state": record.as_ref().map(|r| r.state),
                "cost_usd": record.as_ref().map(|r| r.cost_usd),
                "local_path": record.as_ref().and_then(|r| r.local_path.clone()),
                "error": record.as_ref().and_then(|r| r.last_error.clone()),
            })
        })
        .collect();
    serde_json::json!({
        "file": args.file.display().to_string(),
        "new": count(Outcome::New),
        "skipped": count(Outcome::Skipped),
        "failed": count(Outcome::Failed),
        "not_sent": count(Outcome::NotSent),
        "cost_usd": (spent * 10_000.0).round() / 10_000.0,
        "lines": lines,
    })
}
