//! What the window asks its worker and what comes back: rows around the
//! cursor (with the count, or a lower bound while the count is taken), and
//! the count on its own.

use crate::store::{TaskRecord, Totals, ViewQuery};

/// What the worker must fetch.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowRequest {
    /// Answers to older requests are dropped.
    pub generation: u64,
    pub query: ViewQuery,
    /// Put this task under the cursor if it is in the view…
    pub keep: Option<i64>,
    /// …else this position (clamped to the view).
    pub cursor: usize,
    /// Rows to fetch around the cursor.
    pub len: usize,
    /// The view's count, when the window has one taken since the store
    /// last changed: the worker need not count.
    pub total_hint: Option<usize>,
    /// Look for the kept task beyond the rows around the cursor. False
    /// right after a filter change: its first page comes first.
    pub follow: bool,
}

/// What the worker found.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowAnswer {
    pub generation: u64,
    /// Rows in the view.
    pub total: usize,
    pub totals: Totals,
    /// The view position of `rows[0]`.
    pub start: usize,
    pub rows: Vec<TaskRecord>,
    /// The cursor's position after the answer.
    pub cursor: usize,
    /// `total` is the view's count; false: at least `total` rows match
    /// (the count follows as a [`CountAnswer`]).
    pub exact: bool,
}

/// The count of a filter's rows, from the counting thread.
#[derive(Clone, Debug, PartialEq)]
pub struct CountAnswer {
    /// The request whose rows came without a count.
    pub generation: u64,
    pub filter: String,
    pub total: usize,
}

/// What comes back to the UI: rows, a count, or a one-line error for a
/// toast.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    Rows(WindowAnswer),
    Count(CountAnswer),
    Failed { generation: u64, error: String },
}
