//! What the scheduler does with each answer: a create's task id (or why
//! there is none), and a poll's new state, 404, account problem or fault.

use super::{Outcome, Scheduler};
use crate::api::{ApiClient, ApiError, CreateRequest, CreatedTask, RemoteState, TaskStatus};
use crate::engine::poll::jitter;
use crate::engine::{EngineEvent, PollPolicy, transfers};
use crate::store::{Applied, LocalState, StoreError};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

impl Scheduler {
    /// Every answer that has arrived, as one round: the known states go to
    /// the store in one transaction (written only if one of them changes
    /// something), then each answer is handled in order.
    pub(super) fn handle_outcomes(&mut self, outcomes: Vec<Outcome>) {
        let answers: Vec<(i64, &TaskStatus)> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Polled {
                    id,
                    result: Ok(status),
                } if !matches!(status.state, Some(RemoteState::Unknown(_))) => Some((*id, status)),
                _ => None,
            })
            .collect();
        let mut applied: HashMap<i64, Result<Applied, StoreError>> = HashMap::new();
        if !answers.is_empty() {
            match self.store.apply_statuses(&answers) {
                Ok(results) => {
                    for ((id, _), result) in answers.iter().zip(results) {
                        applied.insert(*id, result);
                    }
                }
                Err(e) => self.store_failed(&e),
            }
        }
        for outcome in outcomes {
            match outcome {
                Outcome::Created { id, result } => self.on_created(id, result),
                Outcome::Recovery {
                    id,
                    task_id,
                    result,
                } => self.on_recovery(id, task_id, result),
                Outcome::Polled { id, result } => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    let applied = applied.remove(&id);
                    self.on_polled(id, result, applied);
                }
            }
        }
    }

    fn on_created(&mut self, id: i64, result: Result<CreatedTask, ApiError>) {
        let stored = match &result {
            Ok(created) => {
                // The process that created a task polls it: the claim comes
                // before the task id is visible, so another process on the
                // store cannot race to it.
                let _ = self
                    .store
                    .claim_poll(id, &self.owner, self.config.poll.lease);
                let task_id = created.task_id.clone().unwrap_or_default();
                self.store.mark_submitted(id, task_id.trim())
            }
            Err(e) if e.create_certainly_refused() => {
                self.store.mark_submit_failed(id, &e.to_string())
            }
            Err(e) => {
                let has_callback = self.store.get(id).is_ok_and(|r| r.has_callback);
                let advice = crate::store::unknown_create_advice(has_callback);
                self.store
                    .mark_submit_unknown(id, &format!("{e}; {advice}"))
            }
        };
        if let Err(e) = &result {
            if e.is_account_problem() {
                self.pause(e);
            }
            self.emit(EngineEvent::CreateFailed {
                id,
                error: e.clone(),
            });
        }
        // A refused create frees its share of the budget.
        self.spend.refresh();
        match stored {
            Ok(record) => {
                let due = Instant::now() + self.config.poll.first;
                self.track(&record, due);
                if let Some(delay) = self.learned_delay(id) {
                    self.tracked.set_due(id, Instant::now() + delay);
                }
                self.changed(record);
            }
            Err(e) => self.store_failed(&e),
        }
    }

    /// A store error: polling stops when the store refuses writes;
    /// anything else is a notice.
    pub(super) fn store_failed(&mut self, error: &crate::store::StoreError) {
        if error.refuses_writes() {
            if self.store_failed.is_none() {
                tracing::error!("task store refuses writes: {error}");
            }
            self.store_failed = Some(error.to_string());
        } else {
            self.emit(EngineEvent::Notice(error.to_string()));
        }
    }

    /// A state klang does not know ("exploded"): said in the task's last
    /// error, asked again at the slow rate, and given up (lost) once it has
    /// lasted `give_up_unknown_after`.
    fn on_unknown_state(
        &mut self,
        id: i64,
        status: &TaskStatus,
        now: Instant,
    ) -> Option<(Duration, Instant)> {
        let word = match &status.state {
            Some(RemoteState::Unknown(word)) => crate::api::snippet(word.as_bytes()),
            _ => String::new(),
        };
        let since = *self.tracked.get_mut(id)?.unknown_since.get_or_insert(now);
        let give_up = self.config.give_up_unknown_after;
        let slow = self.config.poll.max_interval;
        let written = if now.duration_since(since) >= give_up {
            self.store
                .mark_lost(
                    id,
                    &format!(
                        "the server reported the unknown state {word:?} for {} s, so klang stopped asking; check the task on the provider's dashboard",
                        give_up.as_secs()
                    ),
                )
                .map(Some)
        } else {
            self.store.set_last_error(
                id,
                &format!(
                    "state unknown: the server reports {word:?}, which klang does not know; asking every {} s, giving up after {} s",
                    slow.as_secs(),
                    give_up.as_secs()
                ),
            )
        };
        let lost = match written {
            // The same unknown state again: already said.
            Ok(None) => false,
            Ok(Some(record)) => {
                let lost = record.state == crate::store::LocalState::Lost;
                self.changed(record);
                lost
            }
            Err(e) => {
                self.store_failed(&e);
                false
            }
        };
        (!lost).then(|| (slow, now + jitter(slow)))
    }

    fn pause(&mut self, error: &ApiError) {
        if self.paused.is_none() {
            self.paused = Some(error.to_string());
            tracing::warn!("polling paused: {error}");
        }
    }

    /// `applied` is what the round's transaction did with this answer
    /// (None when it was not a known state, or the round failed).
    fn on_polled(
        &mut self,
        id: i64,
        result: Result<TaskStatus, ApiError>,
        applied: Option<Result<Applied, StoreError>>,
    ) {
        let Some(t) = self.tracked.get(id) else {
            return;
        };
        let (interval, has_callback) = (t.interval, t.has_callback);
        self.tracked.answered(id);
        let now = Instant::now();
        // (next interval, next due); None drops the task from the schedule.
        let next: Option<(Duration, Instant)> = match result {
            Ok(status) if matches!(status.state, Some(RemoteState::Unknown(_))) => {
                self.circuit.on_success();
                self.on_unknown_state(id, &status, now)
            }
            Ok(_) => {
                self.circuit.on_success();
                if let Some(t) = self.tracked.get_mut(id) {
                    t.unknown_since = None;
                }
                match applied {
                    Some(applied) => self.on_status(id, applied, (interval, has_callback), now),
                    // The round could not be written: ask again later.
                    None => Some((interval, now + jitter(self.config.poll.max_interval))),
                }
            }
            Err(ApiError::NotFound) => {
                self.circuit.on_success();
                self.on_not_found(id, (interval, has_callback), now)
            }
            Err(e) if e.is_account_problem() => {
                let _ = self.store.set_last_error(id, &e.to_string());
                self.pause(&e);
                // Poll again right after the user resumes.
                Some((interval, now))
            }
            Err(e) => {
                tracing::warn!("poll failed: {e}");
                let hold = self.circuit.on_failure(now, e.retry_after(), e.to_string());
                if let Ok(Some(record)) = self.store.record_poll_error(id, &e.to_string(), false) {
                    self.changed(record);
                }
                Some((interval, hold.max(now + jitter(interval))))
            }
        };
        match next {
            Some((interval, due)) => {
                if let Some(t) = self.tracked.get_mut(id) {
                    t.interval = interval;
                }
                self.tracked.set_due(id, due);
            }
            None => {
                self.tracked.remove(id);
            }
        }
    }

    /// A state klang knows: stored, announced when visible, downloaded when
    /// it just completed; the next poll as the kind's history or the
    /// backoff says (none once finished). `(interval, has_callback)` is
    /// the task's schedule before this answer.
    fn on_status(
        &mut self,
        id: i64,
        applied: Result<Applied, StoreError>,
        (interval, has_callback): (Duration, bool),
        now: Instant,
    ) -> Option<(Duration, Instant)> {
        let policy = self.config.poll.clone();
        let applied = match applied {
            Ok(applied) => applied,
            Err(e) => {
                self.store_failed(&e);
                return Some((interval, now + jitter(policy.max_interval)));
            }
        };
        let running = applied.after.state.is_running();
        if let Some(generation_ms) = applied.after.generation_ms()
            && applied.before.state != applied.after.state
            && let Some(t) = self.tracked.get(id)
        {
            self.history.record(t.kind, generation_ms);
        }
        let next = match self.learned_delay(id) {
            // The history knows when it should finish: no jitter, the
            // timing is the point.
            Some(delay) => (policy.first, now + delay),
            None => {
                let interval = if applied.before.state != applied.after.state {
                    policy.first
                } else {
                    policy.next_interval(interval, has_callback)
                };
                (interval, now + jitter(interval))
            }
        };
        let completed_now = applied.before.state != LocalState::Completed
            && applied.after.state == LocalState::Completed;
        let has_file = transfers::has_file(&applied.after);
        if applied.visible() {
            self.changed(applied.after);
        }
        if completed_now && self.config.auto_download && !has_file {
            self.transfers.download(id, None);
        }
        running.then_some(next)
    }

    /// A 404: counted, and after enough in a row the task is lost.
    fn on_not_found(
        &mut self,
        id: i64,
        (interval, has_callback): (Duration, bool),
        now: Instant,
    ) -> Option<(Duration, Instant)> {
        let policy = &self.config.poll;
        let interval = policy.next_interval(interval, has_callback);
        let lost_after = policy.lost_after_404s;
        let message = ApiError::NotFound.to_string();
        match self.store.record_poll_error(id, &message, true) {
            Ok(Some(record)) if record.not_found_count >= lost_after => {
                let why = format!(
                    "the server answered 404 {} times in a row: it no longer knows this task",
                    record.not_found_count
                );
                if let Ok(record) = self.store.mark_lost(id, &why) {
                    self.changed(record);
                }
                None
            }
            Ok(record) => {
                if let Some(record) = record {
                    self.changed(record);
                }
                Some((interval, now + jitter(interval)))
            }
            Err(e) => {
                self.store_failed(&e);
                Some((interval, now + jitter(interval)))
            }
        }
    }
}

/// A create is not idempotent: retry only when the server certainly did not
/// take it (429, or the connection never opened), so nothing is charged twice.
pub(super) async fn create_with_retry(
    client: &ApiClient,
    request: &CreateRequest,
    policy: &PollPolicy,
) -> Result<CreatedTask, ApiError> {
    let mut attempt = 1;
    loop {
        match client.create(request).await {
            Err(e)
                if attempt < 4
                    && e.create_certainly_refused()
                    && matches!(e, ApiError::RateLimited { .. } | ApiError::Network { .. }) =>
            {
                let wait = e.retry_after().unwrap_or_else(|| policy.backoff(attempt));
                tracing::warn!("create refused ({e}); retrying in {wait:?}");
                tokio::time::sleep(jitter(wait)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
