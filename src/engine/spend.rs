//! The budget guard every submit goes through, and today's spend for the
//! status bar (kept in memory so drawing never reads the store, and
//! announced as [`EngineEvent::SpendToday`] whenever it changes).

use super::{EngineEvent, EventSink};
use crate::budget::{Budget, OverBudget, Period, Today};
use crate::store::{Inserted, Intent, Store};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub(crate) struct SpendMeter {
    store: Arc<Store>,
    budget: Budget,
    today: Arc<Mutex<Option<Today>>>,
    sink: EventSink,
}

impl SpendMeter {
    pub(crate) fn new(store: Arc<Store>, budget: Budget, sink: EventSink) -> SpendMeter {
        let meter = SpendMeter {
            store,
            budget,
            today: Arc::default(),
            sink,
        };
        meter.refresh();
        meter
    }

    pub(crate) fn budget(&self) -> Budget {
        self.budget
    }

    /// Writes the row unless a cap or an earlier task from the same batch
    /// line forbids it; the check and the write are one transaction.
    pub(crate) fn insert(&self, intent: &Intent<'_>) -> crate::store::Result<Inserted> {
        let windows = self.budget.windows(chrono::Local::now());
        let inserted = self.store.insert_checked(intent, &windows)?;
        if matches!(inserted, Inserted::New(_)) {
            self.refresh();
        }
        Ok(inserted)
    }

    /// Whether `cost` more could be spent now without passing a cap.
    pub(crate) fn check(&self, cost: f64) -> crate::store::Result<Result<(), OverBudget>> {
        check(&self.store, self.budget, cost)
    }

    /// Re-reads today's spend (after any change to the store, by this
    /// process or another) and announces it when it changed.
    pub(crate) fn refresh(&self) {
        let Some(day) = self
            .budget
            .windows(chrono::Local::now())
            .into_iter()
            .find(|w| w.period == Period::Day)
        else {
            return;
        };
        match self.store.spent_since(day.since_ms) {
            Ok(spent) => {
                let today = Today {
                    spent_usd: spent,
                    cap_usd: day.cap_usd,
                };
                let changed = match self.today.lock() {
                    Ok(mut slot) => slot.replace(today) != Some(today),
                    Err(_) => false,
                };
                if changed {
                    (self.sink)(EngineEvent::SpendToday(today));
                }
            }
            Err(e) => tracing::warn!("reading today's spend: {e}"),
        }
    }

    pub(crate) fn today(&self) -> Option<Today> {
        self.today.lock().ok().and_then(|t| *t)
    }
}

/// Whether `cost` more could be spent now without passing a cap in
/// `budget`, counting from `store` (no engine needed: `batch --dry-run`).
pub fn check(
    store: &Store,
    budget: Budget,
    cost: f64,
) -> crate::store::Result<Result<(), OverBudget>> {
    for window in budget.windows(chrono::Local::now()) {
        let spent = store.spent_since(window.since_ms)?;
        if let Err(over) = window.check(spent, cost) {
            return Ok(Err(over));
        }
    }
    Ok(Ok(()))
}
