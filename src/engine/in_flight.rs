//! Blocking work per task (decoding a file) on tokio's blocking pool, at
//! most one run per task at a time: asking again while it runs does nothing.

use super::{EngineEvent, EventSink};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub(super) struct InFlight {
    running: Arc<Mutex<HashSet<i64>>>,
}

impl InFlight {
    /// Runs `work` for task `id` off the async tasks unless it already runs
    /// for `id`; its event goes to `sink` once `id` is free again, so an
    /// answer to the event may ask for the same work anew.
    pub fn spawn(
        &self,
        id: i64,
        sink: EventSink,
        work: impl FnOnce() -> EngineEvent + Send + 'static,
    ) {
        {
            let Ok(mut running) = self.running.lock() else {
                return;
            };
            if !running.insert(id) {
                return;
            }
        }
        let running = self.running.clone();
        tokio::task::spawn_blocking(move || {
            let event = work();
            if let Ok(mut r) = running.lock() {
                r.remove(&id);
            }
            sink(event);
        });
    }
}
