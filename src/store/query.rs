//! The table's model: rows by position in a sort order and filter, answered
//! from the indexes (one per sort order) and the trigram full-text index, so
//! the cost of a screenful does not depend on the size of the history. A
//! [`ViewReader`] has its own connection (WAL lets it read while the engine
//! writes) and an interrupt handle, so a newer query can cancel an older one.

mod filter;

use super::record::{self, LocalState, TaskRecord};
use super::schema::{DURATION_KEY, STATE_RANK};
use super::{Result, Store, StoreError};
pub use filter::ViewQuery;
use filter::compile;
use rusqlite::types::Value;
use rusqlite::{Connection, InterruptHandle, OptionalExtension, params_from_iter};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The orders the table offers; every one has an index, and every one
/// breaks ties newest first so equal rows keep a stable, familiar order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SortOrder {
    #[default]
    Newest,
    Oldest,
    /// Failures first, then what runs, then the finished.
    State,
    /// Most expensive first.
    Cost,
    /// Audio length, longest first.
    Duration,
}

impl SortOrder {
    pub const ALL: [SortOrder; 5] = [
        SortOrder::Newest,
        SortOrder::Oldest,
        SortOrder::State,
        SortOrder::Cost,
        SortOrder::Duration,
    ];

    pub fn next(self) -> SortOrder {
        match self {
            SortOrder::Newest => SortOrder::Oldest,
            SortOrder::Oldest => SortOrder::State,
            SortOrder::State => SortOrder::Cost,
            SortOrder::Cost => SortOrder::Duration,
            SortOrder::Duration => SortOrder::Newest,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortOrder::Newest => "newest",
            SortOrder::Oldest => "oldest",
            SortOrder::State => "state",
            SortOrder::Cost => "cost",
            SortOrder::Duration => "duration",
        }
    }

    /// The sort key as the index spells it (None: the row id alone).
    fn key(self) -> Option<&'static str> {
        match self {
            SortOrder::Newest | SortOrder::Oldest => None,
            SortOrder::State => Some(STATE_RANK),
            SortOrder::Cost => Some("cost_usd"),
            SortOrder::Duration => Some(DURATION_KEY),
        }
    }

    /// Whether the key runs from small to large (the id always breaks ties
    /// newest first, except in Oldest).
    fn key_ascending(self) -> bool {
        matches!(self, SortOrder::State)
    }

    fn order_by(self, reversed: bool) -> String {
        let dir = |ascending: bool| if ascending != reversed { "" } else { " DESC" };
        match self.key() {
            None => format!("ORDER BY id{}", dir(self == SortOrder::Oldest)),
            Some(key) => format!(
                "ORDER BY {key}{}, id{}",
                dir(self.key_ascending()),
                dir(false)
            ),
        }
    }
}

/// Counts and spend per state, kept by triggers in the same transaction as
/// every task write: reading them costs the same for any history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    per_state: HashMap<LocalState, (u64, i64)>,
}

impl Totals {
    /// The totals of records held in memory (what the triggers would keep).
    pub fn of<'a>(records: impl IntoIterator<Item = &'a TaskRecord>) -> Totals {
        let mut per_state = HashMap::new();
        for r in records {
            let entry = per_state.entry(r.state).or_insert((0, 0));
            entry.0 += 1;
            entry.1 += (r.cost_usd * 1_000_000.0).round() as i64;
        }
        Totals { per_state }
    }

    pub fn count(&self, state: LocalState) -> u64 {
        self.per_state.get(&state).map_or(0, |(n, _)| *n)
    }

    pub fn tasks(&self) -> u64 {
        self.per_state.values().map(|(n, _)| n).sum()
    }

    /// The price of every call that reached (or may have reached) the server.
    pub fn spent_usd(&self) -> f64 {
        let micros: i64 = self
            .per_state
            .iter()
            .filter(|(s, _)| !matches!(s, LocalState::SubmitFailed | LocalState::Submitting))
            .map(|(_, (_, c))| c)
            .sum();
        micros as f64 / 1_000_000.0
    }
}

pub(super) fn totals(conn: &Connection) -> rusqlite::Result<Totals> {
    let mut stmt = conn.prepare_cached("SELECT state, tasks, cost_micros FROM task_totals")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut per_state = HashMap::new();
    for row in rows {
        let (state, n, micros) = row?;
        if let Some(state) = LocalState::parse(&state)
            && n > 0
        {
            let entry = per_state.entry(state).or_insert((0, 0));
            entry.0 += n as u64;
            entry.1 += micros;
        }
    }
    Ok(Totals { per_state })
}

pub(super) fn count(conn: &Connection, query: &ViewQuery) -> rusqlite::Result<u64> {
    let parsed = filter::parse(&query.filter);
    let cond = parsed.condition();
    if cond.hides_discarded_only {
        let discarded: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM tasks INDEXED BY tasks_discarded WHERE discarded = 1",
            )?
            .query_row([], |r| r.get(0))?;
        return totals(conn).map(|t| t.tasks().saturating_sub(discarded.max(0) as u64));
    }
    // One trigram phrase: its matches counted in the text index alone
    // (a tenth of the time of checking each row).
    let (sql, args) = match parsed.text_count_sql() {
        Some(counted) => counted,
        None => (
            format!("SELECT COUNT(*) FROM tasks WHERE {}", cond.sql),
            cond.args,
        ),
    };
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Rows `offset..offset + limit` of the view; `from_end` counts the offset
/// from the last row instead (rows still come in view order), so the end of
/// a long view costs what its start does.
pub(super) fn rows(
    conn: &Connection,
    query: &ViewQuery,
    offset: u64,
    limit: usize,
    from_end: bool,
) -> rusqlite::Result<Vec<TaskRecord>> {
    let parsed = filter::parse(&query.filter);
    let by_id = query.sort.key().is_none();
    // In id order each alternative of the filter is read from its own
    // index only as far as the page: the first page of a filter that
    // matches most of ten million rows costs what one matching few does.
    let ids = by_id
        .then(|| {
            let descending = (query.sort == SortOrder::Newest) != from_end;
            parsed.ids_sql(descending, offset + limit as u64)
        })
        .flatten();
    let (sql, args) = match ids {
        Some((ids, args)) => (
            format!(
                "SELECT {} FROM tasks WHERE id IN ({ids}) {} LIMIT {limit} OFFSET {offset}",
                record::COLUMNS,
                query.sort.order_by(from_end),
            ),
            args,
        ),
        None => {
            let cond = parsed.condition();
            let where_sql = if cond.sql.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", cond.sql)
            };
            (
                format!(
                    "SELECT {} FROM tasks {where_sql} {} LIMIT {limit} OFFSET {offset}",
                    record::COLUMNS,
                    query.sort.order_by(from_end),
                ),
                cond.args,
            )
        }
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out = stmt
        .query_map(params_from_iter(args), record::from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if from_end {
        out.reverse();
    }
    Ok(out)
}

/// Where task `id` is in the view (rows before it), if it passes the filter.
pub(super) fn position_of(
    conn: &Connection,
    id: i64,
    query: &ViewQuery,
) -> rusqlite::Result<Option<u64>> {
    let cond = compile(&query.filter);
    let and_filter = if cond.sql.is_empty() {
        String::new()
    } else {
        format!("AND {}", cond.sql)
    };
    let key_sql = query.sort.key().unwrap_or("NULL");
    let key: Option<Value> = conn
        .prepare_cached(&format!(
            "SELECT {key_sql} FROM tasks WHERE id = ? {and_filter}"
        ))?
        .query_row(
            params_from_iter(std::iter::once(Value::Integer(id)).chain(cond.args.clone())),
            |r| r.get(0),
        )
        .optional()?;
    let Some(key) = key else {
        return Ok(None);
    };
    // Only plain `?` placeholders: the position's arguments come first.
    let (before, mut args) = match query.sort.key() {
        None if query.sort == SortOrder::Oldest => ("id < ?".to_string(), vec![Value::Integer(id)]),
        None => ("id > ?".to_string(), vec![Value::Integer(id)]),
        Some(k) => {
            let cmp = if query.sort.key_ascending() { "<" } else { ">" };
            (
                format!("({k} {cmp} ? OR ({k} = ? AND id > ?))"),
                vec![key.clone(), key, Value::Integer(id)],
            )
        }
    };
    args.extend(cond.args);
    let sql = format!("SELECT COUNT(*) FROM tasks WHERE {before} {and_filter}");
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| r.get(0))?;
    Ok(Some(n.max(0) as u64))
}

/// How often (in virtual machine steps, well under a millisecond) a
/// reader's stop condition is asked.
const PROGRESS_STEPS: i32 = 10_000;

/// A connection of its own for the table's queries: they never wait for the
/// engine's writes (WAL), and [`ViewReader::canceller`] stops a query that a
/// newer keystroke made useless.
pub struct ViewReader {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for ViewReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewReader")
            .field("path", &self.path)
            .finish()
    }
}

impl ViewReader {
    /// Opens a reader on a store that [`Store::open`] already migrated.
    pub fn open(path: &Path) -> Result<ViewReader> {
        let wrap = |source| StoreError::sqlite(path, source);
        let mut conn = Connection::open(path).map_err(wrap)?;
        super::busy::install(&mut conn, path).map_err(wrap)?;
        Ok(ViewReader {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, source)
    }

    /// Stops the query running on this reader (from another thread); the
    /// query returns an "interrupted" error, which [`is_interrupted`] tells.
    pub fn canceller(&self) -> InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    /// Stops any query on this reader as soon as `stop` says so (asked
    /// every few thousand steps of SQLite's machine): unlike an interrupt,
    /// a stop decided before the query starts still stops it.
    pub fn stop_when(&mut self, stop: impl FnMut() -> bool + Send + 'static) -> Result<()> {
        let path = self.path.clone();
        self.conn
            .progress_handler(PROGRESS_STEPS, Some(stop))
            .map_err(|e| StoreError::sqlite(&path, e))
    }

    pub fn totals(&self) -> Result<Totals> {
        totals(&self.conn).map_err(|e| self.err(e))
    }

    pub fn count(&self, query: &ViewQuery) -> Result<u64> {
        count(&self.conn, query).map_err(|e| self.err(e))
    }

    pub fn rows(&self, query: &ViewQuery, offset: u64, limit: usize) -> Result<Vec<TaskRecord>> {
        rows(&self.conn, query, offset, limit, false).map_err(|e| self.err(e))
    }

    /// The last rows of the view: `offset_from_end` rows are left after them.
    pub fn rows_from_end(
        &self,
        query: &ViewQuery,
        offset_from_end: u64,
        limit: usize,
    ) -> Result<Vec<TaskRecord>> {
        rows(&self.conn, query, offset_from_end, limit, true).map_err(|e| self.err(e))
    }

    pub fn position_of(&self, id: i64, query: &ViewQuery) -> Result<Option<u64>> {
        position_of(&self.conn, id, query).map_err(|e| self.err(e))
    }

    /// Changes when another connection commits: the cue to ask again.
    pub fn data_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

/// Whether a store error is a query stopped by its canceller.
pub fn is_interrupted(e: &StoreError) -> bool {
    matches!(e, StoreError::Sqlite { source, .. }
        if source.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted))
}

impl Store {
    /// A reader for the table's queries, on its own connection.
    pub fn reader(&self) -> Result<ViewReader> {
        ViewReader::open(self.path())
    }

    pub fn totals(&self) -> Result<Totals> {
        totals(&self.conn()).map_err(|e| self.err(e))
    }

    pub fn view_count(&self, query: &ViewQuery) -> Result<u64> {
        count(&self.conn(), query).map_err(|e| self.err(e))
    }

    pub fn view_rows(
        &self,
        query: &ViewQuery,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<TaskRecord>> {
        rows(&self.conn(), query, offset, limit, false).map_err(|e| self.err(e))
    }

    pub fn view_position_of(&self, id: i64, query: &ViewQuery) -> Result<Option<u64>> {
        position_of(&self.conn(), id, query).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests;
