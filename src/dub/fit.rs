//! Fitting a line to its slot: a voice's speaking rate at speed 1.0,
//! learned from the measured takes in the history (a per-language default
//! until it has [`MIN_SAMPLES`]), the length a line will take at a speed,
//! and the speed that makes it fit, within the API's 0.8-2.0, within
//! `--max-speed`, in the API's tenths.

use crate::store::SpeechSample;

/// Samples a voice needs before its own rate replaces the default.
pub const MIN_SAMPLES: usize = 5;
/// The API's speeds (docs/api.md).
pub const SPEED_MIN: f64 = 0.8;
pub const SPEED_MAX: f64 = 2.0;
/// The pause a voice makes at a sentence end inside a line, counted
/// apart from the characters (it does not follow the speed).
pub const PAUSE_MS: f64 = 350.0;
/// Samples shorter than this tell more about a voice's floor than its
/// rate, and are left out.
const MIN_SAMPLE_CHARS: usize = 20;

/// Characters a second at speed 1.0, silence excluded.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Rate {
    pub chars_per_s: f64,
    /// Measured takes it was learned from (0: the language's default).
    pub samples: usize,
    pub learned: bool,
}

/// The rate klang assumes for a language until a voice has its own:
/// about 14 characters a second for English, 4.5 Chinese characters.
pub fn default_rate(language: &str) -> f64 {
    match language {
        "zh" => 4.5,
        _ => 14.0,
    }
}

/// Sentence ends inside `text` (not at its end), where a voice pauses:
/// `. ! ?` before a space, `。！？` before anything but another end or a
/// closing quote.
pub fn inner_pauses(text: &str) -> usize {
    let chars: Vec<char> = text.trim_end().chars().collect();
    chars
        .windows(2)
        .filter(|w| match w[0] {
            '。' | '！' | '？' => !matches!(w[1], '。' | '！' | '？' | '”' | '」'),
            '.' | '!' | '?' => w[1].is_whitespace(),
            _ => false,
        })
        .count()
}

/// The voice's rate from its samples: the median of each take's rate,
/// once there are [`MIN_SAMPLES`] usable ones.
pub fn learn(samples: &[SpeechSample], language: &str) -> Rate {
    let mut rates: Vec<f64> = samples
        .iter()
        .filter_map(|s| {
            let chars = s.text.chars().count();
            let speech = s.speech_s - PAUSE_MS / 1000.0 * inner_pauses(&s.text) as f64;
            (chars >= MIN_SAMPLE_CHARS && speech > 0.5 && s.speed > 0.0)
                .then(|| chars as f64 / (speech * s.speed))
        })
        .filter(|r| r.is_finite() && (1.0..100.0).contains(r))
        .collect();
    if rates.len() < MIN_SAMPLES {
        return Rate {
            chars_per_s: default_rate(language),
            samples: rates.len(),
            learned: false,
        };
    }
    rates.sort_by(f64::total_cmp);
    let n = rates.len();
    let median = if n % 2 == 1 {
        rates[n / 2]
    } else {
        (rates[n / 2 - 1] + rates[n / 2]) / 2.0
    };
    Rate {
        chars_per_s: median,
        samples: n,
        learned: true,
    }
}

/// How long `text` takes at `speed`, ms (speech only, silent ends not).
pub fn estimate_ms(text: &str, speed: f64, rate: Rate) -> u64 {
    let chars = text.chars().count() as f64;
    let spoken = chars / (rate.chars_per_s * speed) * 1000.0;
    (spoken + PAUSE_MS * inner_pauses(text) as f64).round() as u64
}

/// The slowest speed, in tenths from 1.0 up to `max_speed` (and never
/// past the API's 2.0), at which `text` fits `slot_ms`; `max_speed` when
/// none does. A line that fits at 1.0 is not slowed down.
pub fn choose_speed(text: &str, slot_ms: u64, rate: Rate, max_speed: f64) -> f64 {
    let top = max_speed.clamp(SPEED_MIN, SPEED_MAX);
    let mut tenths = 10u32;
    while f64::from(tenths) / 10.0 < top - 1e-9 {
        if estimate_ms(text, f64::from(tenths) / 10.0, rate) <= slot_ms {
            break;
        }
        tenths += 1;
    }
    (f64::from(tenths) / 10.0).min(top).max(SPEED_MIN.min(top))
}

/// The speed a retake needs for a take of `speed` that spoke for
/// `speech_ms` to fit `room_ms`: scaled by how far it ran over, rounded up
/// to a tenth, within `max_speed`; `None` when it cannot go faster.
pub fn retake_speed(
    text: &str,
    speed: f64,
    speech_ms: u64,
    room_ms: u64,
    max_speed: f64,
) -> Option<f64> {
    let pauses = PAUSE_MS * inner_pauses(text) as f64;
    let spoken = (speech_ms as f64 - pauses).max(1.0);
    let room = (room_ms as f64 - pauses).max(1.0);
    let wanted = (speed * spoken / room * 10.0).ceil() / 10.0;
    let top = max_speed.clamp(SPEED_MIN, SPEED_MAX);
    let next = wanted.min(top);
    (next > speed + 1e-9).then_some((next * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str, speed: f64, speech_s: f64) -> SpeechSample {
        SpeechSample {
            task: 1,
            text: text.into(),
            speed,
            speech_s,
        }
    }

    #[test]
    fn the_default_until_five_samples_then_the_median() {
        let text = "x".repeat(70);
        let few: Vec<_> = (0..4).map(|_| sample(&text, 1.0, 7.0)).collect();
        let r = learn(&few, "en");
        assert!(!r.learned);
        assert_eq!(r.chars_per_s, 14.0);
        assert_eq!(learn(&few, "zh").chars_per_s, 4.5);
        // 70 chars in 3.5 s at 2.0: 10 a second at 1.0.
        let mut five = few.clone();
        five.push(sample(&text, 2.0, 3.5));
        five.push(sample(
            "One. Two three four five six seven.",
            1.0,
            3.5 + 0.35,
        ));
        let r = learn(&five, "en");
        assert!(r.learned && r.samples == 6);
        assert!((r.chars_per_s - 10.0).abs() < 1e-9, "{r:?}");
        // Too short to tell: left out.
        let short: Vec<_> = (0..9).map(|_| sample("Hi.", 1.0, 1.0)).collect();
        assert!(!learn(&short, "en").learned);
    }

    #[test]
    fn the_slowest_speed_that_fits_within_the_limits() {
        let rate = Rate {
            chars_per_s: 10.0,
            samples: 0,
            learned: false,
        };
        let text = "x".repeat(30); // 3 s at 1.0
        assert_eq!(choose_speed(&text, 4_000, rate, 1.3), 1.0);
        assert_eq!(choose_speed(&text, 2_600, rate, 1.3), 1.2);
        assert_eq!(choose_speed(&text, 1_000, rate, 1.3), 1.3);
        assert_eq!(choose_speed(&text, 1_000, rate, 5.0), 2.0);
        assert_eq!(choose_speed(&text, 2_000, rate, 2.0), 1.5);
        assert_eq!(estimate_ms(&text, 1.5, rate), 2_000);
        assert_eq!(retake_speed(&text, 1.0, 3_000, 2_400, 1.3), Some(1.3));
        assert_eq!(retake_speed(&text, 1.0, 3_000, 2_900, 1.3), Some(1.1));
        assert_eq!(retake_speed(&text, 1.3, 3_000, 1_000, 1.3), None);
    }
}
