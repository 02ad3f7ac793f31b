//! Counts a filter's rows on a thread and a connection of their own, after
//! its first page was shown: a broad filter over ten million rows takes
//! seconds to count, and neither the rows of the next keystroke nor
//! scrolling wait for it. A count stops as soon as the filter changes (the
//! connection's progress handler asks between steps), so only the newest
//! filter is counted.

use super::window_worker::CountCache;
use crate::store::{ViewQuery, ViewReader};
use crate::tui::state::window::CountAnswer;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// A count to take: the view of request `generation`.
#[derive(Clone, Debug)]
pub struct CountJob {
    pub generation: u64,
    pub query: ViewQuery,
}

/// Which filter the UI shows now, as a number that changes with it: a
/// count of an older filter stops when it sees a newer number.
#[derive(Debug)]
struct Epoch {
    number: AtomicU64,
    filter: Mutex<String>,
}

impl Epoch {
    fn new() -> Epoch {
        // 0 is "no count running".
        Epoch {
            number: AtomicU64::new(1),
            filter: Mutex::new(String::new()),
        }
    }

    /// The number for `filter`, moved on if the filter changed.
    fn filter_is(&self, filter: &str) -> u64 {
        let mut current = self.filter.lock().unwrap_or_else(|e| e.into_inner());
        if *current != filter {
            *current = filter.to_string();
            self.number.fetch_add(1, Ordering::SeqCst);
        }
        self.number.load(Ordering::SeqCst)
    }
}

/// The UI's side of the counting thread; dropping it (and the rows
/// worker's sender) ends the thread.
pub struct Counter {
    tx: mpsc::Sender<CountJob>,
    epoch: Arc<Epoch>,
}

impl Counter {
    pub fn spawn(
        mut reader: ViewReader,
        deliver: impl Fn(CountAnswer) + Send + 'static,
    ) -> std::io::Result<Counter> {
        let epoch = Arc::new(Epoch::new());
        // The number the running count was asked under; 0: none running.
        let running = Arc::new(AtomicU64::new(0));
        let (stop_epoch, stop_running) = (epoch.clone(), running.clone());
        reader
            .stop_when(move || {
                let asked = stop_running.load(Ordering::SeqCst);
                asked != 0 && asked != stop_epoch.number.load(Ordering::SeqCst)
            })
            .map_err(std::io::Error::other)?;
        let (tx, rx) = mpsc::channel::<CountJob>();
        let thread_epoch = epoch.clone();
        std::thread::Builder::new()
            .name("klang-count".into())
            .spawn(move || serve(reader, rx, thread_epoch, running, deliver))?;
        Ok(Counter { tx, epoch })
    }

    /// Where the rows worker sends its jobs.
    pub fn jobs(&self) -> mpsc::Sender<CountJob> {
        self.tx.clone()
    }

    /// The UI asks for `filter` now: a count of another filter stops.
    pub fn filter_is(&self, filter: &str) {
        self.epoch.filter_is(filter);
    }
}

fn serve(
    reader: ViewReader,
    rx: mpsc::Receiver<CountJob>,
    epoch: Arc<Epoch>,
    running: Arc<AtomicU64>,
    deliver: impl Fn(CountAnswer),
) {
    let mut cache = CountCache::default();
    while let Ok(mut job) = rx.recv() {
        while let Ok(newer) = rx.try_recv() {
            job = newer;
        }
        // Taken under the lock: a filter typed after this moment moves
        // the number on, and the progress handler stops the count.
        let number = {
            let current = epoch.filter.lock().unwrap_or_else(|e| e.into_inner());
            if *current != job.query.filter {
                continue;
            }
            epoch.number.load(Ordering::SeqCst)
        };
        running.store(number, Ordering::SeqCst);
        let counted = count(&reader, &job.query, &mut cache);
        running.store(0, Ordering::SeqCst);
        // A stopped count (the filter changed) or a failed one says
        // nothing: the rows already told the user what is known.
        if let Ok(total) = counted {
            deliver(CountAnswer {
                generation: job.generation,
                filter: job.query.filter,
                total,
            });
        }
    }
}

/// The view's count, reused while neither the filter nor the store changed.
pub fn count(
    reader: &ViewReader,
    query: &ViewQuery,
    cache: &mut CountCache,
) -> crate::store::Result<usize> {
    let version = reader.data_version()?;
    if let Some(n) = cache.get(query, version) {
        return Ok(n);
    }
    let n = reader.count(query)? as usize;
    cache.put(query, version, n);
    Ok(n)
}
