//! Sending what is due: polls within the circuit's and the config's limit
//! of requests in flight, each under a lease in the store so one klang
//! process polls a task, and creates.

use super::outcomes::create_with_retry;
use super::{Outcome, Scheduler};
use crate::api::CreateRequest;
use crate::engine::poll::jitter;
use tokio::time::Instant;

impl Scheduler {
    pub(super) fn launch_due(&mut self) {
        if self.paused.is_some() || self.store_failed.is_some() {
            return;
        }
        let now = Instant::now();
        // Each pass takes the first due task off the waiting line: it is
        // launched or moved later.
        while let Some(id) = self.tracked.first_due(now) {
            let allowed = self
                .circuit
                .allowed_in_flight(now, self.config.max_in_flight);
            // Only a query sent spends the budget: a task another process
            // polls costs none.
            if self.in_flight >= allowed || self.budget.next_at(now) > now {
                break;
            }
            match self.claim(id) {
                Ok(true) => {}
                Ok(false) => {
                    // Another klang polls it; its answers arrive through the
                    // store. Look again in case that process goes away.
                    self.tracked
                        .set_due(id, now + jitter(self.config.poll.max_interval));
                    continue;
                }
                // A store that refuses writes would lose every answer.
                Err(e) if e.refuses_writes() => {
                    self.store_failed(&e);
                    return;
                }
                // A busy store should not stop polling.
                Err(e) => tracing::warn!("poll lease: {e}"),
            }
            let Some(task_id) = self.tracked.get(id).map(|t| t.task_id.clone()) else {
                break;
            };
            self.tracked.launched(id);
            self.budget.try_take(now);
            self.in_flight += 1;
            let client = self.client.clone();
            let tx = self.outcomes_tx.clone();
            tokio::spawn(async move {
                let result = client.query(&task_id).await;
                let _ = tx.send(Outcome::Polled { id, result });
            });
        }
    }

    /// Claims the right to poll `id`, taking it over from a klang process
    /// that holds it but no longer exists (killed, not shut down).
    fn claim(&self, id: i64) -> crate::store::Result<bool> {
        let lease = self.config.poll.lease;
        if self.store.claim_poll(id, &self.owner, lease)? {
            return Ok(true);
        }
        match self.store.poll_owner(id)? {
            Some(holder) if !process_alive(&holder) => {
                tracing::info!("taking over task {id} from {holder}, which has exited");
                self.store.take_poll(id, &holder, &self.owner, lease)
            }
            _ => Ok(false),
        }
    }

    pub(super) fn poll_now(&mut self, id: i64) {
        if self.tracked.contains(id) {
            self.tracked.set_due(id, Instant::now());
        } else if let Ok(record) = self.store.get(id) {
            self.track(&record, Instant::now());
        }
    }

    pub(super) fn launch_create(&mut self, id: i64, request: CreateRequest) {
        let client = self.client.clone();
        let tx = self.outcomes_tx.clone();
        let policy = self.config.poll.clone();
        tokio::spawn(async move {
            let result = create_with_retry(&client, &request, &policy).await;
            let _ = tx.send(Outcome::Created { id, result });
        });
    }
}

/// Whether the process named in a lease owner ("PID-random") still runs.
/// Only Linux can tell cheaply (/proc); elsewhere the lease just expires.
pub(super) fn process_alive(owner: &str) -> bool {
    let Some(pid) = owner.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
        return true;
    };
    let proc_root = std::path::Path::new("/proc/self");
    if pid == std::process::id() || !proc_root.exists() {
        return true;
    }
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}
