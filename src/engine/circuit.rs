//! One backoff for the whole engine: when the server or the network fails,
//! every poll waits; afterwards a single probe goes out before full
//! concurrency resumes. This bounds the request rate during an outage to
//! about one request per backoff period.

use super::PollPolicy;
use super::poll::jitter;
use std::time::Duration;
use tokio::time::Instant;

enum State {
    Closed,
    Open { until: Instant },
    HalfOpen,
}

pub(super) struct Circuit {
    policy: PollPolicy,
    state: State,
    streak: u32,
    reason: String,
}

impl Circuit {
    pub fn new(policy: PollPolicy) -> Circuit {
        Circuit {
            policy,
            state: State::Closed,
            streak: 0,
            reason: String::new(),
        }
    }

    pub fn open_until(&self) -> Option<Instant> {
        match self.state {
            State::Open { until } => Some(until),
            _ => None,
        }
    }

    /// How many requests may be out at once now, without changing state.
    pub fn capacity(&self, now: Instant, max: usize) -> usize {
        match self.state {
            State::Closed => max,
            State::Open { until } if now >= until => 1,
            State::Open { .. } => 0,
            State::HalfOpen => 1,
        }
    }

    /// How many requests may be out at once now; an ended backoff turns
    /// into a single probe.
    pub fn allowed_in_flight(&mut self, now: Instant, max: usize) -> usize {
        match self.state {
            State::Closed => max,
            State::Open { until } if now >= until => {
                self.state = State::HalfOpen;
                1
            }
            State::Open { .. } => 0,
            State::HalfOpen => 1,
        }
    }

    pub fn on_success(&mut self) {
        self.streak = 0;
        self.state = State::Closed;
    }

    /// Records a retryable failure and returns when polling may go on.
    /// Failures of requests that were already out when the circuit opened
    /// do not lengthen the wait.
    pub fn on_failure(
        &mut self,
        now: Instant,
        retry_after: Option<Duration>,
        reason: String,
    ) -> Instant {
        if let State::Open { until } = self.state {
            return until;
        }
        self.streak += 1;
        let wait = retry_after
            .map(|d| d.max(Duration::from_millis(100)))
            .unwrap_or_else(|| jitter(self.policy.backoff(self.streak)));
        let until = now + wait;
        self.state = State::Open { until };
        self.reason = reason;
        until
    }

    /// While waiting: why, and how long is left.
    pub fn retrying(&self, now: Instant) -> Option<(String, Duration)> {
        match self.state {
            State::Open { until } if until > now => {
                // Whole seconds, so the status does not change on every loop.
                let left = until - now;
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                Some((self.reason.clone(), Duration::from_secs(secs)))
            }
            _ => None,
        }
    }

    pub fn reset(&mut self) {
        self.streak = 0;
        self.state = State::Closed;
    }
}
