//! The levels of an assembly: each chunk to the program's median speech
//! loudness, then one program gain to the target under the true-peak
//! ceiling. Never each chunk to the target on its own: a narration keeps
//! one level, and the ceiling is the whole program's.
//!
//! The program's loudness after the chunk gains is worked out from each
//! chunk's gating blocks, each moved by its chunk's gain, gated as EBU
//! R128 gates (absolute at -70 LUFS, relative 10 LU under the mean). The
//! blocks that would straddle two chunks and the silence between them are
//! left out; silence falls under the gates anyway.

use super::scan::Measured;

const ABSOLUTE_GATE_LUFS: f64 = -70.0;
const RELATIVE_GATE_LU: f64 = -10.0;

/// The gains chosen, dB.
#[derive(Clone, Debug, PartialEq)]
pub struct Levels {
    /// Each chunk's own gain, to the median.
    pub chunk_db: Vec<f64>,
    /// The one gain for the whole program.
    pub program_db: f64,
    pub median_lufs: f64,
    pub limited_by_ceiling: bool,
}

pub fn plan(chunks: &[&Measured], target_lufs: f64, ceiling_dbtp: f64) -> Levels {
    let median = median(chunks.iter().filter_map(|c| c.lufs).collect());
    // A chunk that cannot be measured keeps its level.
    let chunk_db: Vec<f64> = chunks
        .iter()
        .map(|c| match (c.lufs, median) {
            (Some(l), Some(m)) => m - l,
            _ => 0.0,
        })
        .collect();
    let blocks = chunks
        .iter()
        .zip(&chunk_db)
        .flat_map(|(c, g)| c.blocks.iter().map(move |&b| f64::from(b) + g));
    let program = gated_loudness(blocks).or(median);
    let peak = chunks
        .iter()
        .zip(&chunk_db)
        .map(|(c, g)| c.true_peak_db + g)
        .fold(f64::NEG_INFINITY, f64::max);
    let wanted = program.map_or(0.0, |l| target_lufs - l);
    let room = ceiling_dbtp - peak;
    Levels {
        chunk_db,
        program_db: wanted.min(room),
        median_lufs: median.unwrap_or(f64::NAN),
        limited_by_ceiling: room < wanted,
    }
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

fn loudness(energy: f64) -> f64 {
    -0.691 + 10.0 * energy.log10()
}

/// BS.1770 integrated loudness of gating blocks given as LUFS.
fn gated_loudness(blocks: impl Iterator<Item = f64> + Clone) -> Option<f64> {
    let mean = |floor: f64| {
        let (sum, n) = blocks
            .clone()
            .filter(|&b| b.is_finite() && b > floor)
            .fold((0.0, 0usize), |(s, n), b| (s + energy(b), n + 1));
        (n > 0).then(|| sum / n as f64)
    };
    let relative = loudness(mean(ABSOLUTE_GATE_LUFS)?) + RELATIVE_GATE_LU;
    mean(relative.max(ABSOLUTE_GATE_LUFS)).map(loudness)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(lufs: f64, peak: f64) -> Measured {
        Measured {
            rate: 24_000,
            channels: 1,
            frames: 240_000,
            speech: 0..240_000,
            lufs: Some(lufs),
            true_peak_db: peak,
            blocks: vec![lufs as f32; 96],
            pauses: Vec::new(),
        }
    }

    #[test]
    fn chunks_meet_at_the_median_then_the_program_reaches_the_target() {
        let chunks = [chunk(-20.0, -6.0), chunk(-28.0, -14.0), chunk(-24.0, -10.0)];
        let refs: Vec<&Measured> = chunks.iter().collect();
        let l = plan(&refs, -16.0, -1.5);
        assert_eq!(l.median_lufs, -24.0);
        assert_eq!(l.chunk_db, [-4.0, 4.0, 0.0]);
        assert!((l.program_db - 8.0).abs() < 1e-9, "{l:?}");
        assert!(!l.limited_by_ceiling);
    }

    #[test]
    fn the_ceiling_is_the_loudest_peak_after_the_chunk_gains() {
        // Every chunk ends at -24 LUFS; the first peaks at -6 + 0 = -6 dBTP
        // there, so the program may rise 4.5 dB, not the 8 the target asks.
        let chunks = [chunk(-24.0, -6.0), chunk(-24.0, -12.0)];
        let refs: Vec<&Measured> = chunks.iter().collect();
        let l = plan(&refs, -16.0, -1.5);
        assert!((l.program_db - 4.5).abs() < 1e-9, "{l:?}");
        assert!(l.limited_by_ceiling);
    }

    #[test]
    fn quiet_blocks_fall_under_the_relative_gate() {
        let mut blocks = vec![-20.0; 100];
        blocks.extend(vec![-45.0; 100]);
        blocks.extend(vec![f64::NEG_INFINITY; 50]);
        let l = gated_loudness(blocks.into_iter()).unwrap();
        assert!((l + 20.0).abs() < 1e-9, "{l}");
        assert_eq!(median(vec![3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }
}
