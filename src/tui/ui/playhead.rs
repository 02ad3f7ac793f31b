//! Where playback is: a cursor column over the waveform (or spectrogram)
//! of the take that plays, from the moment the player started. The loop
//! ticks at most `state::timing::PLAYHEAD_TICK` apart, and only while something plays,
//! so an idle dashboard still writes nothing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;

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
