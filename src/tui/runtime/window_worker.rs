//! Answers the window's requests on a thread of its own, with a connection
//! of its own (the UI task never waits for SQLite). A new request interrupts
//! the query of the previous one: only the newest keystroke's answer counts.
//!
//! The rows come first: a filter whose count is not known yet is answered
//! with its first page and "at least this many", and the count is handed
//! to the counting thread ([`super::counter`]), which a newer filter stops.

use super::window_count::{CountJob, Counter};
use crate::store::{TaskRecord, ViewQuery, ViewReader, is_interrupted};
pub use crate::tui::state::window::Delivery;
use crate::tui::state::window::{WindowAnswer, WindowRequest};
use rusqlite::InterruptHandle;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// Beyond this row, without a count, reading from the top costs what
/// counting does: the worker counts first (G before the count arrived).
const FAR: usize = 20_000;

/// Computes one answer: exact when the count is known (from the window,
/// from this worker's last count, or because the view is shorter than
/// the rows asked for), else the rows and a lower bound.
pub fn answer(
    reader: &ViewReader,
    request: &WindowRequest,
    cache: &mut CountCache,
) -> crate::store::Result<WindowAnswer> {
    let version = reader.data_version()?;
    let totals = reader.totals()?;
    let known = request
        .total_hint
        .or_else(|| cache.get(&request.query, version));
    let total = match known {
        Some(n) => n,
        None if request.query.counts_at_once() || request.cursor > FAR => {
            let n = reader.count(&request.query)? as usize;
            cache.put(&request.query, version, n);
            n
        }
        None => {
            return match first_page(reader, request, totals.clone())? {
                Some(answer) => {
                    if answer.exact {
                        cache.put(&request.query, version, answer.total);
                    }
                    Ok(answer)
                }
                // Not where the rows are: counted after all.
                None => {
                    let n = reader.count(&request.query)? as usize;
                    cache.put(&request.query, version, n);
                    exact(reader, request, n, totals)
                }
            };
        }
    };
    exact(reader, request, total, totals)
}

/// The rows around the cursor without a count: exact when fewer rows
/// than asked for came back. None when the kept task or the cursor is not
/// among them and finding it needs the count.
fn first_page(
    reader: &ViewReader,
    request: &WindowRequest,
    totals: crate::store::Totals,
) -> crate::store::Result<Option<WindowAnswer>> {
    let len = request.len.max(1);
    let start = request.cursor.saturating_sub(len / 2);
    let rows = reader.rows(&request.query, start as u64, len)?;
    if rows.is_empty() && start > 0 {
        return Ok(None);
    }
    let short = rows.len() < len;
    let end = start + rows.len();
    let found = request
        .keep
        .and_then(|id| rows.iter().position(|r| r.id == id));
    let cursor = match (found, request.keep) {
        (Some(i), _) => start + i,
        // The kept task may be further down: find it with the count.
        (None, Some(_)) if request.follow && !short => return Ok(None),
        _ => request.cursor.min(end.saturating_sub(1)),
    };
    Ok(Some(WindowAnswer {
        generation: request.generation,
        total: end,
        totals,
        start,
        rows,
        cursor,
        exact: short,
    }))
}

/// The answer when the view's count is known.
fn exact(
    reader: &ViewReader,
    request: &WindowRequest,
    total: usize,
    totals: crate::store::Totals,
) -> crate::store::Result<WindowAnswer> {
    let len = request.len.max(1);
    // Most refreshes find the kept task where it was: the rows around the
    // old cursor say so without counting the rows above it.
    let near = fetch(reader, request, request.cursor, total, len)?;
    let found = request
        .keep
        .and_then(|id| near.1.iter().position(|r| r.id == id));
    let (cursor, (start, rows)) = match (request.keep, found) {
        (Some(_), Some(i)) => (near.0 + i, near),
        (Some(id), None) if request.follow => match reader.position_of(id, &request.query)? {
            Some(p) => (p as usize, fetch(reader, request, p as usize, total, len)?),
            None => (request.cursor.min(total.saturating_sub(1)), near),
        },
        _ => (request.cursor.min(total.saturating_sub(1)), near),
    };
    Ok(WindowAnswer {
        generation: request.generation,
        total,
        totals,
        start,
        rows,
        cursor,
        exact: true,
    })
}

/// The `len` rows around `cursor`: (position of the first, rows).
fn fetch(
    reader: &ViewReader,
    request: &WindowRequest,
    cursor: usize,
    total: usize,
    len: usize,
) -> crate::store::Result<(usize, Vec<TaskRecord>)> {
    let cursor = cursor.min(total.saturating_sub(1));
    let start = cursor
        .saturating_sub(len / 2)
        .min(total.saturating_sub(len));
    let take = len.min(total - start);
    // The far half of a long view is read from its end: G costs what g does.
    let rows = if start > total / 2 {
        reader.rows_from_end(&request.query, (total - start - take) as u64, take)?
    } else {
        reader.rows(&request.query, start as u64, take)?
    };
    Ok((start, rows))
}

/// The last count per query, valid while the store's data version holds.
#[derive(Debug, Default)]
pub struct CountCache {
    last: Option<(ViewQuery, i64, usize)>,
}

impl CountCache {
    pub(super) fn get(&self, query: &ViewQuery, version: i64) -> Option<usize> {
        // The sort does not change a count.
        match &self.last {
            Some((q, v, n)) if q.filter == query.filter && *v == version => Some(*n),
            _ => None,
        }
    }

    pub(super) fn put(&mut self, query: &ViewQuery, version: i64, n: usize) {
        self.last = Some((query.clone(), version, n));
    }
}

/// The handle the UI keeps; dropping it ends the threads.
pub struct WindowWorker {
    tx: mpsc::Sender<WindowRequest>,
    interrupt: InterruptHandle,
    latest: Arc<AtomicU64>,
    counter: Counter,
}

impl std::fmt::Debug for WindowWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowWorker").finish_non_exhaustive()
    }
}

impl WindowWorker {
    /// Starts the threads (rows on `reader`, counts on `counting`, two
    /// connections to the same store); `deliver` hands each answer to the
    /// UI's queue.
    pub fn spawn(
        reader: ViewReader,
        counting: ViewReader,
        deliver: impl Fn(Delivery) + Send + Sync + 'static,
    ) -> std::io::Result<WindowWorker> {
        let deliver = Arc::new(deliver);
        let counts = deliver.clone();
        let counter = Counter::spawn(counting, move |c| counts(Delivery::Count(c)))?;
        let (tx, rx) = mpsc::channel::<WindowRequest>();
        let latest = Arc::new(AtomicU64::new(0));
        let interrupt = reader.canceller();
        let newest = latest.clone();
        let jobs = counter.jobs();
        std::thread::Builder::new()
            .name("klang-window".into())
            .spawn(move || serve(reader, rx, newest, jobs, move |d| deliver(d)))?;
        Ok(WindowWorker {
            tx,
            interrupt,
            latest,
            counter,
        })
    }

    /// Sends a request and stops the query of any older one; a count of
    /// another filter stops too.
    pub fn request(&self, request: WindowRequest) {
        self.counter.filter_is(&request.query.filter);
        self.latest.store(request.generation, Ordering::SeqCst);
        if self.tx.send(request).is_ok() {
            self.interrupt.interrupt();
        }
    }
}

fn serve(
    reader: ViewReader,
    rx: mpsc::Receiver<WindowRequest>,
    latest: Arc<AtomicU64>,
    jobs: mpsc::Sender<CountJob>,
    deliver: impl Fn(Delivery),
) {
    let mut cache = CountCache::default();
    // Blocks while idle: no request, no work.
    while let Ok(mut request) = rx.recv() {
        while let Ok(newer) = rx.try_recv() {
            request = newer;
        }
        loop {
            match answer(&reader, &request, &mut cache) {
                Ok(a) => {
                    let counted = a.exact;
                    deliver(Delivery::Rows(a));
                    if !counted {
                        let _ = jobs.send(CountJob {
                            generation: request.generation,
                            query: request.query.clone(),
                        });
                    }
                }
                // Interrupted by a newer request: that one comes next. An
                // interrupt meant for an older query that hit this one
                // (the newest) is retried.
                Err(e) if is_interrupted(&e) => {
                    if latest.load(Ordering::SeqCst) == request.generation {
                        continue;
                    }
                }
                Err(e) => deliver(Delivery::Failed {
                    generation: request.generation,
                    error: e.to_string(),
                }),
            }
            break;
        }
    }
}
