//! Polling that learns: the history says how long a kind of task takes
//! (per model, and per requested length or text length where that changes
//! the time), so the engine asks rarely while a task cannot be done yet and
//! often around the moment it should finish. Without enough history, or once
//! a task runs later than its kind ever did, today's schedule applies.

use crate::api::CreateRequest;
use crate::store::TaskRecord;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Generation times needed before the history is trusted.
pub const MIN_SAMPLES: usize = 3;
/// Generation times kept per kind (the newest: the server's speed drifts).
pub const MAX_SAMPLES: usize = 50;
/// The first dense poll comes this long before the earliest expected finish.
const LEAD: Duration = Duration::from_millis(250);
/// The interval around the expected finish: a task seen done at most this
/// long after it finished.
const DENSE_STEP: Duration = Duration::from_millis(800);
/// The longest wait while the history says the task cannot be done yet,
/// below the poll lease (45 s) so the lease never runs out meanwhile, and
/// short enough that an early failure is still seen in reasonable time.
const SPARSE_MAX: Duration = Duration::from_secs(30);
/// The least spread assumed around the median (a server is never exact).
const MIN_SPREAD: Duration = Duration::from_millis(150);

/// Tasks that take about the same time: the model plus a bucket of the
/// requested audio length (sound effects) or of the text length (speech).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Kind {
    model: crate::api::Model,
    bucket: u32,
}

impl Kind {
    pub fn of(request: &CreateRequest) -> Kind {
        let bucket = match request {
            // Whole seconds of requested audio.
            CreateRequest::SoundEffects(p) => p
                .duration
                .trim()
                .parse::<f64>()
                .map_or(0, |s| s.round().max(0.0) as u32),
            // Text length, in steps that double: 0-63, 64-127, 128-255, …
            CreateRequest::Tts(p) => {
                let chars = p.text.chars().count().max(1) as u32;
                (chars / 64).checked_ilog2().map_or(0, |l| l + 1)
            }
            CreateRequest::VideoToAudio(_) => 0,
        };
        Kind {
            model: request.model(),
            bucket,
        }
    }
}

/// When a kind of task finishes, counted from its creation on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The earliest a typical task of this kind finishes.
    pub low: Duration,
    pub median: Duration,
    /// The latest a typical task finishes; later is an outlier.
    pub high: Duration,
}

impl Expectation {
    /// From observed generation times (ms). The window is the median ± 3
    /// median absolute deviations, so one task that took five times as long
    /// does not spread the dense polling over all of it.
    pub fn from_samples(samples_ms: &[i64]) -> Option<Expectation> {
        let mut sorted: Vec<i64> = samples_ms.iter().copied().filter(|&s| s >= 0).collect();
        if sorted.len() < MIN_SAMPLES {
            return None;
        }
        sorted.sort_unstable();
        let median = median_of_sorted(&sorted);
        let mut deviations: Vec<i64> = sorted.iter().map(|s| (s - median).abs()).collect();
        deviations.sort_unstable();
        let spread = (3 * median_of_sorted(&deviations)).max(MIN_SPREAD.as_millis() as i64);
        let min = sorted[0];
        let max = sorted[sorted.len() - 1];
        let low = (median - spread).max(min).max(0);
        let high = (median + spread).min(max).max(median);
        let ms = |v: i64| Duration::from_millis(v as u64);
        Some(Expectation {
            low: ms(low),
            median: ms(median),
            high: ms(high),
        })
    }
}

fn median_of_sorted(sorted: &[i64]) -> i64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

/// How long to wait before the next query of a task created `elapsed` ago,
/// or None when the history has nothing to say any more (the task is later
/// than its kind's typical finish): then today's schedule applies.
pub fn learned_delay(elapsed: Duration, expect: &Expectation) -> Option<Duration> {
    let window_start = expect.low.saturating_sub(LEAD);
    if elapsed < window_start {
        return Some((window_start - elapsed).min(SPARSE_MAX));
    }
    if elapsed <= expect.high + DENSE_STEP {
        return Some(DENSE_STEP);
    }
    None
}

/// The generation times seen per kind of task: loaded once per kind from the
/// store, then kept up to date by the tasks this engine sees finish.
#[derive(Debug, Default)]
pub struct History {
    samples: HashMap<Kind, VecDeque<i64>>,
}

impl History {
    pub fn knows(&self, kind: Kind) -> bool {
        self.samples.contains_key(&kind)
    }

    /// Starts a kind from finished records (any kind; others are skipped),
    /// newest first as the store gives them.
    pub fn load(&mut self, kind: Kind, newest_first: &[TaskRecord]) {
        let samples: VecDeque<i64> = newest_first
            .iter()
            .filter(|r| Kind::of(&r.params) == kind)
            .filter_map(TaskRecord::generation_ms)
            .take(MAX_SAMPLES)
            .collect();
        self.samples.insert(kind, samples);
    }

    pub fn record(&mut self, kind: Kind, generation_ms: i64) {
        let samples = self.samples.entry(kind).or_default();
        samples.push_front(generation_ms);
        samples.truncate(MAX_SAMPLES);
    }

    pub fn expectation(&self, kind: Kind) -> Option<Expectation> {
        let samples = self.samples.get(&kind)?;
        let (a, b) = samples.as_slices();
        Expectation::from_samples(&[a, b].concat())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// Every poll time of a task under the learned schedule, until `until`
    /// (or until the schedule hands over to the fallback).
    fn polls(expect: &Expectation, until: Duration) -> (Vec<Duration>, bool) {
        let mut t = Duration::ZERO;
        let mut out = vec![];
        while t < until {
            match learned_delay(t, expect) {
                Some(d) => {
                    t += d;
                    out.push(t);
                }
                None => return (out, true),
            }
        }
        (out, false)
    }

    #[test]
    fn no_history_means_todays_schedule() {
        assert_eq!(Expectation::from_samples(&[]), None);
        assert_eq!(Expectation::from_samples(&[13_000, 13_100]), None);
        let mut history = History::default();
        let kind = Kind::of(&CreateRequest::SoundEffects(
            crate::api::SoundEffectsParams {
                prompt: "x".into(),
                duration: "5".into(),
                callback_url: None,
            },
        ));
        assert!(!history.knows(kind));
        assert_eq!(history.expectation(kind), None);
        history.load(kind, &[]);
        assert!(history.knows(kind));
        assert_eq!(history.expectation(kind), None);
    }

    #[test]
    fn a_tight_history_polls_little_early_and_densely_at_the_finish() {
        // 13 s tasks (3 s pending, 10 s processing), as measured.
        let expect = Expectation::from_samples(&[13_000, 13_020, 12_990, 13_010]).unwrap();
        assert_eq!(expect.median, secs(13.005));
        let finish = secs(13.0);
        let (times, _) = polls(&expect, finish + secs(5.0));
        let seen = times.iter().copied().find(|&t| t >= finish).unwrap();
        let queries = times.iter().filter(|&&t| t <= seen).count();
        // A naive 1 s loop asks 13 times; a third of that is 4.
        assert!(queries <= 4, "{queries} queries: {times:?}");
        assert!(seen - finish <= secs(1.0), "seen {:?} late", seen - finish);
        // Nothing in the first ten seconds but the one long wait.
        assert!(times[0] >= secs(12.0), "{times:?}");
    }

    #[test]
    fn outliers_do_not_spread_the_dense_window() {
        // Mostly 13 s, one 70 s and one 1 s task.
        let samples = [13_000, 13_100, 12_900, 13_050, 70_000, 1_000, 12_950];
        let expect = Expectation::from_samples(&samples).unwrap();
        assert!(
            expect.low >= secs(12.0) && expect.high <= secs(14.0),
            "{expect:?}"
        );
        // A typical task is still caught within a second, cheaply.
        let (times, _) = polls(&expect, secs(20.0));
        let seen = times.iter().copied().find(|&t| t >= secs(13.1)).unwrap();
        assert!(seen - secs(13.1) <= secs(1.0));
        assert!(
            times.iter().filter(|&&t| t <= seen).count() <= 4,
            "{times:?}"
        );
        // The outlier runs past the window: the fallback takes over.
        let (_, handed_over) = polls(&expect, secs(70.0));
        assert!(handed_over);
    }

    #[test]
    fn a_long_kind_waits_in_steps_below_the_lease() {
        let expect = Expectation::from_samples(&[120_000, 121_000, 119_000]).unwrap();
        let (times, _) = polls(&expect, secs(125.0));
        let mut previous = Duration::ZERO;
        for t in &times {
            assert!(*t - previous <= SPARSE_MAX, "{times:?}");
            previous = *t;
        }
        assert!(times.len() <= 8, "{times:?}");
    }

    #[test]
    fn kinds_follow_requested_length_and_text_length() {
        let sfx = |d: &str| {
            Kind::of(&CreateRequest::SoundEffects(
                crate::api::SoundEffectsParams {
                    prompt: "x".into(),
                    duration: d.into(),
                    callback_url: None,
                },
            ))
        };
        let tts = |n: usize| {
            Kind::of(&CreateRequest::Tts(crate::api::TtsParams {
                text: "a".repeat(n),
                voice_id: "v".into(),
                voice_language: "en".into(),
                voice_speed: None,
                callback_url: None,
            }))
        };
        assert_eq!(sfx("5.0"), sfx("5"));
        assert_ne!(sfx("5.0"), sfx("10.0"));
        assert_eq!(tts(10), tts(60));
        assert_ne!(tts(10), tts(600));
        assert_ne!(tts(10), sfx("0"));
    }

    #[test]
    fn history_keeps_the_newest_samples() {
        let kind = Kind {
            model: crate::api::Model::Tts,
            bucket: 0,
        };
        let mut history = History::default();
        for _ in 0..MAX_SAMPLES {
            history.record(kind, 60_000);
        }
        for _ in 0..MAX_SAMPLES {
            history.record(kind, 5_000);
        }
        assert_eq!(history.expectation(kind).unwrap().median, secs(5.0));
    }
}
