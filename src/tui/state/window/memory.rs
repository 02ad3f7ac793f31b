//! Answering the window from a history held in memory (a dashboard without
//! a store: tests and the draw benchmark), exactly as the worker answers
//! from SQLite.

use super::{WindowAnswer, WindowRequest};
use crate::store::Totals;
use crate::tui::state::window::task_list::TaskList;

/// Answers a request from records held in memory (a dashboard without a
/// store: tests and the draw benchmark) exactly as the worker answers it
/// from SQLite.
pub fn answer_from_list(list: &mut TaskList, request: &WindowRequest) -> WindowAnswer {
    list.set_sort(request.query.sort);
    list.set_filter(&request.query.filter);
    list.refresh_view();
    let total = list.len();
    let cursor = request
        .keep
        .and_then(|id| list.row_of(id))
        .unwrap_or(request.cursor)
        .min(total.saturating_sub(1));
    let len = request.len.max(1);
    let start = cursor
        .saturating_sub(len / 2)
        .min(total.saturating_sub(len));
    let rows = (start..(start + len).min(total))
        .filter_map(|i| list.row(i).cloned())
        .collect();
    WindowAnswer {
        generation: request.generation,
        total,
        totals: Totals::of(list.all()),
        start,
        rows,
        cursor,
        exact: true,
    }
}
