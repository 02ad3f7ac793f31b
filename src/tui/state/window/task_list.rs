//! The tasks the table shows: every record, kept oldest first so that a new
//! task is a push (ids only grow), an id→position map so an engine event
//! updates its row in O(1), per-state counts kept incrementally, and the
//! current view (filter + sort) as a list of positions. With the default sort
//! and no filter the view is implicit (position = len - 1 - row), so 100,000
//! rows cost nothing until the user filters or sorts.

use crate::store::{LocalState, TaskRecord};
use std::collections::HashMap;

pub use crate::store::SortOrder;

#[derive(Debug, Default)]
pub struct TaskList {
    /// Oldest first.
    data: Vec<TaskRecord>,
    index: HashMap<i64, usize>,
    counts: HashMap<LocalState, usize>,
    sort: Option<SortOrder>,
    filter: String,
    /// Positions into `data` in display order; `None` = implicit newest first.
    view: Option<Vec<usize>>,
    /// The data or the view's inputs changed since `view` was built.
    stale: bool,
}

impl TaskList {
    /// `records` in any order (the store gives newest first).
    pub fn new(mut records: Vec<TaskRecord>) -> TaskList {
        records.sort_by_key(|r| r.id);
        let mut list = TaskList {
            data: records,
            ..TaskList::default()
        };
        list.index = list
            .data
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
        for r in &list.data {
            *list.counts.entry(r.state).or_default() += 1;
        }
        list
    }

    /// Updates the record in place, or inserts it. Returns true when it was new.
    pub fn upsert(&mut self, record: TaskRecord) -> bool {
        *self.counts.entry(record.state).or_default() += 1;
        if let Some(&pos) = self.index.get(&record.id) {
            let old = std::mem::replace(&mut self.data[pos], record);
            if let Some(n) = self.counts.get_mut(&old.state) {
                *n = n.saturating_sub(1);
            }
            self.stale = true;
            return false;
        }
        let newest = self.data.last().is_none_or(|last| last.id < record.id);
        if newest {
            self.index.insert(record.id, self.data.len());
            self.data.push(record);
        } else {
            // Another process wrote an older row we never saw: rare, so a
            // rebuild of the index is fine.
            let pos = self.data.partition_point(|r| r.id < record.id);
            self.data.insert(pos, record);
            self.index = self
                .data
                .iter()
                .enumerate()
                .map(|(i, r)| (r.id, i))
                .collect();
        }
        self.stale = true;
        true
    }

    pub fn get(&self, id: i64) -> Option<&TaskRecord> {
        self.index.get(&id).map(|&pos| &self.data[pos])
    }

    pub fn all(&self) -> &[TaskRecord] {
        &self.data
    }

    pub fn total(&self) -> usize {
        self.data.len()
    }

    pub fn count(&self, state: LocalState) -> usize {
        self.counts.get(&state).copied().unwrap_or(0)
    }

    pub fn sort(&self) -> SortOrder {
        self.sort.unwrap_or(SortOrder::Newest)
    }

    pub fn set_sort(&mut self, sort: SortOrder) {
        self.sort = Some(sort);
        self.stale = true;
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_filter(&mut self, filter: &str) {
        if self.filter != filter {
            self.filter = filter.to_string();
            self.stale = true;
        }
    }

    /// Rebuilds the view if anything changed. Call before reading rows.
    pub fn refresh_view(&mut self) {
        if !self.stale {
            return;
        }
        self.stale = false;
        let filter = self.filter.trim().to_lowercase();
        if filter.is_empty() && self.sort() == SortOrder::Newest {
            self.view = None;
            return;
        }
        let mut view: Vec<usize> = (0..self.data.len())
            .filter(|&i| filter.is_empty() || matches(&self.data[i], &filter))
            .collect();
        let data = &self.data;
        // Every order breaks ties newest first, so equal rows keep a stable,
        // familiar order.
        match self.sort() {
            SortOrder::Newest => view.reverse(),
            SortOrder::Oldest => {}
            SortOrder::State => view.sort_by(|&a, &b| {
                data[a]
                    .state
                    .attention_rank()
                    .cmp(&data[b].state.attention_rank())
                    .then(b.cmp(&a))
            }),
            SortOrder::Cost => view.sort_by(|&a, &b| {
                data[b]
                    .cost_usd
                    .total_cmp(&data[a].cost_usd)
                    .then(b.cmp(&a))
            }),
            SortOrder::Duration => view.sort_by(|&a, &b| {
                let len = |i: usize| data[i].audio_seconds().unwrap_or(-1.0);
                len(b).total_cmp(&len(a)).then(b.cmp(&a))
            }),
        }
        self.view = Some(view);
    }

    /// Rows in the current view.
    pub fn len(&self) -> usize {
        match &self.view {
            Some(v) => v.len(),
            None => self.data.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record shown at `row` of the view.
    pub fn row(&self, row: usize) -> Option<&TaskRecord> {
        let pos = match &self.view {
            Some(v) => *v.get(row)?,
            None => self.data.len().checked_sub(row + 1)?,
        };
        self.data.get(pos)
    }

    /// Where task `id` is in the view, if it passes the filter.
    pub fn row_of(&self, id: i64) -> Option<usize> {
        let pos = *self.index.get(&id)?;
        match &self.view {
            None => Some(self.data.len() - 1 - pos),
            Some(v) => v.iter().position(|&p| p == pos),
        }
    }
}

/// The filter matches text, model or state, case-insensitively;
/// `is:starred` keeps starred tasks and `group:ID` one submit's takes;
/// discarded takes show only under `is:discarded` (as in the store's view).
fn matches(r: &TaskRecord, filter: &str) -> bool {
    let mut words = Vec::new();
    let mut want_discarded = false;
    for word in filter.split_whitespace() {
        if word == "is:discarded" {
            want_discarded = true;
        } else if word == crate::store::IS_OVERRUN {
            // The segments view's word (a dub's cues that run over).
        } else if word == "is:starred" {
            if !r.starred {
                return false;
            }
        } else if let Some(group) = word.strip_prefix("group:") {
            if r.group_id.as_deref() != Some(group) {
                return false;
            }
        } else {
            words.push(word);
        }
    }
    r.discarded == want_discarded && (words.is_empty() || matches_text(r, &words.join(" ")))
}

fn matches_text(r: &TaskRecord, needle: &str) -> bool {
    contains_ci(&r.summary, needle)
        || r.model.short() == needle
        || contains_ci(r.model.label(), needle)
        || contains_ci(r.model.api_name(), needle)
        || r.state.as_str().contains(needle)
        || r.task_id.as_deref().is_some_and(|t| contains_ci(t, needle))
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if hay.is_ascii() {
        // Avoids an allocation per row for the common case.
        hay.as_bytes()
            .windows(needle_lower.len())
            .any(|w| w.eq_ignore_ascii_case(needle_lower.as_bytes()))
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}
