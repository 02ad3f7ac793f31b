//! The table's filter as SQL: `is:starred` and `group:G` narrow the rows,
//! the other words match the full-text index, a model's or a state's name.
//! Discarded takes are hidden unless `is:discarded` asks for them alone.
//!
//! A filter is kept as its parts (the narrowing terms, and the alternatives
//! any of which lets a row in) so each query can take the shape that stops
//! early: the newest matches come from one index per alternative, each read
//! in id order only as far as a page needs (see [`Filter::ids_sql`]).

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

    /// Whether counting the view costs nothing (the totals kept by
    /// triggers answer it): no filter beyond the default view's.
    pub fn counts_at_once(&self) -> bool {
        compile(&self.filter).hides_discarded_only
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

/// One way a row passes the text filter.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Alternative {
    /// The trigram index's phrase (three characters or more).
    Text(String),
    /// A LIKE pattern: shorter needles, which trigrams cannot answer.
    Short(String),
    Model(&'static str),
    State(&'static str),
}

/// A parsed filter: rows pass every narrowing term and, when there are
/// alternatives, at least one of them.
pub(super) struct Filter {
    narrow: Vec<String>,
    narrow_args: Vec<Value>,
    pub(super) alternatives: Vec<Alternative>,
    /// Only "not discarded" narrows (the default view).
    default_scope: bool,
}

pub(super) fn parse(filter: &str) -> Filter {
    let mut narrow = Vec::new();
    let mut narrow_args = Vec::new();
    let mut words = Vec::new();
    let mut discarded = NOT_DISCARDED;
    for word in filter.split_whitespace() {
        if word.eq_ignore_ascii_case("is:discarded") {
            discarded = "discarded = 1";
        } else if word.eq_ignore_ascii_case("is:starred") {
            narrow.push("starred = 1".to_string());
        } else if word.eq_ignore_ascii_case(crate::store::IS_OVERRUN) {
            // A dub's cues that run over: the segments view's word, which
            // leaves the table as it is.
        } else if let Some(group) = word.strip_prefix("group:").filter(|g| !g.is_empty()) {
            narrow.push("group_id = ?".to_string());
            narrow_args.push(Value::Text(group.to_string()));
        } else {
            words.push(word);
        }
    }
    let default_scope = narrow.is_empty() && discarded == NOT_DISCARDED;
    narrow.push(discarded.to_string());
    Filter {
        narrow,
        narrow_args,
        alternatives: alternatives(&words.join(" ")),
        default_scope,
    }
}

fn alternatives(text: &str) -> Vec<Alternative> {
    let needle = text.trim().to_lowercase();
    if needle.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if needle.chars().count() >= 3 {
        // The trigram index answers substrings of three characters or more
        // (as a phrase: the trigrams in a row).
        out.push(Alternative::Text(format!(
            "\"{}\"",
            needle.replace('"', "\"\"")
        )));
    } else {
        // Shorter ones match most rows anyway: a scan in index order finds
        // a screenful at once.
        let escaped = needle
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        out.push(Alternative::Short(format!("%{escaped}%")));
    }
    out.extend(
        Model::ALL
            .into_iter()
            .filter(|m| {
                m.short() == needle
                    || m.label().to_lowercase().contains(&needle)
                    || m.api_name().contains(&needle)
            })
            .map(|m| Alternative::Model(m.api_name())),
    );
    out.extend(
        LocalState::ALL
            .into_iter()
            .filter(|s| s.as_str().contains(&needle))
            .map(|s| Alternative::State(s.as_str())),
    );
    out
}

const SHORT_SQL: &str = "(summary LIKE ? ESCAPE '\\' OR task_id LIKE ? ESCAPE '\\')";
const TEXT_SQL: &str = "id IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?)";

impl Filter {
    /// The narrowing terms as one condition.
    fn narrow_sql(&self) -> String {
        format!("({})", self.narrow.join(" AND "))
    }

    /// The whole filter as one condition (for the other sort orders,
    /// positions and counts).
    pub(super) fn condition(&self) -> Condition {
        let mut terms = Vec::new();
        let mut args = Vec::new();
        let mut models = Vec::new();
        let mut states = Vec::new();
        for alt in &self.alternatives {
            match alt {
                Alternative::Text(phrase) => {
                    terms.push(TEXT_SQL.to_string());
                    args.push(Value::Text(phrase.clone()));
                }
                Alternative::Short(pattern) => {
                    terms.push(SHORT_SQL.to_string());
                    args.extend([Value::Text(pattern.clone()), Value::Text(pattern.clone())]);
                }
                Alternative::Model(m) => models.push(Value::Text((*m).into())),
                Alternative::State(s) => states.push(Value::Text((*s).into())),
            }
        }
        if !models.is_empty() {
            terms.push(format!("model IN ({})", placeholders(models.len())));
            args.extend(models);
        }
        if !states.is_empty() {
            terms.push(format!("state IN ({})", placeholders(states.len())));
            args.extend(states);
        }
        let mut sql = self.narrow.clone();
        let mut all_args = self.narrow_args.clone();
        if !terms.is_empty() {
            sql.insert(0, format!("({})", terms.join(" OR ")));
            args.extend(all_args);
            all_args = args;
        }
        Condition {
            sql: format!("({})", sql.join(" AND ")),
            args: all_args,
            hides_discarded_only: self.default_scope && self.alternatives.is_empty(),
        }
    }

    /// The ids of the first `n` matching rows in id order (`descending`
    /// for the newest first), as a query that stops after them: one
    /// subquery per alternative, each read from its own index (the trigram
    /// index, the model's or the state's) or the table in id order and
    /// limited to `n`. The first `n` of their union are the first `n` of
    /// the view. None when there are no alternatives.
    pub(super) fn ids_sql(&self, descending: bool, n: u64) -> Option<(String, Vec<Value>)> {
        if self.alternatives.is_empty() {
            return None;
        }
        let dir = if descending { "DESC" } else { "ASC" };
        let narrow = self.narrow_sql();
        let mut parts = Vec::new();
        let mut args = Vec::new();
        for alt in &self.alternatives {
            let part = match alt {
                // Narrowed to a few rows (starred, a group, the discarded):
                // those rows first, each looked up in the text index;
                // otherwise the text index in id order, each match checked.
                Alternative::Text(phrase) if !self.default_scope => {
                    args.push(Value::Text(phrase.clone()));
                    format!(
                        "SELECT tasks.id AS id FROM tasks CROSS JOIN tasks_fts f \
                         WHERE f.tasks_fts MATCH ? AND f.rowid = tasks.id AND {narrow} \
                         ORDER BY tasks.id {dir} LIMIT {n}"
                    )
                }
                Alternative::Text(phrase) => {
                    args.push(Value::Text(phrase.clone()));
                    format!(
                        "SELECT f.rowid AS id FROM tasks_fts f CROSS JOIN tasks \
                         WHERE f.tasks_fts MATCH ? AND tasks.id = f.rowid AND {narrow} \
                         ORDER BY f.rowid {dir} LIMIT {n}"
                    )
                }
                Alternative::Short(pattern) => {
                    args.extend([Value::Text(pattern.clone()), Value::Text(pattern.clone())]);
                    format!(
                        "SELECT id FROM tasks WHERE {SHORT_SQL} AND {narrow} \
                         ORDER BY id {dir} LIMIT {n}"
                    )
                }
                // One value each: the index on (model) or (state) then
                // holds the rows in id order.
                Alternative::Model(m) => {
                    args.push(Value::Text((*m).into()));
                    format!(
                        "SELECT id FROM tasks WHERE model = ? AND {narrow} \
                         ORDER BY id {dir} LIMIT {n}"
                    )
                }
                Alternative::State(s) => {
                    args.push(Value::Text((*s).into()));
                    format!(
                        "SELECT id FROM tasks WHERE state = ? AND {narrow} \
                         ORDER BY id {dir} LIMIT {n}"
                    )
                }
            };
            parts.push(format!("SELECT id FROM ({part})"));
            args.extend(self.narrow_args.iter().cloned());
        }
        Some((parts.join(" UNION ALL "), args))
    }

    /// A count that reads only the text index, when the filter is one
    /// trigram phrase: (SQL, arguments) of the matches, and of the matches
    /// to subtract (the discarded ones, which the default view hides).
    pub(super) fn text_count_sql(&self) -> Option<(String, Vec<Value>)> {
        let [Alternative::Text(phrase)] = self.alternatives.as_slice() else {
            return None;
        };
        let phrase = Value::Text(phrase.clone());
        if self.default_scope {
            return Some((
                "SELECT (SELECT COUNT(*) FROM tasks_fts WHERE tasks_fts MATCH ?) - \
                 (SELECT COUNT(*) FROM tasks INDEXED BY tasks_discarded CROSS JOIN tasks_fts f \
                 WHERE tasks.discarded = 1 AND f.rowid = tasks.id AND f.tasks_fts MATCH ?)"
                    .to_string(),
                vec![phrase.clone(), phrase],
            ));
        }
        let mut args = vec![phrase];
        args.extend(self.narrow_args.iter().cloned());
        Some((
            format!(
                "SELECT COUNT(*) FROM tasks CROSS JOIN tasks_fts f \
                 WHERE f.tasks_fts MATCH ? AND f.rowid = tasks.id AND {}",
                self.narrow_sql()
            ),
            args,
        ))
    }
}

/// The filter as one condition.
pub(super) fn compile(filter: &str) -> Condition {
    parse(filter).condition()
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
