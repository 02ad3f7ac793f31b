//! The spectrogram in place of the waveform (`v`): time
//! across, frequency up (log scale, 50 Hz to Nyquist), each cell a `▀`
//! whose foreground is the upper of two frequency bands and whose
//! background is the lower one, in viridis: 24-bit where `COLORTERM` says
//! the terminal takes it, else the nearest of xterm's 256; without colour
//! (`NO_COLOR`, basic16) a density ramp of characters, one band pair per
//! cell. The engine computes one spectrogram per file, off the UI task;
//! each pane fits it to its size. Until it arrives the waveform stays.

use crate::audio::format::stats_lines;
use crate::audio::spectrogram::LOWEST_HZ;
use crate::audio::spectrogram::palette::{Rgb, density_char, nearest_256, viridis};
use crate::audio::{AudioStats, Spectrogram};
use crate::tui::state::App;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

/// Rows the spectrogram takes at most (the waveform takes fewer: a
/// spectrogram needs the height to show its bands).
pub const HEIGHT: u16 = 8;

/// How cells are coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colours {
    TrueColour,
    Xterm256,
    /// No colour at all: [`density_char`] of the louder band.
    Ramp,
}

impl Colours {
    pub fn of(app: &App) -> Colours {
        if app.settings.waveform_blocks {
            Colours::Ramp
        } else if app.settings.truecolor {
            Colours::TrueColour
        } else {
            Colours::Xterm256
        }
    }

    fn colour(self, level: f32) -> Color {
        let Rgb(r, g, b) = viridis(level);
        match self {
            Colours::TrueColour => Color::Rgb(r, g, b),
            Colours::Xterm256 | Colours::Ramp => Color::Indexed(nearest_256(Rgb(r, g, b))),
        }
    }
}

/// Draws `spectrogram` fitted to `area`, the highest band at the top.
/// `ramp` styles the characters of [`Colours::Ramp`].
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    spectrogram: &Spectrogram,
    colours: Colours,
    ramp: Style,
) {
    let rows = usize::from(area.height);
    let fitted = spectrogram.fit(usize::from(area.width), rows * 2);
    for (y, row) in (area.top()..area.bottom()).zip(0..rows) {
        let upper = (rows - 1 - row) * 2 + 1;
        for (x, column) in (area.left()..area.right()).zip(0..) {
            let (high, low) = (fitted.level(column, upper), fitted.level(column, upper - 1));
            let Some(cell) = buf.cell_mut(Position::new(x, y)) else {
                continue;
            };
            match colours {
                Colours::Ramp => {
                    cell.set_char(density_char(high.max(low))).set_style(ramp);
                }
                _ => {
                    cell.set_char('▀')
                        .set_fg(colours.colour(high))
                        .set_bg(colours.colour(low));
                }
            }
        }
    }
}

/// Under the figures beside the picture, where there is a row for it: the
/// frequency scale, `50 Hz to 22.05 kHz, log`.
pub fn draw_axis(frame: &mut Frame, figures: Rect, stats: &AudioStats, style: Style) {
    let below = stats_lines(stats).len() as u16;
    if figures.height <= below {
        return;
    }
    let nyquist = crate::audio::format::khz(stats.sample_rate / 2);
    let line = format!("{LOWEST_HZ} Hz to {nyquist}, log");
    let row = Rect {
        y: figures.y + below,
        height: 1,
        ..figures
    };
    frame.render_widget(Paragraph::new(Span::styled(line, style)), row);
}
