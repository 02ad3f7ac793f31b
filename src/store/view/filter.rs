//! The table's filter as SQL: `is:starred` and `group:G` narrow the rows,
//! the other words match the full-text index, a model's or a state's name.
//! Discarded takes are hidden unless `is:discarded` asks for them alone.

use super::SortOrder;
use crate::api::Model;
use crate::store::record::LocalState;
use rusqlite::types::Value;

/// What the table shows: a filter and a sort order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ViewQuery {
    /// Matches, case-insensitively, a substring of the prompt or text or of
    /// the task id, a model's name, or a state's name; `is:starred` keeps
    /// starred tasks and `group:G` the takes of one group.
    pub filter: String,
    pub sort: SortOrder,
}

impl ViewQuery {
    pub fn new(filter: &str, sort: SortOrder) -> ViewQuery {
        ViewQuery {
            filter: filter.to_string(),
            sort,
        }
    }
}

/// A filter as SQL: a condition (empty = every row) and its arguments.
pub(super) struct Condition {
    pub(super) sql: String,
    pub(super) args: Vec<Value>,
    /// The condition is only the default "not discarded": the view's count
    /// is then the totals less the discarded rows, both read at once.
    pub(super) hides_discarded_only: bool,
}

/// What the default view leaves out.
pub(super) const NOT_DISCARDED: &str = "discarded = 0";

/// `is:starred` and `group:G` narrow the rows; the other words are the
/// text filter below.
pub(super) fn compile(filter: &str) -> Condition {
    let mut scoped = Vec::new();
    let mut scoped_args = Vec::new();
    let mut words = Vec::new();
    let mut discarded = NOT_DISCARDED;
    for word in filter.split_whitespace() {
        if word.eq_ignore_ascii_case("is:discarded") {
            discarded = "discarded = 1";
        } else if word.eq_ignore_ascii_case("is:starred") {
            scoped.push("starred = 1".to_string());
        } else if let Some(group) = word.strip_prefix("group:").filter(|g| !g.is_empty()) {
            scoped.push("group_id = ?".to_string());
            scoped_args.push(Value::Text(group.to_string()));
        } else {
            words.push(word);
        }
    }
    let text = compile_text(&words.join(" "));
    if !text.sql.is_empty() {
        scoped.push(text.sql);
        scoped_args.extend(text.args);
    }
    let hides_discarded_only = scoped.is_empty() && discarded == NOT_DISCARDED;
    scoped.push(discarded.to_string());
    Condition {
        sql: format!("({})", scoped.join(" AND ")),
        args: scoped_args,
        hides_discarded_only,
    }
}

fn compile_text(filter: &str) -> Condition {
    let needle = filter.trim().to_lowercase();
    if needle.is_empty() {
        return Condition {
            sql: String::new(),
            args: vec![],
            hides_discarded_only: false,
        };
    }
    let mut terms = Vec::new();
    let mut args = Vec::new();
    if needle.chars().count() >= 3 {
        // The trigram index answers substrings of three characters or more
        // (as a phrase: the trigrams in a row).
        terms.push("id IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?)".to_string());
        args.push(Value::Text(format!("\"{}\"", needle.replace('"', "\"\""))));
    } else {
        // Shorter ones match most rows anyway: a scan in index order finds
        // a screenful at once.
        let escaped = needle
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        terms.push("(summary LIKE ? ESCAPE '\\' OR task_id LIKE ? ESCAPE '\\')".to_string());
        let pattern = Value::Text(format!("%{escaped}%"));
        args.extend([pattern.clone(), pattern]);
    }
    let models: Vec<Value> = Model::ALL
        .into_iter()
        .filter(|m| {
            m.short() == needle
                || m.label().to_lowercase().contains(&needle)
                || m.api_name().contains(&needle)
        })
        .map(|m| Value::Text(m.api_name().into()))
        .collect();
    if !models.is_empty() {
        terms.push(format!("model IN ({})", placeholders(models.len())));
        args.extend(models);
    }
    let states: Vec<Value> = LocalState::ALL
        .into_iter()
        .filter(|s| s.as_str().contains(&needle))
        .map(|s| Value::Text(s.as_str().into()))
        .collect();
    if !states.is_empty() {
        terms.push(format!("state IN ({})", placeholders(states.len())));
        args.extend(states);
    }
    Condition {
        sql: format!("({})", terms.join(" OR ")),
        args,
        hides_discarded_only: false,
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
