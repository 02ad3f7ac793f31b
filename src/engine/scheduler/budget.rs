//! A cap on queries per second across every task: polling 1,000 tasks each
//! every 10 s was 100 requests a second, so klang's CPU (and the load it
//! put on the provider) grew with the tasks in flight. With the cap, many
//! tasks are each asked less often, in the order they fell due.

use std::time::Duration;
use tokio::time::Instant;

/// A token bucket: `rate` queries a second, up to one second's worth at
/// once.
pub(super) struct PollBudget {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl PollBudget {
    pub fn new(rate: u32, now: Instant) -> PollBudget {
        let rate = f64::from(rate.max(1));
        PollBudget {
            rate,
            tokens: rate,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let gained = now.saturating_duration_since(self.at).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + gained).min(self.rate);
        self.at = now;
    }

    /// Takes one query's worth if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// When the next query may go out (now if it may already).
    pub fn next_at(&self, now: Instant) -> Instant {
        let since = now.saturating_duration_since(self.at).as_secs_f64() * self.rate;
        let missing = 1.0 - (self.tokens + since);
        if missing <= 0.0 {
            now
        } else {
            now + Duration::from_secs_f64(missing / self.rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holds_at_most_rate_queries_and_then_one_per_share() {
        let start = Instant::now();
        let mut b = PollBudget::new(20, start);
        let burst = (0..100).filter(|_| b.try_take(start)).count();
        assert_eq!(burst, 20);
        let next = b.next_at(start);
        assert_eq!(next - start, Duration::from_millis(50));
        assert!(!b.try_take(start + Duration::from_millis(40)));
        assert!(b.try_take(start + Duration::from_millis(55)));
        // A long pause never saves up more than a second's worth.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..100).filter(|_| b.try_take(later)).count(), 20);
    }
}
