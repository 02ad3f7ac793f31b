//! How the sandbox speaks, like a service: a TTS result lasts as long as
//! its text takes at its speed (0.07 s a character at 1.0), pauses at
//! each sentence end inside the text, starts and ends with 0.1-0.5 s of
//! silence, and comes at a level that differs by a few dB from task to
//! task. Assembly (`klang speak`) is tested against this.
//!
//! The silences and the level follow from the task's seed, so any sandbox
//! renders them alike. Where the pauses fall needs the text: a sandbox
//! remembers it for the tasks it created; one restarted since renders
//! the speech without inner pauses.

/// Length of the pause at a sentence end inside the text.
pub const PAUSE_CS: u32 = 35;
const CS_PER_CHAR: f64 = 7.0;
const MIN_SPEECH_CS: u32 = 100;

/// Centiseconds of speech for `text` at `speed` (1.0 when not given),
/// pauses included, silent ends not.
pub fn speech_cs(text: &str, speed: Option<f64>) -> u32 {
    let speed = speed.filter(|s| s.is_finite() && *s > 0.0).unwrap_or(1.0);
    let chars = text.chars().count() as f64;
    let spoken = ((chars * CS_PER_CHAR / speed).round() as u32).max(MIN_SPEECH_CS);
    spoken + PAUSE_CS * sentence_ends(text).len() as u32
}

/// Where sentences end inside `text` (not at its end), as fractions of
/// its characters: `. ! ?` before a space, `。！？` anywhere.
pub fn sentence_ends(text: &str) -> Vec<f64> {
    let chars: Vec<char> = text.trim_end().chars().collect();
    let n = chars.len();
    let mut out = Vec::new();
    for i in 0..n.saturating_sub(1) {
        let c = chars[i];
        let next = chars[i + 1];
        let ends = match c {
            '。' | '！' | '？' => !matches!(next, '。' | '！' | '？' | '”' | '」'),
            '.' | '!' | '?' => next.is_whitespace(),
            _ => false,
        };
        if ends {
            out.push((i + 1) as f64 / n as f64);
        }
    }
    out
}

/// Silence before and after the speech, and the level, from the seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edges {
    pub lead_cs: u32,
    pub trail_cs: u32,
    /// Steps of 1.5 dB, -3 to +3 (an MP3 frame's global gain moves in
    /// these steps; a WAV is scaled by the same amount).
    pub gain_steps: i32,
}

impl Edges {
    pub fn from_seed(seed: u32) -> Edges {
        let mix = seed.wrapping_mul(0x9e37_79b9).rotate_left(7) ^ seed;
        Edges {
            lead_cs: 10 + mix % 41,
            trail_cs: 10 + (mix >> 8) % 41,
            gain_steps: ((mix >> 16) % 7) as i32 - 3,
        }
    }

    pub fn gain(self) -> f32 {
        2f32.powf(self.gain_steps as f32 / 4.0)
    }
}

/// Where the pauses of a TTS result start, in centiseconds from the start
/// of its file, for a task whose silent ends are `edges`.
pub fn pause_starts(text: &str, speed: Option<f64>, edges: Edges) -> Vec<u32> {
    let ends = sentence_ends(text);
    let spoken = speech_cs(text, speed) - PAUSE_CS * ends.len() as u32;
    ends.iter()
        .enumerate()
        .map(|(i, f)| edges.lead_cs + (f * f64::from(spoken)).round() as u32 + PAUSE_CS * i as u32)
        .collect()
}

/// The shape of one TTS result over its `audio_cs`: silent at both ends
/// and in each pause, with 5 ms ramps so nothing clicks.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    pub edges: Edges,
    pub audio_cs: u32,
    pub pauses: Vec<u32>,
}

impl Shape {
    /// The silent stretches, in seconds (the ends open).
    pub fn silences(&self) -> Vec<(f64, f64)> {
        let cs = |x: u32| f64::from(x) / 100.0;
        let mut silent = vec![
            (f64::NEG_INFINITY, cs(self.edges.lead_cs)),
            (
                cs(self.audio_cs.saturating_sub(self.edges.trail_cs)),
                f64::INFINITY,
            ),
        ];
        silent.extend(self.pauses.iter().map(|&p| (cs(p), cs(p + PAUSE_CS))));
        silent
    }

    /// 0 (silent) to 1 (speech) at `t` seconds.
    pub fn envelope(&self, t: f64) -> f32 {
        level(&self.silences(), t)
    }
}

/// 0 inside any of `silences`, 1 more than 5 ms from all of them, a ramp
/// between, at `t` seconds.
pub fn level(silences: &[(f64, f64)], t: f64) -> f32 {
    const RAMP: f64 = 0.005;
    let mut level: f64 = 1.0;
    for &(a, b) in silences {
        let inside = if t < a {
            ((a - t) / RAMP).min(1.0)
        } else if t > b {
            ((t - b) / RAMP).min(1.0)
        } else {
            0.0
        };
        level = level.min(inside);
    }
    level as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_follows_text_and_speed() {
        let text = "x".repeat(100);
        assert_eq!(speech_cs(&text, None), 700);
        assert_eq!(speech_cs(&text, Some(2.0)), 350);
        assert_eq!(speech_cs("One. Two. Three.", None), 112 + 2 * PAUSE_CS);
        assert_eq!(sentence_ends("你好。再见。"), vec![0.5]);
    }

    #[test]
    fn edges_and_levels_vary_by_seed_within_bounds() {
        let all: Vec<Edges> = (0..500).map(Edges::from_seed).collect();
        assert!(all.iter().all(|e| (10..=50).contains(&e.lead_cs)));
        assert!(all.iter().all(|e| (10..=50).contains(&e.trail_cs)));
        let steps: std::collections::BTreeSet<i32> = all.iter().map(|e| e.gain_steps).collect();
        assert_eq!(
            steps.into_iter().collect::<Vec<_>>(),
            vec![-3, -2, -1, 0, 1, 2, 3]
        );
    }

    #[test]
    fn the_shape_is_silent_at_the_ends_and_in_pauses() {
        let edges = Edges {
            lead_cs: 20,
            trail_cs: 30,
            gain_steps: 0,
        };
        let shape = Shape {
            edges,
            audio_cs: 500,
            pauses: pause_starts("One two. Three four.", None, edges),
        };
        assert_eq!(shape.envelope(0.1), 0.0);
        assert_eq!(shape.envelope(4.8), 0.0);
        assert_eq!(shape.envelope(0.5), 1.0);
        let p = f64::from(shape.pauses[0]) / 100.0;
        assert_eq!(shape.envelope(p + 0.1), 0.0);
    }
}
