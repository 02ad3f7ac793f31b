//! Cues become the lines sent: each cue one line (a cue longer than one
//! call takes is split as narration splits, its parts sharing its slot by
//! their length), each with its slot: from its start to the next cue's
//! start, at most [`MAX_TAIL_MS`] past its own end.

use super::Cue;
use crate::pieces::split::split;

/// How far past its cue's end a line may run when the next cue is
/// later: beyond this the voice is off the picture.
pub const MAX_TAIL_MS: u64 = 1_000;

/// One line to speak.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub cue: usize,
    /// 1-based; more than one for a cue over 1,000 characters.
    pub part: usize,
    pub text: String,
    pub speaker: Option<String>,
    pub cue_start_ms: u64,
    pub cue_end_ms: u64,
    /// Where it should start and the time it may take.
    pub slot_start_ms: u64,
    pub slot_ms: u64,
    /// Where the next line should start (`None` for the last).
    pub next_start_ms: Option<u64>,
}

pub fn lines(cues: &[Cue]) -> Vec<Line> {
    let mut out = Vec::with_capacity(cues.len());
    for (i, cue) in cues.iter().enumerate() {
        let next = cues[i + 1..]
            .iter()
            .map(|c| c.start_ms)
            .find(|&s| s > cue.start_ms);
        let own_end = cue.end_ms.max(cue.start_ms) + MAX_TAIL_MS;
        let slot_end = next.map_or(own_end, |n| n.min(own_end));
        let slot = slot_end.saturating_sub(cue.start_ms).max(1);
        let parts: Vec<String> = if cue.text.chars().count() > crate::pieces::split::MAX_CHARS {
            split(&cue.text)
                .chunks
                .into_iter()
                .map(|c| c.text)
                .collect()
        } else {
            vec![cue.text.clone()]
        };
        let total: usize = parts
            .iter()
            .map(|p| p.chars().count())
            .sum::<usize>()
            .max(1);
        let mut before = 0usize;
        let count = parts.len();
        for (p, text) in parts.into_iter().enumerate() {
            let chars = text.chars().count();
            let start = cue.start_ms + (slot as f64 * before as f64 / total as f64) as u64;
            let end = cue.start_ms + (slot as f64 * (before + chars) as f64 / total as f64) as u64;
            before += chars;
            out.push(Line {
                cue: cue.number,
                part: p + 1,
                text,
                speaker: cue.speaker.clone(),
                cue_start_ms: cue.start_ms,
                cue_end_ms: cue.end_ms,
                slot_start_ms: start,
                slot_ms: end.saturating_sub(start).max(1),
                next_start_ms: if p + 1 < count { Some(end) } else { next },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(number: usize, start_ms: u64, end_ms: u64, text: &str) -> Cue {
        Cue {
            number,
            start_ms,
            end_ms,
            text: text.into(),
            speaker: None,
            line: 1,
        }
    }

    #[test]
    fn a_slot_runs_to_the_next_cue_at_most_a_second_past_its_end() {
        let l = lines(&[
            cue(1, 0, 2_000, "a"),
            cue(2, 2_500, 4_000, "b"),
            cue(3, 9_000, 10_000, "c"),
        ]);
        assert_eq!(
            l.iter().map(|l| l.slot_ms).collect::<Vec<_>>(),
            [2_500, 2_500, 2_000]
        );
        assert_eq!(l[1].next_start_ms, Some(9_000));
        assert_eq!(l[2].next_start_ms, None);
    }

    #[test]
    fn a_long_cue_is_split_and_its_parts_share_the_slot() {
        let sentence = "The quick brown fox jumps over the lazy dog again. ";
        let text = sentence.repeat(30);
        let l = lines(&[cue(1, 1_000, 61_000, text.trim_end())]);
        assert_eq!(l.len(), 2);
        assert!(l.iter().all(|l| l.text.chars().count() <= 1_000));
        assert_eq!(l[0].slot_start_ms, 1_000);
        assert_eq!(l[1].slot_start_ms, l[0].next_start_ms.unwrap());
        assert_eq!((l[0].part, l[1].part), (1, 2));
    }
}
