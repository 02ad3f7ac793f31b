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
use crate::engine::spectrograms::StoredSpectrogram;
use crate::store::TaskRecord;
use crate::tui::app::{App, Command};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// Rows the spectrogram takes at most (the waveform takes fewer: a
/// spectrogram needs the height to show its bands).
pub const HEIGHT: u16 = 8;

/// Spectrograms kept (100 KB each): the ones that arrived last.
const KEPT: usize = 16;

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
        if app.waveform_blocks {
            Colours::Ramp
        } else if app.truecolor {
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

/// The spectrograms that arrived, and the ones asked for.
#[derive(Default)]
pub(crate) struct Spectrograms {
    by_task: HashMap<i64, Arc<StoredSpectrogram>>,
    /// Oldest arrival first, for dropping past [`KEPT`].
    arrived: VecDeque<i64>,
    requested: HashSet<(i64, String)>,
}

impl Spectrograms {
    pub fn insert(&mut self, id: i64, spectrogram: Arc<StoredSpectrogram>) {
        self.arrived.retain(|&other| other != id);
        self.arrived.push_back(id);
        self.by_task.insert(id, spectrogram);
        while self.arrived.len() > KEPT {
            let Some(old) = self.arrived.pop_front() else {
                break;
            };
            self.by_task.remove(&old);
            // Asked for again when shown again.
            self.requested.retain(|(task, _)| *task != old);
        }
    }

    /// A new file for `id` (a broken one replaced in place): what was
    /// made of the old one, or asked for it, no longer holds.
    pub fn forget(&mut self, id: i64) {
        self.by_task.remove(&id);
        self.arrived.retain(|&other| other != id);
        self.requested.retain(|(task, _)| *task != id);
    }

    fn answer_for(&self, record: &TaskRecord) -> Option<&StoredSpectrogram> {
        self.by_task
            .get(&record.id)
            .map(Arc::as_ref)
            .filter(|s| s.is_for(record))
    }
}

impl App {
    /// `record`'s spectrogram, if it has arrived for its current file.
    pub fn spectrogram_of(&self, record: &TaskRecord) -> Option<&Spectrogram> {
        self.spectrograms.answer_for(record)?.outcome.as_ref().ok()
    }

    /// Asks for `record`'s spectrogram when its file is measured (and
    /// decodable) and none was asked for yet: once per task and file.
    pub fn request_spectrogram(&mut self, record: &TaskRecord) -> Option<Command> {
        if !self.wants_spectrogram(record) {
            return None;
        }
        let path = record.local_path.clone()?;
        self.spectrograms
            .requested
            .insert((record.id, path))
            .then_some(Command::Spectrogram(record.id))
    }

    /// Whether `record`'s spectrogram is yet to be asked for: a measured
    /// file with no spectrogram made or asked for.
    pub(crate) fn wants_spectrogram(&self, record: &TaskRecord) -> bool {
        let Some(path) = &record.local_path else {
            return false;
        };
        self.analysis_of(record).is_some_and(|a| a.outcome.is_ok())
            && self.spectrograms.answer_for(record).is_none()
            && !self
                .spectrograms
                .requested
                .contains(&(record.id, path.clone()))
    }

    /// The selected task's spectrogram, while spectrograms are shown.
    pub(crate) fn request_missing_spectrogram(&mut self) -> Option<Command> {
        if !self.spectrogram {
            return None;
        }
        // Copied only when it is to be asked for: this runs after every
        // message.
        let record = self
            .selected()
            .filter(|r| self.wants_spectrogram(r))?
            .clone();
        self.request_spectrogram(&record)
    }
}
