//! Draws the task table. Only the rows on screen are built, so 100,000
//! tasks cost what a screenful does. `window` asks the store for the rows
//! around the cursor on a worker thread; `task_list` is a history held in
//! memory (tests, small histories).

use super::figures;
use crate::sanitize::single_line;
use crate::store::{LocalState, TaskRecord};
use crate::tui::keys::action::Action;
use crate::tui::state::{App, Focus, ScreenLayout};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// The glyph and word for a state; the word alone carries the meaning when
/// colour is off.
pub fn state_label(state: LocalState, spinner: usize) -> (&'static str, &'static str) {
    let glyph = match state {
        LocalState::Submitting => "↑",
        LocalState::SubmitUnknown => "?",
        LocalState::SubmitFailed => "⊘",
        LocalState::Pending => "◌",
        LocalState::Processing => SPINNER[spinner % SPINNER.len()],
        LocalState::Completed => "✓",
        LocalState::Failed => "✗",
        LocalState::Lost => "⚠",
    };
    (glyph, state.as_str())
}

pub fn state_style(theme: &Theme, state: LocalState) -> Style {
    match state {
        LocalState::Submitting => theme.state_submitting,
        LocalState::SubmitUnknown => theme.state_submit_unknown,
        LocalState::SubmitFailed => theme.state_submit_failed,
        LocalState::Pending => theme.state_pending,
        LocalState::Processing => theme.state_processing,
        LocalState::Completed => theme.state_completed,
        LocalState::Failed => theme.state_failed,
        LocalState::Lost => theme.state_lost,
    }
}

/// "12.3s" once done; a live counter while running.
pub fn timing(r: &TaskRecord, now: i64) -> String {
    match r.generation_ms() {
        Some(ms) => figures::span(ms),
        None if r.state.is_running() || r.state == LocalState::Submitting => {
            figures::span(r.elapsed_ms(now))
        }
        None => String::new(),
    }
}

/// Draws the table; where its rows went, the first row shown and the rows
/// per page go into `laid`.
pub fn draw(frame: &mut Frame, app: &App, area: Rect, wide: bool, laid: &mut ScreenLayout) {
    let t = app.settings.theme.clone();
    let focused = app.focus == Focus::Table || app.focus == Focus::Filter;
    let shown = app.selection.tasks.len();
    let total = app.selection.tasks.total();
    // A new filter's first page comes before its count: "144+" until the
    // count arrives.
    let more = if app.selection.tasks.is_exact() {
        ""
    } else {
        "+"
    };
    let mut title = format!(" Tasks {shown}{more}");
    if shown != total || !app.selection.tasks.is_exact() {
        title.push_str(&format!(" of {total}"));
    }
    if shown > 0 {
        // Where the cursor is in a long history; "…" while its row loads.
        let loading = if app.selected().is_some() { "" } else { " …" };
        title.push_str(&format!(
            " · row {}{loading}",
            app.selection.tasks.cursor() + 1
        ));
    }
    title.push_str(&format!(" · sort: {} ", app.selection.tasks.sort().label()));
    let block = Block::bordered()
        .title(Span::styled(title, t.title))
        .border_style(if focused { t.border_focus } else { t.border });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return;
    }
    let rows_area = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    laid.table_rows = rows_area;

    if total == 0 || shown == 0 {
        let text = if total == 0 {
            &format!(
                "No tasks yet. Press {} to create one, {} for help.",
                app.key_name(Action::NewTask),
                app.key_name(Action::Help)
            )
        } else {
            &format!(
                "No task matches the filter. {} clears it.",
                app.key_name(Action::Back)
            )
        };
        frame.render_widget(Paragraph::new(Span::styled(text, t.muted)), rows_area);
        return;
    }

    // Keep the selection on screen, moving the window as little as possible.
    let height = rows_area.height as usize;
    laid.table_page = height.max(1);
    let selected = app.selected_row().unwrap_or(0).min(shown - 1);
    let mut offset = laid.table_offset.min(shown.saturating_sub(height));
    if selected < offset {
        offset = selected;
    } else if selected >= offset + height {
        offset = selected + 1 - height;
    }
    laid.table_offset = offset;

    let now = app.settings.clock.now_ms();
    let end = (offset + height).min(shown);
    let rows: Vec<Row> = (offset..end)
        .filter_map(|i| app.selection.tasks.row(i))
        .map(|r| build_row(app, &t, r, now, wide))
        .collect();
    let (header, widths) = columns(wide);
    let table = Table::new(rows, widths)
        .header(Row::new(header.iter().map(|h| Cell::from(*h))).style(t.header))
        .row_highlight_style(t.selected)
        .style(t.text);
    let mut state = TableState::default().with_selected(Some(selected - offset));
    frame.render_stateful_widget(table, inner, &mut state);
}

fn columns(wide: bool) -> (Vec<&'static str>, Vec<Constraint>) {
    use Constraint::{Length, Min};
    if wide {
        (
            vec![
                "State",
                "#",
                "Model",
                "Prompt / text",
                "Cost",
                "Created",
                "Took",
                "Audio",
                "File",
            ],
            vec![
                Length(18),
                Length(6),
                Length(5),
                Min(20),
                Length(7),
                Length(11),
                Length(7),
                Length(6),
                Length(5),
            ],
        )
    } else {
        // 80 columns: the prompt gets what is left (34 of 78); the creation
        // time is in the details. The state is as wide as its longest word
        // ("? submit-unknown").
        (
            vec![
                "State",
                "Model",
                "Prompt / text",
                "Cost",
                "Took",
                "Audio",
                "",
            ],
            vec![
                Length(16),
                Length(3),
                Min(10),
                Length(7),
                Length(6),
                Length(5),
                Length(1),
            ],
        )
    }
}

fn build_row<'a>(app: &App, t: &Theme, r: &'a TaskRecord, now: i64, wide: bool) -> Row<'a> {
    let state_cell = match app.downloads.get(&r.id) {
        Some(&(bytes, total)) => {
            let progress = match total {
                Some(total) if total > 0 => format!("{}%", bytes * 100 / total),
                _ => format!("{}k", bytes / 1024),
            };
            let word = if wide { "downloading" } else { "dl" };
            Cell::from(Span::styled(format!("⤓ {word} {progress}"), t.downloading))
        }
        None => {
            let (glyph, word) = state_label(r.state, app.spinner);
            Cell::from(Span::styled(
                format!("{glyph} {word}"),
                state_style(t, r.state),
            ))
        }
    };
    let summary = if r.starred {
        format!("★ {}", single_line(&r.summary))
    } else {
        single_line(&r.summary).into_owned()
    };
    let created = figures::local_time(r.create_time.unwrap_or(r.submitted_at), now, !wide);
    let audio = r.audio_seconds().map(figures::audio).unwrap_or_default();
    let saved = r.local_path.is_some();
    let mut cells = vec![state_cell];
    if wide {
        cells.push(Cell::from(Span::styled(format!("{}", r.id), t.muted)));
    }
    cells.push(Cell::from(r.model.short()));
    cells.push(Cell::from(summary));
    cells.push(Cell::from(Span::styled(figures::cost(r.cost_usd), t.cost)));
    if wide {
        cells.push(Cell::from(created));
    }
    cells.push(Cell::from(timing(r, now)));
    cells.push(Cell::from(audio));
    cells.push(Cell::from(Line::from(match (saved, wide) {
        (true, true) => "saved",
        (true, false) => "⤓",
        (false, _) => "",
    })));
    Row::new(cells)
}
