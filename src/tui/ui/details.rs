//! Draws everything known about the selected task: its waveform and figures
//! once the file is measured, every request parameter, the server's id,
//! result URLs (OSC 8 links where the terminal takes them), failure reason,
//! timestamps, file and last error. `waveform` draws the peaks; `playback`
//! follows the player started from here.

use super::figures;
use crate::sanitize::terminal_safe;
use crate::store::TaskRecord;
use crate::tui::state::{App, Focus};
use crate::tui::ui::table::{state_label, state_style, timing};
use crate::tui::ui::{playhead, spectrogram, waveform};
use ratatui::Frame;
use ratatui::buffer::CellDiffOption;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.settings.theme;
    let focused = app.focus == Focus::Detail;
    let block = Block::bordered()
        .title(Span::styled(" Details ", t.title))
        .border_style(if focused { t.border_focus } else { t.border });
    let Some(r) = app.selected() else {
        let hint = if app.has_key() {
            let new = app.key_name(crate::tui::keys::action::Action::NewTask);
            format!("Select a task to see its details. {new} creates one.")
        } else {
            "No task selected.".to_string()
        };
        frame.render_widget(
            Paragraph::new(Span::styled(hint, t.muted)).block(block),
            area,
        );
        return;
    };

    let analysis = app.analysis_of(r);
    // Laid out below once the widest label is known.
    let mut rows = Rows::default();
    rows.outcome(app, r);
    rows.identity(app, r);
    rows.timing(app, r);
    let rows = rows.0;

    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut text_area = inner;
    // The waveform (or the spectrogram) takes up to its HEIGHT rows,
    // leaving at least three lines (state, result, figures) below it.
    let spectrogram = app.spectrogram.then(|| app.spectrogram_of(r)).flatten();
    let most = match spectrogram {
        Some(_) => spectrogram::HEIGHT,
        None => waveform::HEIGHT,
    };
    let wave_rows = inner.height.saturating_sub(3).min(most);
    if let Some(Ok(a)) = analysis.map(|a| &a.outcome)
        && wave_rows >= 2
        && inner.width >= waveform::MIN_WIDTH
    {
        let [wave, rest] =
            Layout::vertical([Constraint::Length(wave_rows), Constraint::Min(0)]).areas(inner);
        let picture = match spectrogram {
            Some(s) => {
                let [picture, figures] = waveform::split(wave);
                let colours = spectrogram::Colours::of(app);
                spectrogram::draw(frame.buffer_mut(), picture, s, colours, t.accent);
                waveform::draw_stats(frame, figures, a, t.text);
                spectrogram::draw_axis(frame, figures, &a.stats, t.muted);
                picture
            }
            None => waveform::draw(
                frame,
                wave,
                a,
                app.settings.waveform_blocks,
                t.accent,
                t.text,
            ),
        };
        if app.playback == crate::tui::state::playback::Playback::Playing(r.id) {
            playhead::draw(frame, picture, app.playhead_fraction(a), t.selected);
        }
        text_area = rest;
    }
    let scroll = app.ui.detail_scroll;
    let column = label_width(&rows, inner.width);
    let lines = label_column(rows, column, t.muted);
    let paragraph = Paragraph::new(lines)
        .style(t.text)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(paragraph, text_area);
    // The result URL is the second line; link it where it fits one row.
    if app.settings.hyperlinks
        && scroll == 0
        && let Some(url) = r.first_url()
    {
        link_cells(frame, text_area, 1, column as u16 + 1, url);
    }
}

/// (label, value, style) per line of the details, most useful first:
/// small terminals show only the top lines.
#[derive(Default)]
struct Rows(Vec<(String, String, Style)>);

impl Rows {
    fn push(&mut self, name: &str, value: String, style: Style) {
        self.0.push((name.to_string(), value, style));
    }

    /// What became of the task: state, results, failure, figures, player,
    /// download, file, last error.
    fn outcome(&mut self, app: &App, r: &TaskRecord) {
        let t = &app.settings.theme;
        let (glyph, word) = state_label(r.state, app.spinner);
        self.push(
            "state",
            format!("{glyph} {word}   #{}", r.id),
            state_style(t, r.state),
        );
        for (i, url) in r.result_urls.iter().enumerate() {
            self.push(if i == 0 { "result" } else { "" }, url.clone(), t.accent);
        }
        if let Some(msg) = &r.fail_msg {
            self.push("failMsg", msg.clone(), t.error);
        }
        match app.analysis_of(r).map(|a| &a.outcome) {
            Some(Ok(a)) => self.push("figures", crate::audio::format::summary(&a.stats), t.text),
            Some(Err(reason)) => self.push("audio", reason.clone(), t.error),
            None => {}
        }
        if app.playback == crate::tui::state::playback::Playback::Playing(r.id) {
            let key = app.key_name(crate::tui::keys::action::Action::Play);
            let level = match app.playing_gain {
                Some(gain) => format!("{}; ", gain.describe()),
                None => String::new(),
            };
            self.push(
                "player",
                format!("playing ({level}{key} or Esc stops)"),
                t.accent,
            );
        }
        if r.discarded {
            let key = app.key_name(crate::tui::keys::action::Action::Download);
            self.push(
                "discarded",
                format!("yes: its file was deleted ({key} fetches it again)"),
                t.muted,
            );
        }
        if let Some(&(bytes, total)) = app.downloads.get(&r.id) {
            let total = total.map(|n| format!(" of {n}")).unwrap_or_default();
            self.push("download", format!("{bytes} bytes{total}"), t.downloading);
        }
        match &r.local_path {
            Some(path) => self.push("file", path.clone(), t.text),
            None if r.first_url().is_some() => {
                let key = app.key_name(crate::tui::keys::action::Action::Download);
                self.push("file", format!("not downloaded ({key})"), t.muted)
            }
            None => {}
        }
        self.muxed(app, r);
        self.looped(app, r);
        self.bedded(app, r);
        if let Some(err) = &r.last_error {
            self.push("last error", err.clone(), t.error);
        }
        if r.recovered_at.is_some() {
            let text = "created at the provider: recovered from its callback";
            self.push("recovered", text.to_string(), t.text);
        }
    }

    /// The loop of the loop key, once there is one.
    fn looped(&mut self, app: &App, r: &TaskRecord) {
        use crate::tui::state::looping::LoopState;
        let t = &app.settings.theme;
        match app.loop_of(r.id) {
            Some(LoopState::Done(l)) => {
                self.push("loop", l.path.display().to_string(), t.text);
                let figures = format!(
                    "{:.2} s, {} ms crossfade, ends match {:.2}",
                    l.seconds, l.crossfade_ms, l.correlation
                );
                self.push("", figures, t.muted);
            }
            Some(LoopState::Running) => {
                self.push("loop", "making a seamless loop…".into(), t.downloading);
            }
            None => {}
        }
    }

    /// The bed of the bed key for the take's group, once there is one.
    fn bedded(&mut self, app: &App, r: &TaskRecord) {
        use crate::tui::state::bed::BedState;
        let t = &app.settings.theme;
        match r.group_id.as_deref().and_then(|g| app.bed_of(g)) {
            Some(BedState::Done(b)) => {
                self.push("bed", b.path.display().to_string(), t.text);
                let figures = format!("{:.2} s of bed from {} takes", b.seconds, b.takes);
                self.push("", figures, t.muted);
            }
            Some(BedState::Running) => {
                self.push("bed", "laying the group's takes…".into(), t.downloading);
            }
            None => {}
        }
    }

    /// The dubbed video of the mux key or `klang mux`, once there is one.
    fn muxed(&mut self, app: &App, r: &TaskRecord) {
        use crate::tui::state::dub::MuxState;
        let t = &app.settings.theme;
        match app.muxed_file(r.id) {
            Some(MuxState::Done(path)) => {
                self.push("muxed", path.display().to_string(), t.text);
            }
            Some(MuxState::Running) => {
                self.push("muxed", "muxing with ffmpeg…".into(), t.downloading);
            }
            Some(MuxState::Downloading(_)) => {
                let text = "downloading the audio, then muxing";
                self.push("muxed", text.into(), t.downloading);
            }
            None => {}
        }
    }

    /// Which task it is and what was asked: the server's id, its takes,
    /// the star, every request parameter and the price.
    fn identity(&mut self, app: &App, r: &TaskRecord) {
        let t = &app.settings.theme;
        self.push(
            "task id",
            r.task_id
                .clone()
                .unwrap_or_else(|| "(not created yet)".into()),
            t.text,
        );
        if let Some(group) = &r.group_id {
            let key = app.key_name(crate::tui::keys::action::Action::Group);
            self.push(
                "takes",
                format!("group {group} ({key} shows them together)"),
                t.text,
            );
        }
        if r.starred {
            self.push("starred", "★ yes".into(), t.accent);
        }
        for (name, value) in r.params.fields() {
            self.push(name, value, t.text);
        }
        self.push("cost", figures::cost(r.cost_usd), t.cost);
    }

    /// How long it took and when each step happened.
    fn timing(&mut self, app: &App, r: &TaskRecord) {
        let t = &app.settings.theme;
        let took = timing(r, app.settings.clock.now_ms());
        if !took.is_empty() {
            let name = if r.generation_ms().is_some() {
                "took"
            } else {
                "running"
            };
            self.push(name, took, t.text);
        }
        if let Some(s) = r.audio_seconds() {
            self.push("audio", figures::audio(s), t.text);
        }
        self.push("submitted", figures::full_time(r.submitted_at), t.text);
        if let Some(ms) = r.create_time {
            self.push("created", figures::full_time(ms), t.text);
        }
        if let Some(ms) = r.complete_time {
            self.push("completed", figures::full_time(ms), t.text);
        }
        if let Some(ms) = r.last_poll_at {
            self.push("last poll", figures::full_time(ms), t.muted);
        }
        if r.has_callback {
            self.push("callback", "yes (polling is the fallback)".into(), t.muted);
        }
    }
}

/// Turns the cells showing `url` on `line` (from column `x`) into an OSC 8
/// hyperlink. ratatui has no links, so each pair of cells carries the
/// escape around its two characters (the trick of ratatui's hyperlink
/// example): the escapes have no width, and a URL that is not a safe
/// printable-ASCII target is left as plain text.
fn link_cells(frame: &mut Frame, area: Rect, line: u16, x: u16, url: &str) {
    let Some(target) = crate::sanitize::hyperlink_target(url) else {
        return;
    };
    let len = target.chars().count();
    if target != url || line >= area.height || usize::from(area.width) < usize::from(x) + len {
        return;
    }
    let y = area.y + line;
    let chars: Vec<char> = target.chars().collect();
    let buffer = frame.buffer_mut();
    for (i, pair) in chars.chunks(2).enumerate() {
        let col = area.x + x + (i * 2) as u16;
        let text: String = pair.iter().collect();
        let cell = &mut buffer[(col, y)];
        cell.set_symbol(&format!("\x1b]8;;{target}\x1b\\{text}\x1b]8;;\x1b\\"));
        // The escapes take no room on screen: the cell is as wide as its
        // characters, and the second cell is drawn by the first.
        if let Some(width) = std::num::NonZeroU16::new(pair.len() as u16) {
            cell.diff_option = CellDiffOption::ForcedWidth(width);
        }
        if pair.len() == 2 {
            buffer[(col + 1, y)].diff_option = CellDiffOption::Skip;
        }
    }
}

/// The label column: as wide as the longest label, up to a third of the
/// pane, at least 8.
fn label_width(rows: &[(String, String, Style)], width: u16) -> usize {
    let widest = rows
        .iter()
        .map(|(l, ..)| l.chars().count())
        .max()
        .unwrap_or(0);
    widest.min(usize::from(width / 3)).max(8)
}

/// Labels in a column as wide as the longest (up to a third of the pane),
/// always followed by a space, so `sound_effect_prompt` never runs into its
/// value. Multi-line values (a TTS text) keep their lines, indented.
fn label_column(
    rows: Vec<(String, String, Style)>,
    column: usize,
    muted: Style,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (name, value, style) in rows {
        for (i, part) in terminal_safe(&value).split('\n').enumerate() {
            let head = if i == 0 { name.as_str() } else { "" };
            // A label longer than the column gets its own line.
            if head.chars().count() > column {
                lines.push(Line::from(Span::styled(head.to_string(), muted)));
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(column + 1)),
                    Span::styled(part.to_string(), style),
                ]));
                continue;
            }
            lines.push(Line::from(vec![
                Span::styled(format!("{head:<column$} "), muted),
                Span::styled(part.to_string(), style),
            ]));
        }
    }
    lines
}
