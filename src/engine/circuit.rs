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

/// On tokio's paused clock: the windows are checked by advancing time, not
/// by sleeping. (The engine tests over loopback keep real time: with a real
/// socket in between, a paused clock jumps ahead while the runtime waits on
/// I/O and the counts would mean nothing.)
#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_outage_gets_one_probe_per_growing_window() {
        let policy = PollPolicy::default();
        let mut circuit = Circuit::new(policy.clone());
        assert_eq!(circuit.allowed_in_flight(Instant::now(), 8), 8);
        let until = circuit.on_failure(Instant::now(), None, "HTTP 500".into());
        let first = until - Instant::now();
        assert!(
            first >= policy.backoff_first.mul_f64(0.8)
                && first <= policy.backoff_first.mul_f64(1.2)
        );
        // Failures of requests already out do not lengthen the wait.
        assert_eq!(
            circuit.on_failure(Instant::now(), None, "again".into()),
            until
        );
        assert_eq!(circuit.allowed_in_flight(Instant::now(), 8), 0);
        assert_eq!(
            circuit.retrying(Instant::now()).map(|(r, _)| r).as_deref(),
            Some("HTTP 500")
        );
        tokio::time::advance(first).await;
        assert_eq!(circuit.allowed_in_flight(Instant::now(), 8), 1, "one probe");
        // The probe fails too: the next window is about twice as long.
        let until = circuit.on_failure(Instant::now(), None, "HTTP 500".into());
        let second = until - Instant::now();
        assert!(second >= policy.backoff(2).mul_f64(0.8), "{second:?}");
        tokio::time::advance(second).await;
        assert_eq!(circuit.allowed_in_flight(Instant::now(), 8), 1);
        circuit.on_success();
        assert_eq!(circuit.allowed_in_flight(Instant::now(), 8), 8);
        assert_eq!(circuit.retrying(Instant::now()), None);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_sets_the_window_and_the_status_counts_whole_seconds() {
        let mut circuit = Circuit::new(PollPolicy::default());
        let start = Instant::now();
        let until = circuit.on_failure(start, Some(Duration::from_secs(3)), "429".into());
        assert_eq!(until, start + Duration::from_secs(3));
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert_eq!(
            circuit.retrying(Instant::now()),
            Some(("429".into(), Duration::from_secs(2)))
        );
        assert_eq!(circuit.allowed_in_flight(Instant::now(), 8), 0);
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert_eq!(circuit.retrying(Instant::now()), None);
        assert_eq!(circuit.allowed_in_flight(Instant::now(), 8), 1);
    }
}
