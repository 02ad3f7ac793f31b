//! The selected result's waveform and figures, at the top of the details
//! pane. Braille through a ratatui `Canvas`; block characters for themes
//! without colour or with the basic 16 (`basic16`, `NO_COLOR`), whose
//! terminals may lack braille fonts. Drawn from the stored peaks, so a
//! resize only narrows or widens them: nothing is decoded again.

use crate::audio::format::stats_lines;
use crate::audio::{Analysis, Peak};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine};

/// Rows the waveform takes, and the narrowest pane that gets one.
pub const HEIGHT: u16 = 4;
pub const MIN_WIDTH: u16 = 30;
/// Columns for the figures beside the waveform.
const STATS_WIDTH: u16 = 26;

/// Draws the waveform and the figures into `area` (HEIGHT rows); returns
/// where the waveform itself went (for the playhead).
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    analysis: &Analysis,
    blocks: bool,
    wave: Style,
    text: Style,
) -> Rect {
    let [wave_area, stats_area] = split(area);
    if blocks {
        frame.render_widget(
            Paragraph::new(block_rows(analysis, wave_area)).style(wave),
            wave_area,
        );
    } else {
        draw_braille(frame, wave_area, analysis, wave);
    }
    draw_stats(frame, stats_area, analysis, text);
    wave_area
}

/// The picture's place and, where the pane is wide enough, the figures'.
pub fn split(area: Rect) -> [Rect; 2] {
    if area.width >= MIN_WIDTH + STATS_WIDTH {
        Layout::horizontal([Constraint::Min(MIN_WIDTH), Constraint::Length(STATS_WIDTH)])
            .spacing(1)
            .areas(area)
    } else {
        [area, Rect::default()]
    }
}

/// One row of waveform for the takes view: braille (or blocks, as above)
/// from the same stored peaks as the details, as wide as `area`.
pub fn strip(frame: &mut Frame, area: Rect, analysis: &Analysis, blocks: bool, wave: Style) {
    if area.is_empty() {
        return;
    }
    if blocks {
        frame.render_widget(Paragraph::new(block_rows(analysis, area)).style(wave), area);
    } else {
        draw_braille(frame, area, analysis, wave);
    }
}

/// The figures beside the picture (nothing in an empty area).
pub fn draw_stats(frame: &mut Frame, area: Rect, analysis: &Analysis, text: Style) {
    if area.is_empty() {
        return;
    }
    let lines: Vec<Line> = stats_lines(&analysis.stats)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, text)))
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// The loudest column's amplitude: the drawing is scaled to it, so a
/// quiet result still shows its shape (the level is in the figures).
fn scale(columns: &[Peak]) -> f64 {
    let loudest = columns
        .iter()
        .map(|p| p.min.abs().max(p.max.abs()))
        .fold(0.0f32, f32::max);
    if loudest > 0.0 {
        1.0 / f64::from(loudest)
    } else {
        1.0
    }
}

fn draw_braille(frame: &mut Frame, area: Rect, analysis: &Analysis, style: Style) {
    // Two braille dots per cell across, four down.
    let width = usize::from(area.width) * 2;
    let columns = analysis.peaks.downsample(width);
    let k = scale(&columns);
    let canvas = Canvas::default()
        .marker(Marker::Braille)
        .x_bounds([0.0, width.max(1) as f64])
        .y_bounds([-1.0, 1.0])
        .paint(move |ctx| {
            for (x, p) in columns.iter().enumerate() {
                let x = x as f64 + 0.5;
                // A silent column still shows as a dot on the centre line.
                let (lo, hi) = (f64::from(p.min) * k, f64::from(p.max) * k);
                ctx.draw(&CanvasLine {
                    x1: x,
                    y1: lo.min(-0.01),
                    x2: x,
                    y2: hi.max(0.01),
                    color: style.fg.unwrap_or_default(),
                });
            }
        });
    frame.render_widget(canvas, area);
}

/// The envelope as bars of eighth blocks, rising from the bottom row.
fn block_rows(analysis: &Analysis, area: Rect) -> Vec<Line<'static>> {
    const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let columns = analysis.peaks.downsample(usize::from(area.width));
    let k = scale(&columns);
    let rows = usize::from(area.height.max(1));
    let levels: Vec<usize> = columns
        .iter()
        .map(|p| {
            let a = f64::from(p.min.abs().max(p.max.abs())) * k;
            ((a * (rows * 8) as f64).ceil() as usize).clamp(1, rows * 8)
        })
        .collect();
    (0..rows)
        .map(|row| {
            let floor = (rows - 1 - row) * 8;
            let text: String = levels
                .iter()
                .map(|&l| EIGHTHS[l.saturating_sub(floor).min(8)])
                .collect();
            Line::from(text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{AudioStats, Peaks};

    fn analysis() -> Analysis {
        Analysis {
            stats: AudioStats {
                duration_s: 2.0,
                sample_rate: 44_100,
                channels: 1,
                peak_dbfs: Some(-6.0),
                true_peak_dbtp: Some(-5.8),
                loudness_lufs: Some(-20.0),
                loudness_range_lu: Some(2.0),
                leading_silence_s: 0.0,
                trailing_silence_s: 0.0,
            },
            peaks: Peaks::new(
                (0..100)
                    .map(|i| {
                        let a = i as f32 / 200.0;
                        Peak { min: -a, max: a }
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn block_bars_fill_the_height_at_the_loudest_column() {
        let rows = block_rows(&analysis(), Rect::new(0, 0, 10, 3));
        assert_eq!(rows.len(), 3);
        let top = rows[0].to_string();
        let bottom = rows[2].to_string();
        assert_eq!(top.chars().count(), 10);
        assert!(top.ends_with('█') && top.starts_with(' '), "{top:?}");
        assert!(bottom.chars().all(|c| c != ' '), "{bottom:?}");
    }
}
