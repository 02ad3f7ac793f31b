//! How often to ask about a task, and how long to back off after faults.

use rand::Rng;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct PollPolicy {
    /// First query after a create.
    pub first: Duration,
    /// Interval cap while a task stays pending or processing.
    pub max_interval: Duration,
    /// Interval for tasks that will be announced by a callback: polling is
    /// then only the fallback.
    pub with_callback: Duration,
    /// Growth of the interval per unchanged answer.
    pub growth: f64,
    /// First delay after a 5xx, network error or undecodable answer.
    pub backoff_first: Duration,
    pub backoff_max: Duration,
    /// 404s in a row before a task counts as lost.
    pub lost_after_404s: i64,
    /// How long a claim to poll a task lasts; renewed at every poll. A
    /// killed process's tasks are taken over by another after this.
    pub lease: Duration,
    /// Queries a second across every task at most: with many tasks in
    /// flight each is asked less often, in the order they fell due.
    pub max_per_second: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            first: Duration::from_millis(1000),
            max_interval: Duration::from_secs(10),
            with_callback: Duration::from_secs(30),
            growth: 1.5,
            backoff_first: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            lost_after_404s: 5,
            lease: Duration::from_secs(45),
            max_per_second: 20,
        }
    }
}

impl PollPolicy {
    /// The next interval after an answer that did not change the state. A
    /// task a callback will announce is asked about every `with_callback`
    /// from its first answer on: polling is only the fallback then, and
    /// growing towards it from 1 s asked a dozen times in the first 40 s.
    pub fn next_interval(&self, current: Duration, has_callback: bool) -> Duration {
        if has_callback {
            return self.with_callback;
        }
        current.mul_f64(self.growth).min(self.max_interval)
    }

    /// Backoff after `streak` faults in a row (1 = first fault).
    pub fn backoff(&self, streak: u32) -> Duration {
        let factor = 2f64.powi(streak.saturating_sub(1).min(16) as i32);
        self.backoff_first.mul_f64(factor).min(self.backoff_max)
    }
}

/// ±20 % so that many tasks created together do not poll in lockstep.
pub fn jitter(d: Duration) -> Duration {
    let f = rand::rng().random_range(0.8..1.2);
    d.mul_f64(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_grows_to_the_cap() {
        let p = PollPolicy::default();
        let mut d = p.first;
        for _ in 0..20 {
            d = p.next_interval(d, false);
        }
        assert_eq!(d, p.max_interval);
        // With a callback, the fallback interval from the first answer on.
        assert_eq!(p.next_interval(p.first, true), p.with_callback);
        assert_eq!(p.next_interval(d, true), p.with_callback);
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let p = PollPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_secs(1));
        assert_eq!(p.backoff(2), Duration::from_secs(2));
        assert_eq!(p.backoff(4), Duration::from_secs(8));
        assert_eq!(p.backoff(30), Duration::from_secs(60));
        let j = jitter(Duration::from_secs(10));
        assert!(j >= Duration::from_secs(8) && j <= Duration::from_secs(12));
    }
}
