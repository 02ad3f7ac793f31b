//! The windowed view against a real store of 10,000 tasks.

use super::window_count as counter;
use super::window_worker::{self as worker, CountCache, Delivery, WindowWorker};
use crate::api::{CreateRequest, SoundEffectsParams};
use crate::store::{LocalState, SortOrder, TaskRecord, ViewQuery};
use crate::store::{Store, ViewReader};
use crate::tui::state::window::*;
use std::time::Duration;

const TASKS: i64 = 10_000;

fn sfx(prompt: &str, seconds: i64) -> CreateRequest {
    CreateRequest::SoundEffects(SoundEffectsParams {
        prompt: prompt.into(),
        duration: format!("{seconds}.0"),
        callback_url: None,
    })
}

fn record(i: i64) -> TaskRecord {
    let state = match i % 10 {
        0 => LocalState::Failed,
        1 => LocalState::Pending,
        2 => LocalState::SubmitFailed,
        _ => LocalState::Completed,
    };
    let word = ["thunder", "rain", "wind", "glass"][(i % 4) as usize];
    let summary = format!("{word} number {i}");
    let params = sfx(&summary, 1 + i % 20);
    TaskRecord {
        id: i,
        task_id: Some(format!("clwin{i:08}")),
        state,
        submitted_at: i,
        create_time: Some(i),
        cost_usd: [0.0295, 0.0027, 0.0006][(i % 3) as usize],
        updated_at: i,
        ..TaskRecord::new(params)
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    reader: ViewReader,
    cache: CountCache,
    window: TaskWindow,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tasks.db")).unwrap();
        let records: Vec<_> = (1..=TASKS).map(record).collect();
        store.insert_many(&records).unwrap();
        let reader = store.reader().unwrap();
        let window = TaskWindow::new(store.totals().unwrap());
        let mut f = Fixture {
            _dir: dir,
            store,
            reader,
            cache: CountCache::default(),
            window,
        };
        f.settle();
        f
    }

    /// Answers every request the window makes, as the worker would, and
    /// counts what the first page left uncounted, as the counter would.
    fn settle(&mut self) {
        while let Some(request) = self.window.take_request() {
            let answer = worker::answer(&self.reader, &request, &mut self.cache).unwrap();
            let exact = answer.exact;
            assert!(self.window.apply(answer));
            if !exact {
                let mut cache = CountCache::default();
                let total = counter::count(&self.reader, &request.query, &mut cache).unwrap();
                self.window.apply_count(CountAnswer {
                    generation: request.generation,
                    filter: request.query.filter.clone(),
                    total,
                });
            }
        }
        assert!(self.window.is_exact(), "settled with a count");
    }

    fn query(&self) -> ViewQuery {
        ViewQuery::new(self.window.filter(), self.window.sort())
    }

    fn expect_row(&self, row: usize) -> i64 {
        self.store.view_rows(&self.query(), row as u64, 1).unwrap()[0].id
    }

    fn shown(&self, row: usize) -> i64 {
        self.window.row(row).map(|r| r.id).unwrap_or(-1)
    }
}

#[test]
fn every_sort_order_from_top_to_bottom_and_back() {
    let mut f = Fixture::new();
    assert_eq!(f.window.len(), TASKS as usize);
    assert_eq!(f.window.total(), TASKS as usize);
    for sort in SortOrder::ALL {
        f.window.set_sort(sort);
        f.settle();
        // The selection follows its task through the re-sort.
        let cursor = f.window.cursor();
        assert_eq!(f.shown(cursor), f.expect_row(cursor), "{sort:?}");
        f.window.select_row(0);
        f.settle();
        for row in [0, 1, 47] {
            assert_eq!(f.shown(row), f.expect_row(row), "{sort:?} row {row}");
        }
        assert_eq!(f.window.cursor(), 0, "{sort:?}");
        // PgDn a hundred times: the window follows the cursor.
        for _ in 0..100 {
            f.window.move_by(f.window.page() as isize);
            f.settle();
        }
        let row = f.window.cursor();
        assert_eq!(row, 4800, "{sort:?}");
        assert_eq!(
            f.window.selected().unwrap().id,
            f.expect_row(row),
            "{sort:?}"
        );
        for r in [row - 48, row + 48] {
            assert!(f.window.row(r).is_some(), "{sort:?}: a page of margin");
        }
        // G then g.
        f.window.select_row(usize::MAX);
        f.settle();
        let last = TASKS as usize - 1;
        assert_eq!(f.window.cursor(), last);
        assert_eq!(f.shown(last), f.expect_row(last), "{sort:?} last row");
        f.window.select_row(0);
        f.settle();
        assert_eq!(f.shown(0), f.expect_row(0), "{sort:?} first row");
    }
}

#[test]
fn filters_are_answered_by_the_store() {
    let mut f = Fixture::new();
    for (filter, count) in [
        ("thunder", 2500),
        ("number 12", 111),
        ("sfx", 10_000),
        ("pend", 1000),
    ] {
        f.window.set_filter(filter);
        f.settle();
        assert_eq!(f.window.len(), count, "{filter}");
        assert_eq!(
            f.window.total(),
            TASKS as usize,
            "{filter}: totals stay whole"
        );
        let cursor = f.window.cursor();
        assert_eq!(f.shown(cursor), f.expect_row(cursor), "{filter}");
        f.window.select_row(0);
        f.settle();
        assert_eq!(f.shown(0), f.expect_row(0), "{filter}");
    }
    f.window.set_filter("nothing like this");
    f.settle();
    assert!(f.window.is_empty());
    assert!(f.window.row(0).is_none() && f.window.selected().is_none());
    f.window.set_filter("");
    f.settle();
    assert_eq!(f.window.len(), TASKS as usize);
}

#[test]
fn a_task_changing_state_while_scrolled_away() {
    let mut f = Fixture::new();
    f.window.set_sort(SortOrder::State);
    f.settle();
    f.window.select_row(7000);
    f.settle();
    let selected = f.window.selected_id().unwrap();
    // The newest task (far from the window) fails: the State sort puts it
    // above the selected row, the counts change, the selection stays.
    let lost_before = f.window.count(LocalState::Lost);
    let changed = f.store.mark_lost(TASKS, "gone").unwrap();
    f.window.upsert(changed);
    f.settle();
    assert_eq!(f.window.selected_id(), Some(selected));
    let pos = f
        .store
        .view_position_of(selected, &f.query())
        .unwrap()
        .unwrap();
    assert_eq!(f.window.cursor(), pos as usize);
    assert_eq!(f.shown(pos as usize), selected);
    assert_eq!(f.window.count(LocalState::Lost), lost_before + 1);
    // Its row is right when scrolled back to it.
    let at = f
        .store
        .view_position_of(TASKS, &f.query())
        .unwrap()
        .unwrap();
    f.window.select_row(at as usize);
    f.settle();
    assert_eq!(f.window.row(at as usize).unwrap().state, LocalState::Lost);
}

#[test]
fn rows_inserted_above_by_another_process_leave_the_selection_on_its_task() {
    let mut f = Fixture::new();
    f.window.select_row(10);
    f.settle();
    let selected = f.window.selected_id().unwrap();
    let other = Store::open(f.store.path()).unwrap();
    let mut ids = vec![];
    for i in 0..3 {
        let id = other
            .insert_intent(&sfx(&format!("other {i}"), 3), false)
            .unwrap();
        ids.push(id);
    }
    // The engine's store watch reports each new row.
    for id in &ids {
        assert!(f.window.upsert(other.get(*id).unwrap()), "new");
    }
    f.settle();
    assert_eq!(f.window.selected_id(), Some(selected));
    assert_eq!(f.window.cursor(), 13);
    assert_eq!(f.shown(0), *ids.last().unwrap());
    assert_eq!(f.window.len(), TASKS as usize + 3);
    assert_eq!(f.window.count(LocalState::Submitting), 3);
    // A write the window was not told about shows at the next refresh.
    other.mark_submitted(ids[0], "clother").unwrap();
    f.window.changed();
    f.settle();
    assert_eq!(f.window.count(LocalState::Submitting), 2);
    assert_eq!(f.window.cursor(), 13);
}

#[test]
fn an_answer_to_an_older_request_is_dropped() {
    let mut f = Fixture::new();
    f.window.set_filter("thu");
    let old = f.window.take_request().unwrap();
    f.window.set_filter("thunder number 9");
    let new = f.window.take_request().unwrap();
    let stale = worker::answer(&f.reader, &old, &mut f.cache).unwrap();
    assert!(!f.window.apply(stale));
    let fresh = worker::answer(&f.reader, &new, &mut f.cache).unwrap();
    assert!(f.window.apply(fresh));
    // 277 rows: more than a window, so the count follows the rows.
    assert!(!f.window.is_exact());
    let total = counter::count(&f.reader, &new.query, &mut CountCache::default()).unwrap();
    assert!(f.window.apply_count(CountAnswer {
        generation: new.generation,
        filter: new.query.filter.clone(),
        total,
    }));
    assert_eq!(
        f.window.len(),
        f.store.view_count(&f.query()).unwrap() as usize
    );
    // A change while a request is out asks again after its answer.
    f.window.move_by(1);
    f.window.changed();
    f.settle();
    assert!(f.window.take_request().is_none(), "settled");
}

fn spawn_worker(store: &Store, tx: std::sync::mpsc::Sender<Delivery>) -> WindowWorker {
    WindowWorker::spawn(store.reader().unwrap(), store.reader().unwrap(), move |d| {
        let _ = tx.send(d);
    })
    .unwrap()
}

fn next(rx: &std::sync::mpsc::Receiver<Delivery>) -> Delivery {
    rx.recv_timeout(Duration::from_secs(20)).expect("an answer")
}

#[test]
fn a_broad_filter_shows_its_first_page_then_its_count() {
    let f = Fixture::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = spawn_worker(&f.store, tx);
    let mut window = TaskWindow::new(f.store.totals().unwrap());
    // Every row says "number".
    window.set_filter("number");
    worker.request(window.take_request().unwrap());
    let Delivery::Rows(rows) = next(&rx) else {
        panic!("the rows come first");
    };
    assert!(!rows.exact, "no count yet");
    assert!(window.apply(rows));
    assert!(!window.is_exact());
    assert_eq!(window.len(), window.page() * 3, "at least the rows loaded");
    assert_eq!(window.row(0).unwrap().id, TASKS, "newest first");
    let Delivery::Count(count) = next(&rx) else {
        panic!("then the count");
    };
    assert!(window.apply_count(count));
    assert!(window.is_exact());
    assert_eq!(window.len(), TASKS as usize);
    assert_eq!(window.row(0).unwrap().id, TASKS, "the rows stay");
    // A filter matching few rows is counted by its first page.
    window.set_filter("number 12");
    worker.request(window.take_request().unwrap());
    let Delivery::Rows(rows) = next(&rx) else {
        panic!("rows");
    };
    assert!(rows.exact, "fewer rows than a window: that is the count");
    window.apply(rows);
    assert_eq!(window.len(), 111);
}

#[test]
fn a_count_of_a_filter_typed_over_is_dropped() {
    let mut f = Fixture::new();
    f.window.set_filter("number");
    let old = f.window.take_request().unwrap();
    let first = worker::answer(&f.reader, &old, &mut f.cache).unwrap();
    assert!(!first.exact);
    assert!(f.window.apply(first));
    let total = counter::count(&f.reader, &old.query, &mut CountCache::default()).unwrap();
    assert_eq!(total, TASKS as usize);
    // The next keystroke comes before the count of "number" does.
    f.window.set_filter("number 9");
    let stale = CountAnswer {
        generation: old.generation,
        filter: old.query.filter.clone(),
        total,
    };
    assert!(!f.window.apply_count(stale), "dropped");
    f.settle();
    let want = f.store.view_count(&f.query()).unwrap() as usize;
    assert_eq!(want, 1111);
    assert_eq!(f.window.len(), want, "the count is right in the end");
}

#[test]
fn typing_fast_ends_with_the_last_filters_rows_and_count() {
    let f = Fixture::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = spawn_worker(&f.store, tx);
    let mut window = TaskWindow::new(f.store.totals().unwrap());
    for filter in ["n", "nu", "num", "numb", "number", "number 1"] {
        window.set_filter(filter);
        worker.request(window.take_request().unwrap());
    }
    let want = f
        .store
        .view_count(&ViewQuery::new("number 1", SortOrder::Newest))
        .unwrap() as usize;
    while !(window.is_exact() && window.row(0).is_some()) {
        match next(&rx) {
            Delivery::Rows(rows) => {
                window.apply(rows);
            }
            Delivery::Count(count) => {
                let current = count.filter == "number 1";
                assert_eq!(window.apply_count(count), current, "only the last counts");
            }
            Delivery::Failed { error, .. } => panic!("{error}"),
        }
    }
    assert_eq!(window.len(), want);
    assert!(window.row(0).unwrap().summary.contains("number 1"));
}

#[test]
fn the_worker_thread_answers_the_newest_request() {
    let f = Fixture::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = spawn_worker(&f.store, tx);
    let mut window = TaskWindow::default();
    for filter in ["t", "th", "thu", "thun", "thund"] {
        window.set_filter(filter);
        worker.request(window.take_request().unwrap());
    }
    // Earlier requests may be answered, interrupted or skipped; the last
    // one is always answered.
    while !window.is_exact() || window.row(0).is_none() {
        match rx.recv_timeout(Duration::from_secs(20)).expect("an answer") {
            Delivery::Rows(rows) => {
                window.apply(rows);
            }
            Delivery::Count(count) => {
                window.apply_count(count);
            }
            Delivery::Failed { error, .. } => panic!("{error}"),
        }
    }
    assert_eq!(window.len(), 2500);
    assert!(window.row(0).unwrap().summary.starts_with("thunder"));
}

#[test]
fn jumping_to_the_end_before_the_count_arrives() {
    let mut f = Fixture::new();
    f.window.set_filter("number");
    let first = f.window.take_request().unwrap();
    let answer = worker::answer(&f.reader, &first, &mut f.cache).unwrap();
    assert!(f.window.apply(answer));
    assert!(!f.window.is_exact());
    // G: past the rows known to match, so the worker finds the end.
    f.window.select_row(usize::MAX);
    let jump = f.window.take_request().unwrap();
    let answer = worker::answer(&f.reader, &jump, &mut f.cache).unwrap();
    assert!(answer.exact, "counted to find the end");
    assert!(f.window.apply(answer));
    let last = TASKS as usize - 1;
    assert_eq!(f.window.cursor(), last);
    assert_eq!(f.window.selected().unwrap().id, 1, "the oldest row");
    assert_eq!(f.window.len(), TASKS as usize);
}
