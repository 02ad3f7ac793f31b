//! Answers the window's requests on a thread of its own, with a connection
//! of its own (the UI task never waits for SQLite). A new request interrupts
//! the query of the previous one: only the newest keystroke's answer counts.

use super::{WindowAnswer, WindowRequest};
use crate::store::{ViewQuery, ViewReader, is_interrupted};
use rusqlite::InterruptHandle;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// Computes one answer. The count of a filtered view is the costly part, so
/// it is reused while neither the query nor the store changed.
pub fn answer(
    reader: &ViewReader,
    request: &WindowRequest,
    cache: &mut CountCache,
) -> crate::store::Result<WindowAnswer> {
    let version = reader.data_version()?;
    let total = match cache.get(&request.query, version) {
        Some(n) => n,
        None => {
            let n = reader.count(&request.query)? as usize;
            cache.put(&request.query, version, n);
            n
        }
    };
    let totals = reader.totals()?;
    let len = request.len.max(1);
    // Most refreshes find the kept task where it was: the rows around the
    // old cursor say so without counting the rows above it.
    let near = fetch(reader, request, request.cursor, total, len)?;
    let found = request
        .keep
        .and_then(|id| near.1.iter().position(|r| r.id == id));
    let (cursor, (start, rows)) = match (request.keep, found) {
        (None, _) => (request.cursor.min(total.saturating_sub(1)), near),
        (Some(_), Some(i)) => (near.0 + i, near),
        (Some(id), None) => match reader.position_of(id, &request.query)? {
            Some(p) => (p as usize, fetch(reader, request, p as usize, total, len)?),
            None => (request.cursor.min(total.saturating_sub(1)), near),
        },
    };
    Ok(WindowAnswer {
        generation: request.generation,
        total,
        totals,
        start,
        rows,
        cursor,
    })
}

/// The `len` rows around `cursor`: (position of the first, rows).
fn fetch(
    reader: &ViewReader,
    request: &WindowRequest,
    cursor: usize,
    total: usize,
    len: usize,
) -> crate::store::Result<(usize, Vec<crate::store::TaskRecord>)> {
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
    fn get(&self, query: &ViewQuery, version: i64) -> Option<usize> {
        // The sort does not change a count.
        match &self.last {
            Some((q, v, n)) if q.filter == query.filter && *v == version => Some(*n),
            _ => None,
        }
    }

    fn put(&mut self, query: &ViewQuery, version: i64, n: usize) {
        self.last = Some((query.clone(), version, n));
    }
}

/// What comes back to the UI: an answer, or a one-line error for a toast.
pub type Delivery = Result<WindowAnswer, (u64, String)>;

/// The handle the UI keeps; dropping it ends the thread.
pub struct WindowWorker {
    tx: mpsc::Sender<WindowRequest>,
    interrupt: InterruptHandle,
    latest: Arc<AtomicU64>,
}

impl std::fmt::Debug for WindowWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowWorker").finish_non_exhaustive()
    }
}

impl WindowWorker {
    /// Starts the thread; `deliver` hands each answer to the UI's queue.
    pub fn spawn(
        reader: ViewReader,
        deliver: impl Fn(Delivery) + Send + 'static,
    ) -> std::io::Result<WindowWorker> {
        let (tx, rx) = mpsc::channel::<WindowRequest>();
        let latest = Arc::new(AtomicU64::new(0));
        let interrupt = reader.canceller();
        let newest = latest.clone();
        std::thread::Builder::new()
            .name("klang-window".into())
            .spawn(move || serve(reader, rx, newest, deliver))?;
        Ok(WindowWorker {
            tx,
            interrupt,
            latest,
        })
    }

    /// Sends a request and stops the query of any older one.
    pub fn request(&self, request: WindowRequest) {
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
                Ok(a) => deliver(Ok(a)),
                // Interrupted by a newer request: that one comes next. An
                // interrupt meant for an older query that hit this one
                // (the newest) is retried.
                Err(e) if is_interrupted(&e) => {
                    if latest.load(Ordering::SeqCst) == request.generation {
                        continue;
                    }
                }
                Err(e) => deliver(Err((request.generation, e.to_string()))),
            }
            break;
        }
    }
}
