//! Where playback is: a cursor column over the waveform (or spectrogram)
//! of the take that plays, from the moment the player started. The loop
//! ticks at most [`PLAYHEAD_TICK`] apart, and only while something plays,
//! so an idle dashboard still writes nothing.

use crate::audio::Analysis;
use crate::tui::app::App;
use crate::tui::details::playback::Playback;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use std::time::Duration;

/// 10 redraws a second at most while a take plays.
pub const PLAYHEAD_TICK: Duration = Duration::from_millis(100);

impl App {
    /// How far through `analysis`'s file the player is, 0..=1; None when
    /// nothing plays or the length is unknown.
    pub fn playhead_fraction(&self, analysis: &Analysis) -> Option<f64> {
        let Playback::Playing(_) = self.playback else {
            return None;
        };
        let started = self.playing_since?;
        let length = analysis.stats.duration_s;
        (length > 0.0).then(|| (started.elapsed().as_secs_f64() / length).clamp(0.0, 1.0))
    }
}

/// Draws the playhead as a bar down the column at `fraction` of `area`.
pub fn draw(frame: &mut Frame, area: Rect, fraction: Option<f64>, style: Style) {
    let Some(fraction) = fraction else {
        return;
    };
    if area.is_empty() {
        return;
    }
    let last = f64::from(area.width - 1);
    let x = area.x + (fraction * last).round() as u16;
    let buffer = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        if let Some(cell) = buffer.cell_mut((x, y)) {
            cell.set_style(style).set_symbol("┃");
        }
    }
}
