//! A one-line waveform in text, for the CLI and for terminals drawn
//! without braille: the loudness envelope as bar heights.

use super::Peaks;

/// Which characters draw the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Glyphs {
    /// `▁▂▃▄▅▆▇█`: one column per character; any terminal font has them.
    Blocks,
    /// Braille bars: two columns per character, four levels each.
    Braille,
}

const BLOCKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Bit of each braille dot, bottom row first, for the left and right column
/// (U+2800 + bits).
const BRAILLE_LEFT: [u32; 4] = [0x40, 0x04, 0x02, 0x01];
const BRAILLE_RIGHT: [u32; 4] = [0x80, 0x20, 0x10, 0x08];

/// `width` characters showing the envelope (the larger of |min| and |max|
/// per column), scaled so the loudest column is full height: the shape
/// matters here, the level is in the figures beside it. Silence is a row
/// of the lowest bar, so the line is visible.
pub fn text_waveform(peaks: &Peaks, width: usize, glyphs: Glyphs) -> String {
    let columns = match glyphs {
        Glyphs::Blocks => width,
        Glyphs::Braille => width * 2,
    };
    let mut levels: Vec<f32> = peaks
        .downsample(columns)
        .iter()
        .map(|p| p.min.abs().max(p.max.abs()).clamp(0.0, 1.0))
        .collect();
    let loudest = levels.iter().copied().fold(0.0f32, f32::max);
    if loudest > 0.0 {
        levels.iter_mut().for_each(|l| *l /= loudest);
    }
    match glyphs {
        Glyphs::Blocks => levels.iter().map(|&a| BLOCKS[level(a, 8).max(1)]).collect(),
        Glyphs::Braille => levels
            .chunks(2)
            .map(|pair| {
                let dots =
                    |a: f32, bits: &[u32; 4]| -> u32 { bits.iter().take(level(a, 4).max(1)).sum() };
                let left = dots(pair[0], &BRAILLE_LEFT);
                let right = pair.get(1).map_or(0, |&a| dots(a, &BRAILLE_RIGHT));
                char::from_u32(0x2800 + left + right).unwrap_or(' ')
            })
            .collect(),
    }
}

/// 0..=steps for an amplitude in 0..=1 (rounded up, so any sound shows).
fn level(amplitude: f32, steps: usize) -> usize {
    ((amplitude * steps as f32).ceil() as usize).min(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::Peak;

    fn ramp() -> Peaks {
        Peaks::new(
            (0..16)
                .map(|i| {
                    let a = i as f32 / 15.0;
                    Peak { min: -a, max: a }
                })
                .collect(),
        )
    }

    #[test]
    fn blocks_rise_with_the_envelope() {
        let line = text_waveform(&ramp(), 8, Glyphs::Blocks);
        assert_eq!(line.chars().count(), 8);
        assert!(line.starts_with('▁'), "{line}");
        assert!(line.ends_with('█'), "{line}");
    }

    #[test]
    fn braille_packs_two_columns_per_character() {
        let line = text_waveform(&ramp(), 4, Glyphs::Braille);
        assert_eq!(line.chars().count(), 4);
        assert!(line.chars().all(|c| ('\u{2800}'..='\u{28FF}').contains(&c)));
        assert_eq!(line.chars().last(), Some('⣿'));
        assert!(text_waveform(&Peaks::default(), 4, Glyphs::Braille).is_empty());
    }
}
