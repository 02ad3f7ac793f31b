//! The tasks being polled, ordered by when each is next due, so that the
//! loop finds what to send (and when to wake) without looking at every
//! task: with 1,000 tasks in flight the loop runs after every answer, and a
//! scan of them all each time was most of its CPU.

use super::learned::Kind;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tokio::time::Instant;

/// The schedule of one task being polled. When it is due and whether a
/// query is out are kept by [`Schedule`], which orders tasks by them.
pub(super) struct Tracked {
    pub task_id: String,
    due: Instant,
    pub interval: Duration,
    in_flight: bool,
    pub has_callback: bool,
    /// When the server created it, on this process's clock (about).
    pub created: Instant,
    pub kind: Kind,
    /// Since when the server has reported a state klang does not know.
    pub unknown_since: Option<Instant>,
}

impl Tracked {
    /// A task waiting for its first query at `due`.
    pub fn new(task_id: String, due: Instant, interval: Duration, kind: Kind) -> Tracked {
        Tracked {
            task_id,
            due,
            interval,
            in_flight: false,
            has_callback: false,
            created: due,
            kind,
            unknown_since: None,
        }
    }

    pub fn in_flight(&self) -> bool {
        self.in_flight
    }
}

/// Every tracked task, and the waiting ones (no query out) by due time.
#[derive(Default)]
pub(super) struct Schedule {
    tasks: HashMap<i64, Tracked>,
    waiting: BTreeSet<(Instant, i64)>,
}

impl Schedule {
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    pub fn contains(&self, id: i64) -> bool {
        self.tasks.contains_key(&id)
    }

    pub fn get(&self, id: i64) -> Option<&Tracked> {
        self.tasks.get(&id)
    }

    /// The task's other fields; its due time and query go through
    /// [`Schedule::set_due`], [`Schedule::launched`], [`Schedule::answered`].
    pub fn get_mut(&mut self, id: i64) -> Option<&mut Tracked> {
        self.tasks.get_mut(&id)
    }

    pub fn insert(&mut self, id: i64, task: Tracked) {
        self.remove(id);
        if !task.in_flight {
            self.waiting.insert((task.due, id));
        }
        self.tasks.insert(id, task);
    }

    pub fn remove(&mut self, id: i64) -> Option<Tracked> {
        let task = self.tasks.remove(&id)?;
        self.waiting.remove(&(task.due, id));
        Some(task)
    }

    pub fn set_due(&mut self, id: i64, due: Instant) {
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        if !task.in_flight {
            self.waiting.remove(&(task.due, id));
            self.waiting.insert((due, id));
        }
        task.due = due;
    }

    /// Every task due at `now` (after a resume, say).
    pub fn all_due(&mut self, now: Instant) {
        let ids: Vec<i64> = self.tasks.keys().copied().collect();
        for id in ids {
            self.set_due(id, now);
        }
    }

    /// The waiting task due first, if it is due by `now`.
    pub fn first_due(&self, now: Instant) -> Option<i64> {
        self.waiting
            .first()
            .filter(|(due, _)| *due <= now)
            .map(|(_, id)| *id)
    }

    /// When the waiting task due first is due.
    pub fn earliest_due(&self) -> Option<Instant> {
        self.waiting.first().map(|(due, _)| *due)
    }

    /// A query for `id` went out: it waits no more until answered.
    pub fn launched(&mut self, id: i64) {
        if let Some(task) = self.tasks.get_mut(&id)
            && !task.in_flight
        {
            self.waiting.remove(&(task.due, id));
            task.in_flight = true;
        }
    }

    /// The query for `id` came back: it waits again, due as before until
    /// [`Schedule::set_due`] says otherwise.
    pub fn answered(&mut self, id: i64) {
        if let Some(task) = self.tasks.get_mut(&id)
            && task.in_flight
        {
            task.in_flight = false;
            self.waiting.insert((task.due, id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(due: Instant) -> Tracked {
        let request = crate::api::CreateRequest::SoundEffects(crate::api::SoundEffectsParams {
            prompt: "rain".into(),
            duration: "3.0".into(),
            callback_url: None,
        });
        Tracked::new("t".into(), due, Duration::from_secs(1), Kind::of(&request))
    }

    #[test]
    fn the_first_due_is_found_and_in_flight_tasks_are_not_due() {
        let now = Instant::now();
        let mut s = Schedule::default();
        s.insert(1, task(now + Duration::from_secs(5)));
        s.insert(2, task(now));
        s.insert(3, task(now + Duration::from_secs(1)));
        assert_eq!(s.first_due(now), Some(2));
        assert_eq!(s.earliest_due(), Some(now));
        s.launched(2);
        assert_eq!(s.first_due(now), None);
        assert_eq!(s.earliest_due(), Some(now + Duration::from_secs(1)));
        // Moving a task in flight changes nothing until it is answered.
        s.set_due(2, now + Duration::from_secs(9));
        assert_eq!(s.earliest_due(), Some(now + Duration::from_secs(1)));
        s.answered(2);
        s.set_due(3, now + Duration::from_secs(20));
        assert_eq!(s.earliest_due(), Some(now + Duration::from_secs(5)));
        s.remove(1);
        assert_eq!(s.earliest_due(), Some(now + Duration::from_secs(9)));
        s.all_due(now);
        assert_eq!(s.first_due(now).map(|id| [2, 3].contains(&id)), Some(true));
        assert_eq!(s.len(), 2);
        s.remove(2);
        s.remove(3);
        assert!(s.is_empty() && s.earliest_due().is_none());
    }
}
