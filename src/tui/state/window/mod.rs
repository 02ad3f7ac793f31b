//! The table's model for a history of any size: the rows around the cursor
//! (the visible page plus a page of margin each side), the number of rows
//! in the view and the totals per state. Everything else stays in SQLite:
//! each change of filter, sort or position becomes a [`WindowRequest`] that
//! a worker answers off the UI task ([`worker`]); a newer request cancels
//! the older one. The selection follows its task, not its row number, so
//! rows arriving above it do not move it.
//!
//! A new filter's first page comes before its count: until the count
//! arrives (a [`CountAnswer`], counted on a thread of its own and dropped
//! when the filter changed meanwhile) the window knows only that at least
//! the rows it loaded match, and says so ([`TaskWindow::is_exact`]).

mod memory;
mod protocol;
pub mod task_list;

pub use memory::answer_from_list;
pub use protocol::{CountAnswer, Delivery, WindowAnswer, WindowRequest};

use crate::store::{LocalState, SortOrder, TaskRecord, Totals, ViewQuery};
use crate::tui::state::window::task_list::TaskList;
use std::collections::HashMap;

/// Rows shown at once when the table has not said (a 50-line terminal).
const DEFAULT_PAGE: usize = 48;
/// Records the engine reported that are kept beyond the window (tasks of
/// this session, running tasks); finished ones beyond this are dropped.
const KEEP_TOUCHED: usize = 256;

#[derive(Debug)]
pub struct TaskWindow {
    query: ViewQuery,
    generation: u64,
    total: usize,
    totals: Totals,
    start: usize,
    rows: Vec<TaskRecord>,
    cursor: usize,
    selected_id: Option<i64>,
    page: usize,
    /// A request should go out.
    want: bool,
    /// The generation of the request out now, if any.
    in_flight: Option<u64>,
    /// The store changed after the request out now was sent.
    stale: bool,
    /// The first answer arrived.
    loaded: bool,
    /// `total` is the view's count (else a lower bound).
    exact: bool,
    /// The last count of the current filter, and whether it was taken
    /// after the store last changed.
    count: Option<usize>,
    count_fresh: bool,
    /// Requests of this generation and later see the store as it is.
    fresh_from: u64,
    /// An answer for the current filter arrived.
    filter_answered: bool,
    /// A row asked for beyond the rows known to match (G before the
    /// count), and the request that carries it.
    seek: Option<usize>,
    seek_generation: Option<u64>,
    /// Records the engine reported, by id: the detail pane reads them even
    /// while their rows are scrolled away.
    touched: HashMap<i64, TaskRecord>,
    /// The whole history in memory instead of a store (tests, benchmarks):
    /// requests are then answered here, at once.
    local: Option<TaskList>,
}

impl Default for TaskWindow {
    fn default() -> Self {
        TaskWindow::new(Totals::default())
    }
}

impl TaskWindow {
    /// An empty window that asks for its first rows. `totals` (cheap to
    /// read) let the status bar show the counts before the rows arrive.
    pub fn new(totals: Totals) -> TaskWindow {
        TaskWindow {
            query: ViewQuery::default(),
            generation: 0,
            total: totals.tasks() as usize,
            totals,
            start: 0,
            rows: Vec::new(),
            cursor: 0,
            selected_id: None,
            page: DEFAULT_PAGE,
            want: true,
            in_flight: None,
            stale: false,
            loaded: false,
            exact: true,
            count: None,
            count_fresh: false,
            fresh_from: 0,
            filter_answered: true,
            seek: None,
            seek_generation: None,
            touched: HashMap::new(),
            local: None,
        }
    }

    /// A window over a history held in memory, answered at once.
    pub fn in_memory(records: Vec<TaskRecord>) -> TaskWindow {
        let mut window = TaskWindow::new(Totals::of(&records));
        window.local = Some(TaskList::new(records));
        window.settle_locally();
        window
    }

    pub fn is_in_memory(&self) -> bool {
        self.local.is_some()
    }

    /// Answers every request from the history in memory; true if anything
    /// changed. Does nothing for a window over a store.
    pub fn settle_locally(&mut self) -> bool {
        let mut changed = false;
        while self.local.is_some() {
            let Some(request) = self.take_request() else {
                break;
            };
            if let Some(list) = &mut self.local {
                let answer = answer_from_list(list, &request);
                changed |= self.apply(answer);
            }
        }
        changed
    }

    /// The loaded rows in view order, or the whole history oldest first
    /// when it is held in memory.
    pub fn all(&self) -> &[TaskRecord] {
        match &self.local {
            Some(list) => list.all(),
            None => &self.rows,
        }
    }

    /// The next request for the worker, if one is needed.
    pub fn take_request(&mut self) -> Option<WindowRequest> {
        if !self.want {
            return None;
        }
        self.want = false;
        self.stale = false;
        self.generation += 1;
        self.in_flight = Some(self.generation);
        // Every request carries a seek until an answer to one arrives.
        if self.seek.is_some() {
            self.seek_generation = Some(self.generation);
        }
        Some(WindowRequest {
            generation: self.generation,
            query: self.query.clone(),
            // A jump goes to its row, not to the selected task.
            keep: self.selected_id.filter(|_| self.seek.is_none()),
            cursor: self.seek.unwrap_or(self.cursor),
            len: self.page * 3,
            total_hint: self.count.filter(|_| self.count_fresh),
            follow: self.filter_answered,
        })
    }

    /// Takes an answer; false when it was for an older request.
    pub fn apply(&mut self, answer: WindowAnswer) -> bool {
        if Some(answer.generation) != self.in_flight {
            return false;
        }
        self.in_flight = None;
        self.loaded = true;
        self.filter_answered = true;
        if answer.exact {
            self.total = answer.total;
            self.exact = true;
            self.count = Some(answer.total);
            self.count_fresh = answer.generation >= self.fresh_from;
        } else {
            // A count taken before the store changed is still the best
            // figure until the new one arrives.
            self.total = self.count.map_or(answer.total, |n| n.max(answer.total));
            self.exact = self.count.is_some();
        }
        self.totals = answer.totals;
        self.start = answer.start;
        self.rows = answer.rows;
        let seeking = self.seek_generation == Some(answer.generation);
        if seeking {
            self.seek = None;
            self.seek_generation = None;
        }
        // The selection may have moved while the request was out: follow
        // it when its row came back, else take the worker's cursor (and
        // always after a jump to a row not loaded before).
        match self.selected_id.and_then(|id| self.row_of(id)) {
            Some(row) if !seeking => self.cursor = row,
            _ => {
                self.cursor = answer.cursor.min(self.total.saturating_sub(1));
                self.selected_id = self.row(self.cursor).map(|r| r.id);
            }
        }
        for r in &self.rows {
            if let Some(t) = self.touched.get_mut(&r.id) {
                *t = r.clone();
            }
        }
        if self.stale {
            self.want = true;
        }
        true
    }

    /// Takes the count of a filter; false when the filter changed since
    /// (that count is dropped) or nothing the table shows changed.
    pub fn apply_count(&mut self, answer: CountAnswer) -> bool {
        if answer.filter != self.query.filter {
            return false;
        }
        // Counts come in the order they were asked for: the last one is
        // fresh when its request saw the store as it is.
        self.count = Some(answer.total);
        self.count_fresh = answer.generation >= self.fresh_from;
        if self.exact && self.total == answer.total {
            return false;
        }
        self.exact = true;
        self.total = answer.total;
        if self.total > 0 && self.cursor >= self.total {
            self.select_row(self.total - 1);
        }
        true
    }

    /// Whether [`TaskWindow::len`] is the view's count; false while a new
    /// filter is counted (at least that many rows match).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// A failed query: ask again at the next change rather than spin.
    pub fn failed(&mut self, generation: u64) {
        if self.in_flight == Some(generation) {
            self.in_flight = None;
        }
    }

    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// A task changed (here or in another process): its row is updated in
    /// place at once, and the window asks the store again for positions and
    /// totals.
    pub fn upsert(&mut self, record: TaskRecord) -> bool {
        let known = self.get(record.id).is_some();
        if let Some(list) = &mut self.local {
            list.upsert(record.clone());
        }
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == record.id) {
            *row = record.clone();
        }
        self.touched.insert(record.id, record);
        if self.touched.len() > KEEP_TOUCHED {
            let in_window: Vec<i64> = self.rows.iter().map(|r| r.id).collect();
            let selected = self.selected_id;
            self.touched.retain(|id, r| {
                !r.state.is_final() || Some(*id) == selected || in_window.contains(id)
            });
        }
        self.changed();
        !known
    }

    /// The store changed in a way the window cannot see (a write by another
    /// process): ask again.
    pub fn changed(&mut self) {
        self.count_fresh = false;
        self.fresh_from = self.generation + 1;
        if self.in_flight.is_some() {
            self.stale = true;
        } else {
            self.want = true;
        }
    }

    /// A record the window holds (in the rows, or reported by the engine).
    pub fn get(&self, id: i64) -> Option<&TaskRecord> {
        self.rows
            .iter()
            .find(|r| r.id == id)
            .or_else(|| self.touched.get(&id))
    }

    /// Rows in the current view.
    pub fn len(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Every task in the store.
    pub fn total(&self) -> usize {
        self.totals.tasks() as usize
    }

    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    pub fn count(&self, state: LocalState) -> usize {
        self.totals.count(state) as usize
    }

    /// The record at `row` of the view, if it is loaded.
    pub fn row(&self, row: usize) -> Option<&TaskRecord> {
        row.checked_sub(self.start).and_then(|i| self.rows.get(i))
    }

    /// Where task `id` is in the view, if its row is loaded.
    pub fn row_of(&self, id: i64) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| r.id == id)
            .map(|i| self.start + i)
    }

    pub fn sort(&self) -> SortOrder {
        self.query.sort
    }

    pub fn set_sort(&mut self, sort: SortOrder) {
        if self.query.sort != sort {
            self.query.sort = sort;
            // The selected task keeps the cursor if it is in the view.
            self.cursor = 0;
            self.want = true;
        }
    }

    pub fn filter(&self) -> &str {
        &self.query.filter
    }

    pub fn set_filter(&mut self, filter: &str) {
        if self.query.filter != filter {
            self.query.filter = filter.to_string();
            self.cursor = 0;
            self.want = true;
            self.count = None;
            self.count_fresh = false;
            self.fresh_from = self.generation + 1;
            self.filter_answered = false;
            self.seek = None;
        }
    }

    /// Rows the table shows at once; the window holds three times that.
    pub fn set_page(&mut self, rows: usize) {
        let rows = rows.max(1);
        if rows > self.page {
            self.want = true;
        }
        self.page = rows;
    }

    pub fn page(&self) -> usize {
        self.page
    }

    /// The cursor's position in the view.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn selected_id(&self) -> Option<i64> {
        self.selected_id
    }

    pub fn selected(&self) -> Option<&TaskRecord> {
        self.row(self.cursor)
            .filter(|r| Some(r.id) == self.selected_id)
            .or_else(|| self.selected_id.and_then(|id| self.get(id)))
    }

    /// Puts the cursor on `row` (clamped to the view); fetches the rows
    /// around it if they are not loaded with a page of margin.
    pub fn select_row(&mut self, row: usize) {
        if self.total == 0 {
            return;
        }
        if row >= self.total && !self.exact {
            // Past the rows known to match: the worker finds where the
            // view ends (G before the count arrived).
            self.seek = Some(row);
            self.want = true;
        }
        self.cursor = row.min(self.total - 1);
        self.selected_id = self.row(self.cursor).map(|r| r.id);
        let from = self.cursor.saturating_sub(self.page);
        let to = (self.cursor + self.page).min(self.total - 1);
        let loaded = self.row(from).is_some() && self.row(to).is_some();
        if !loaded {
            self.want = true;
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        self.select_row(self.cursor.saturating_add_signed(delta));
    }

    /// Selects task `id`, wherever it is in the view.
    pub fn select_id(&mut self, id: i64) {
        self.selected_id = Some(id);
        match self.row_of(id) {
            Some(row) => self.cursor = row,
            None => self.want = true,
        }
    }
}
