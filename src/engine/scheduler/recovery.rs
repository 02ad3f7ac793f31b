//! A callback on a row's own path. For a row that has its task id this is
//! the usual hint (query now). For a `submit-unknown` row, whose create's
//! answer was lost, it may be the provider saying it made the task after
//! all: klang queries that task id, and attaches it to the row only when
//! the API knows it, the model matches, it was created after the row was
//! written, and no other row holds it. A forged callback changes nothing.

use super::{Outcome, Scheduler};
use crate::api::{ApiError, TaskStatus};
use crate::store::{LocalState, TaskRecord};
use tokio::time::Instant;

/// How far the provider's clock may run behind ours.
const CLOCK_SLACK_MS: i64 = 5 * 60 * 1000;

impl Scheduler {
    pub(super) fn on_task_callback(&mut self, id: i64, task_id: String) {
        let record = match self.store.get(id) {
            Ok(record) => record,
            Err(e) => return tracing::warn!("callback for row {id}: {e}"),
        };
        match record.task_id.as_deref() {
            Some(known) if known == task_id => {
                self.track(&record, Instant::now());
                self.poll_now(id);
            }
            Some(_) => tracing::warn!("callback for row {id} names another task id; ignored"),
            None if record.state == LocalState::SubmitUnknown => {
                let client = self.client.clone();
                let tx = self.outcomes_tx.clone();
                tokio::spawn(async move {
                    let result = client.query(&task_id).await;
                    let _ = tx.send(Outcome::Recovery {
                        id,
                        task_id,
                        result,
                    });
                });
            }
            None => tracing::debug!("callback for row {id} before its create answered"),
        }
    }

    pub(super) fn on_recovery(
        &mut self,
        id: i64,
        task_id: String,
        result: Result<TaskStatus, ApiError>,
    ) {
        let status = match result {
            Ok(status) => status,
            Err(e) => return self.refused(id, &format!("the API does not confirm it ({e})")),
        };
        let record = match self.store.get(id) {
            Ok(record) => record,
            Err(e) => return tracing::warn!("callback for row {id}: {e}"),
        };
        if let Err(why) = confirms(&record, &status) {
            return self.refused(id, &why);
        }
        let recovered = match self.store.recover_created(id, &task_id) {
            Ok(Some(recovered)) => recovered,
            Ok(None) => return self.refused(id, "the row or the task id is settled already"),
            Err(e) => return tracing::warn!("recovering row {id}: {e}"),
        };
        tracing::info!("row {id} recovered from its callback as {task_id}");
        let current = match self.store.apply_status(id, &status) {
            Ok(applied) => applied.after,
            Err(e) => {
                tracing::warn!("recovered row {id}: {e}");
                recovered
            }
        };
        self.emit(super::EngineEvent::Notice(format!(
            "#{id} was created at the provider after all: recovered from its callback"
        )));
        self.track(&current, Instant::now());
        self.changed(current);
    }
}

impl Scheduler {
    /// A callback that could not be this row's task: said, nothing changed.
    fn refused(&self, id: i64, why: &str) {
        tracing::warn!("callback for row {id} refused: {why}");
        self.emit(super::EngineEvent::Notice(format!(
            "a callback for #{id} was refused: {why}"
        )));
    }
}

/// Whether the API's answer about the callback's task can be row
/// `record`'s task.
fn confirms(record: &TaskRecord, status: &TaskStatus) -> Result<(), String> {
    if let Some(model) = status.model.as_deref()
        && !model.ends_with(record.model.api_name())
    {
        return Err(format!(
            "the task is a {model}, the row a {}",
            record.model.api_name()
        ));
    }
    if let Some(created) = status.create_time
        && created + CLOCK_SLACK_MS < record.submitted_at
    {
        return Err("the task was created before the row was written".into());
    }
    Ok(())
}
