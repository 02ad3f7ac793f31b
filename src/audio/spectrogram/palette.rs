//! Colours for spectrogram levels: a perceptual palette (viridis: evenly
//! brighter from dark blue-violet to yellow, readable in greyscale and by
//! most colour-blind eyes), its nearest xterm-256 colour for terminals
//! without 24-bit colour, and a ramp of characters for terminals drawn
//! without colour. Values only; drawing is the dashboard's.

/// A 24-bit colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// matplotlib's viridis (Stéfan van der Walt and Nathaniel Smith, released
/// under CC0): entries 0, 16, 32, ..., 240 and 255 of the 256 in
/// `_viridis_data` of matplotlib's `lib/matplotlib/_cm_listed.py`, scaled
/// to 0..=255 and rounded. Linear interpolation between 17 points stays
/// within one step of the full table.
const VIRIDIS: [Rgb; 17] = [
    Rgb(68, 1, 84),
    Rgb(72, 24, 106),
    Rgb(71, 45, 123),
    Rgb(66, 64, 134),
    Rgb(59, 82, 139),
    Rgb(51, 99, 141),
    Rgb(44, 114, 142),
    Rgb(38, 130, 142),
    Rgb(33, 145, 140),
    Rgb(31, 160, 136),
    Rgb(40, 174, 128),
    Rgb(63, 188, 115),
    Rgb(94, 201, 98),
    Rgb(132, 212, 75),
    Rgb(173, 220, 48),
    Rgb(216, 226, 25),
    Rgb(253, 231, 37),
];

/// Where each control point sits in the 256-entry table.
const VIRIDIS_AT: [u16; 17] = [
    0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 255,
];

/// The palette's colour for `level` (0.0 the floor, 1.0 full scale;
/// anything outside is clamped, a NaN reads as the floor).
pub fn viridis(level: f32) -> Rgb {
    let at = if level.is_nan() {
        0.0
    } else {
        level.clamp(0.0, 1.0) * 255.0
    };
    let upper = VIRIDIS_AT
        .iter()
        .position(|&p| f32::from(p) >= at)
        .unwrap_or(VIRIDIS_AT.len() - 1)
        .max(1);
    let (from, to) = (
        f32::from(VIRIDIS_AT[upper - 1]),
        f32::from(VIRIDIS_AT[upper]),
    );
    let t = (at - from) / (to - from);
    let (a, b) = (VIRIDIS[upper - 1], VIRIDIS[upper]);
    let mix = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The channel levels of xterm's 6x6x6 colour cube (indices 16..=231).
const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// The xterm-256 colour index nearest `colour`: the closest of the colour
/// cube and the 24-step grey ramp (232..=255), by distance weighted for
/// the eye's sensitivity (green most, blue least). The 16 system colours
/// are left out: terminals redefine them.
pub fn nearest_256(colour: Rgb) -> u8 {
    let distance = |c: Rgb| {
        let d = |x: u8, y: u8| i32::from(x) - i32::from(y);
        let (r, g, b) = (d(c.0, colour.0), d(c.1, colour.1), d(c.2, colour.2));
        3 * r * r + 4 * g * g + 2 * b * b
    };
    let nearest_level = |v: u8| {
        (0..CUBE.len())
            .min_by_key(|&i| (i32::from(CUBE[i]) - i32::from(v)).abs())
            .unwrap_or(0)
    };
    let (r, g, b) = (
        nearest_level(colour.0),
        nearest_level(colour.1),
        nearest_level(colour.2),
    );
    let cube = (16 + 36 * r + 6 * g + b) as u8;
    let cube_colour = Rgb(CUBE[r], CUBE[g], CUBE[b]);
    let mean = (u16::from(colour.0) + u16::from(colour.1) + u16::from(colour.2)) / 3;
    let step = (i32::from(mean) - 8).clamp(0, 230) / 10;
    let grey_level = (8 + 10 * step) as u8;
    let grey = 232 + step as u8;
    if distance(Rgb(grey_level, grey_level, grey_level)) < distance(cube_colour) {
        grey
    } else {
        cube
    }
}

/// Characters from empty to full, for terminals drawn without colour
/// (`NO_COLOR`, the basic16 theme): denser for louder.
pub const DENSITY_RAMP: [char; 10] = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];

/// The ramp's character for `level` (clamped to 0..=1; NaN is empty).
pub fn density_char(level: f32) -> char {
    let steps = (DENSITY_RAMP.len() - 1) as f32;
    let level = if level.is_nan() { 0.0 } else { level };
    DENSITY_RAMP[(level.clamp(0.0, 1.0) * steps).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_violet_to_yellow_through_its_published_midpoint() {
        assert_eq!(viridis(0.0), Rgb(68, 1, 84)); // #440154
        assert_eq!(viridis(128.0 / 255.0), Rgb(33, 145, 140)); // #21918c
        assert_eq!(viridis(1.0), Rgb(253, 231, 37)); // #fde725
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(f32::NAN), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
        // Perceptually ordered: louder is always brighter.
        let luma = |c: Rgb| 2 * u32::from(c.0) + 7 * u32::from(c.1) + u32::from(c.2);
        let steps: Vec<u32> = (0..=100).map(|i| luma(viridis(i as f32 / 100.0))).collect();
        assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
    }

    #[test]
    fn nearest_256_picks_the_cube_or_the_grey_ramp() {
        assert_eq!(nearest_256(Rgb(0, 0, 0)), 16);
        assert_eq!(nearest_256(Rgb(255, 255, 255)), 231);
        assert_eq!(nearest_256(Rgb(255, 0, 0)), 196);
        assert_eq!(nearest_256(Rgb(128, 128, 128)), 244); // grey 128
        assert_eq!(nearest_256(Rgb(95, 135, 175)), 67); // exactly in the cube
        // Viridis' ends: dark violet and yellow.
        assert_eq!(nearest_256(viridis(0.0)), 53); // #5f005f
        assert_eq!(nearest_256(viridis(1.0)), 220); // #ffd700
    }

    #[test]
    fn density_ramp_fills_with_the_level() {
        assert_eq!(density_char(0.0), ' ');
        assert_eq!(density_char(0.04), ' ');
        assert_eq!(density_char(0.5), '+');
        assert_eq!(density_char(1.0), '@');
        assert_eq!(density_char(2.0), '@');
        assert_eq!(density_char(f32::NAN), ' ');
    }
}
