//! When the loop must wake by itself: never for nothing (a past instant
//! that launches nothing makes it spin).

use super::Scheduler;
use tokio::time::Instant;

impl Scheduler {
    /// The earliest moment something becomes due, if anything will.
    pub(super) fn next_wake(&self) -> Option<Instant> {
        let now = Instant::now();
        wake_time(&Wake {
            paused: self.paused.is_some() || self.store_failed.is_some(),
            open_until: self.circuit.open_until(),
            room: self.in_flight < self.circuit.capacity(now, self.config.max_in_flight),
            // A due task waits for the budget's next query too.
            earliest_due: self
                .tracked
                .earliest_due()
                .map(|due| due.max(self.budget.next_at(now))),
            now,
        })
    }
}

/// What decides when the loop must wake by itself (answers and commands
/// wake it anyway).
struct Wake {
    paused: bool,
    open_until: Option<Instant>,
    /// Whether another request may go out now.
    room: bool,
    earliest_due: Option<Instant>,
    now: Instant,
}

/// Never a past instant unless something can actually be launched then:
/// a past wake-up that launches nothing makes the loop spin.
fn wake_time(w: &Wake) -> Option<Instant> {
    if w.paused {
        return None;
    }
    // While the circuit is open nothing launches before it closes.
    if let Some(until) = w.open_until
        && until > w.now
    {
        return Some(until);
    }
    // All slots taken: the next answer frees one and wakes the loop.
    if !w.room {
        return None;
    }
    w.earliest_due
}

pub(super) async fn sleep_until_opt(when: Option<Instant>) {
    match when {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wake(open_until: Option<Instant>, room: bool, due: Option<Instant>) -> Option<Instant> {
        wake_time(&Wake {
            paused: false,
            open_until,
            room,
            earliest_due: due,
            now: Instant::now(),
        })
    }

    #[test]
    fn the_loop_never_wakes_for_nothing() {
        let now = Instant::now();
        let past = now - Duration::from_secs(1);
        let soon = now + Duration::from_secs(2);
        let later = now + Duration::from_secs(9);
        // A backoff that has ended: wait for the next due poll, not the past.
        assert_eq!(wake(Some(past), true, Some(later)), Some(later));
        // A backoff still running holds everything.
        assert_eq!(wake(Some(soon), true, Some(past)), Some(soon));
        // Due tasks but no free slot: the next answer wakes the loop.
        assert_eq!(wake(None, false, Some(past)), None);
        assert_eq!(wake(None, true, Some(past)), Some(past));
        assert_eq!(wake(None, true, None), None);
        let paused = Wake {
            paused: true,
            open_until: None,
            room: true,
            earliest_due: Some(past),
            now,
        };
        assert_eq!(wake_time(&paused), None);
    }
}
