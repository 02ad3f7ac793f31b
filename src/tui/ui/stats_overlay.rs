//! The stats overlay: spend per day for the last 30 days as a bar chart,
//! then spend, count, failure rate and generation times per model. The
//! figures come from `crate::stats` (computed off the UI task).

use crate::stats::Stats;
use crate::tui::keys::action::Action;
use crate::tui::state::App;
use crate::tui::ui::help::centered;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Clear, Paragraph};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let Some(stats) = app.overlays.stats.as_deref() else {
        return;
    };
    let t = &app.settings.theme;
    let width = area.width.min(100);
    let table = model_lines(app, stats);
    let height = (14 + table.len() as u16).min(area.height);
    let rect = centered(area, width, height);
    let close = app.key_name(Action::Back);
    let block = Block::bordered()
        .title(Span::styled(
            format!(" Spend and stats · {close} closes "),
            t.title,
        ))
        .border_style(t.border_focus);
    frame.render_widget(Clear, rect);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [title, chart, models] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(10),
        Constraint::Min(0),
    ])
    .areas(inner);
    let top = stats.days.iter().fold(0.0_f64, |m, d| m.max(d.cost_usd));
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Spend per day, last 30 days", t.muted),
            Span::styled(format!("  (highest ${top:.4})"), t.cost),
        ])),
        title,
    );
    // Bars in hundredths of a cent, so a $0.0006 day still shows.
    let bars: Vec<Bar> = stats
        .days
        .iter()
        .map(|d| {
            Bar::default()
                .value((d.cost_usd * 10_000.0).round() as u64)
                .text_value(String::new())
                .label(Line::from(d.date.get(8..10).unwrap_or("").to_string()))
        })
        .collect();
    let bar_width = (chart.width.saturating_sub(2) / stats.days.len().max(1) as u16)
        .saturating_sub(1)
        .clamp(1, 3);
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(bar_width)
            .bar_gap(1)
            .bar_style(t.cost)
            .label_style(t.muted),
        chart,
    );
    frame.render_widget(Paragraph::new(table).style(t.text), models);
}

fn model_lines<'a>(app: &App, stats: &Stats) -> Vec<Line<'a>> {
    let t = &app.settings.theme;
    let secs = |s: Option<f64>| s.map_or("-".to_string(), |s| format!("{s:.1} s"));
    let mut lines = vec![Line::from(Span::styled(
        format!(
            " {:<22} {:>6} {:>10} {:>7} {:>7} {:>7}",
            "MODEL", "TASKS", "SPEND", "FAILED", "P50", "P95"
        ),
        t.muted,
    ))];
    for m in &stats.models {
        let rate = m
            .failure_rate
            .map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
        lines.push(Line::from(format!(
            " {:<22} {:>6} {:>10} {:>7} {:>7} {:>7}",
            m.model,
            m.tasks,
            format!("${:.4}", m.cost_usd),
            rate,
            secs(m.p50_seconds),
            secs(m.p95_seconds)
        )));
    }
    lines.push(Line::from(Span::styled(
        format!(
            " {:<22} {:>6} {:>10}",
            "total",
            stats.tasks,
            format!("${:.4}", stats.cost_usd)
        ),
        t.cost,
    )));
    lines
}
