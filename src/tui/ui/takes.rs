//! The takes view's rows: number, state, a waveform strip as wide as the
//! row allows, then length, peak and loudness, and a ★ for starred. The
//! figures give way before the waveform does on a narrow terminal: at 80
//! columns the peak goes, and below that the length.

use crate::audio::Analysis;
use crate::store::{LocalState, TaskRecord};
use crate::tui::state::App;
use crate::tui::ui::table::{state_label, state_style};
use crate::tui::ui::{playhead, spectrogram, waveform};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Columns before the waveform: cursor, take number, state glyph.
const LEAD: u16 = 8;
const LENGTH: u16 = 8;
const PEAK: u16 = 11;
const LOUDNESS: u16 = 11;
const STAR: u16 = 2;
/// The waveform never gets narrower than this; figures go first.
const WAVE_MIN: u16 = 12;
/// A take's spectrogram strip: 4 rows, 8 frequency bands.
pub(crate) const SPECTROGRAM_ROWS: u16 = 4;

/// Which figures fit beside a waveform of at least [`WAVE_MIN`].
#[derive(Clone, Copy)]
struct Columns {
    length: bool,
    peak: bool,
    wave: u16,
}

fn columns(width: u16) -> Columns {
    let fixed = LEAD + LOUDNESS + STAR;
    let room = width.saturating_sub(fixed);
    let length = room >= WAVE_MIN + LENGTH;
    let peak = room >= WAVE_MIN + LENGTH + PEAK + 30;
    let wave = room
        .saturating_sub(if length { LENGTH } else { 0 })
        .saturating_sub(if peak { PEAK } else { 0 });
    Columns { length, peak, wave }
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let Some(view) = &app.selection.takes else {
        return;
    };
    let t = &app.settings.theme;
    let shown = view.shown();
    let title = format!(
        " Takes of group {} · {} take{}{} ",
        view.group,
        shown.len(),
        if shown.len() == 1 { "" } else { "s" },
        if view.loading { " · loading" } else { "" },
    );
    let hint = format!(
        " {} plays (matched loudness) · {} stars · {} discards · {} closes ",
        app.key_name(crate::tui::keys::action::Action::Play),
        app.key_name(crate::tui::keys::action::Action::Star),
        app.key_name(crate::tui::keys::action::Action::Discard),
        app.key_name(crate::tui::keys::action::Action::Back),
    );
    let block = Block::bordered()
        .title(Span::styled(title, t.title))
        .title_bottom(Span::styled(hint, t.muted))
        .border_style(t.border_focus);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cols = columns(inner.width);
    let cursor = view.cursor();
    let row_height = row_height(app, inner.height, shown.len());
    // Scrolled so the cursor's row is on screen.
    let height = usize::from((inner.height / row_height).max(1));
    let first = cursor.saturating_sub(height - 1);
    for (row, take) in shown.iter().enumerate().skip(first).take(height) {
        let y = inner.y + (row - first) as u16 * row_height;
        let line = Rect::new(inner.x, y, inner.width, row_height).intersection(inner);
        let number = view.take_number(take.id).unwrap_or(0);
        draw_row(frame, app, line, take, number, row == cursor, cols);
    }
    if let Some(id) = app.overlays.confirm_discard {
        let key = app.key_name(crate::tui::keys::action::Action::Discard);
        let ask = format!(
            " discard take #{id}? its file is deleted, the row kept · {key} again: yes · any other key: no "
        );
        let y = inner.y + inner.height.saturating_sub(1);
        frame.render_widget(
            Paragraph::new(Span::styled(ask, t.error)),
            Rect::new(inner.x, y, inner.width, 1),
        );
    }
}

/// Rows per take: one for a waveform strip; with `v`, a spectrogram
/// strip of [`SPECTROGRAM_ROWS`] where every take has that much room (a
/// spectrogram one row high is two frequency bands: no picture at all).
fn row_height(app: &App, height: u16, takes: usize) -> u16 {
    let room = usize::from(height) / takes.max(1);
    if app.spectrogram
        && takes <= crate::tui::state::timing::SPECTROGRAM_TAKES
        && room >= usize::from(SPECTROGRAM_ROWS)
    {
        SPECTROGRAM_ROWS
    } else {
        1
    }
}

fn draw_row(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    take: &TaskRecord,
    number: usize,
    selected: bool,
    cols: Columns,
) {
    let t = &app.settings.theme;
    let (glyph, _) = state_label(take.state, app.spinner);
    let lead = format!("{}{number:>3} {glyph} ", if selected { "▶ " } else { "  " });
    let row_style = if selected {
        t.selected
    } else {
        Style::default()
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![Span::styled(
            lead,
            state_style(t, take.state),
        )]))
        .style(row_style),
        Rect::new(area.x, area.y, LEAD.min(area.width), 1),
    );
    let wave = Rect::new(area.x + LEAD, area.y, cols.wave, area.height).intersection(area);
    let analysis = app.analysis_of(take).and_then(|a| a.outcome.as_ref().ok());
    let picture = (area.height >= SPECTROGRAM_ROWS)
        .then(|| app.spectrogram_of(take))
        .flatten();
    match analysis {
        Some(a) => {
            let drawn = match picture {
                Some(s) => {
                    let colours = spectrogram::Colours::of(app);
                    spectrogram::draw(frame.buffer_mut(), wave, s, colours, t.accent);
                    wave
                }
                // Until its spectrogram arrives, the waveform stays.
                None => {
                    let strip = Rect { height: 1, ..wave };
                    waveform::strip(frame, strip, a, app.settings.waveform_blocks, t.accent);
                    strip
                }
            };
            if app.playback == crate::tui::state::playback::Playback::Playing(take.id) {
                playhead::draw(frame, drawn, app.playhead_fraction(a), t.selected);
            }
        }
        None => frame.render_widget(
            Paragraph::new(Span::styled(waiting_text(take), t.muted)),
            wave,
        ),
    }
    let figures = figures_line(analysis, take, cols, t.text, t.accent);
    let x = wave.right() + 1;
    frame.render_widget(
        Paragraph::new(figures).style(row_style),
        Rect::new(x, area.y, area.right().saturating_sub(x), 1),
    );
}

/// What stands in for a waveform not measured yet.
fn waiting_text(take: &TaskRecord) -> String {
    match take.state {
        LocalState::Completed if take.discarded => "discarded (d downloads it again)".into(),
        LocalState::Completed if take.local_path.is_none() => "downloading…".into(),
        LocalState::Completed => "measuring…".into(),
        state => format!("{state}…"),
    }
}

fn figures_line(
    analysis: Option<&Analysis>,
    take: &TaskRecord,
    cols: Columns,
    text: Style,
    star: Style,
) -> Line<'static> {
    let stats = analysis.map(|a| &a.stats);
    let mut spans = Vec::new();
    if cols.length {
        let length = stats.map_or_else(String::new, |s| format!("{:.2} s", s.duration_s));
        spans.push(Span::styled(format!("{length:>7} "), text));
    }
    if cols.peak {
        let peak = stats
            .and_then(|s| s.peak_dbfs)
            .map_or_else(String::new, |p| format!("{p:.1} dBFS"));
        spans.push(Span::styled(format!("{peak:>10} "), text));
    }
    let loud = stats
        .and_then(|s| s.loudness_lufs)
        .map_or_else(String::new, |l| format!("{l:.1} LUFS"));
    spans.push(Span::styled(
        format!("{loud:>10} "),
        text.add_modifier(Modifier::BOLD),
    ));
    if take.starred {
        spans.push(Span::styled("★", star));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_give_way_before_the_waveform() {
        let wide = columns(158);
        assert!(wide.length && wide.peak);
        assert!(wide.wave >= 80, "{}", wide.wave);
        let narrow = columns(78);
        assert!(narrow.length && !narrow.peak);
        assert!(narrow.wave >= WAVE_MIN);
        let tiny = columns(40);
        assert!(!tiny.length && !tiny.peak);
        assert_eq!(
            tiny.wave + LEAD + LOUDNESS + STAR,
            40.max(LEAD + LOUDNESS + STAR)
        );
    }
}
