//! The main loop: one queue, one biased `select!` over cancellation, the
//! queue and a tick that exists only while something is running. It draws
//! only after a message changed something, and only once the queue is
//! drained, each frame wrapped in synchronized-update escapes. Idle, it
//! writes nothing at all. The commands a message returns are carried out
//! here, by [`Effects`], in the order they come.

use crate::tui::runtime::effects::Effects;
use crate::tui::state::{App, Command, Message, ScreenLayout};
use crate::tui::ui;
use crossterm::queue;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::io::{self, Write};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Runs until a quit. `B` is the terminal: crossterm's over stdout in the
/// dashboard, a resizable test backend in tests.
pub async fn run_loop<B>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    effects: &mut Effects,
    rx: &mut UnboundedReceiver<Message>,
    cancel: CancellationToken,
) -> io::Result<()>
where
    B: Backend<Error = io::Error> + Write,
{
    let mut dirty = true;
    let mut ticker: Option<Interval> = None;
    // What the last frame's layout learned, when the app does not know it.
    let mut laid: Option<Message> = None;
    loop {
        if dirty {
            let layout = draw(terminal, app)?;
            dirty = false;
            if layout != app.layout() {
                laid = Some(Message::Laid(layout));
            }
        }
        let period = app.tick_period();
        match (app.needs_tick(), &ticker) {
            (true, Some(iv)) if iv.period() == period => {}
            (true, _) => {
                let mut iv = tokio::time::interval_at(Instant::now() + period, period);
                iv.set_missed_tick_behavior(MissedTickBehavior::Skip);
                ticker = Some(iv);
            }
            (false, _) => ticker = None,
        }
        let message = match laid.take() {
            Some(laid) => laid,
            None => tokio::select! {
                biased;
                _ = cancel.cancelled() => Message::Quit,
                m = rx.recv() => m.unwrap_or(Message::Quit),
                _ = tick(&mut ticker) => Message::Tick,
            },
        };
        let mut message = Some(message);
        // Handle whatever else is waiting before drawing once.
        while let Some(next) = message.take().or_else(|| rx.try_recv().ok()) {
            for command in app.handle(next) {
                match command {
                    Command::Quit => return Ok(()),
                    Command::Redraw => dirty = true,
                    Command::Bell(bytes) => ring(terminal, &bytes)?,
                    other => effects.run(other),
                }
            }
        }
    }
}

async fn tick(ticker: &mut Option<Interval>) {
    match ticker {
        Some(iv) => {
            iv.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// One frame, all or nothing: tmux and SSH never show half of it. Returns
/// what its layout learned.
pub fn draw<B>(terminal: &mut Terminal<B>, app: &App) -> io::Result<ScreenLayout>
where
    B: Backend<Error = io::Error> + Write,
{
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let mut layout = app.layout();
    terminal.draw(|frame| layout = ui::draw_laid(frame, app))?;
    queue!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    Write::flush(terminal.backend_mut())?;
    Ok(layout)
}

/// The bell goes straight to the terminal, between frames, never inside one.
fn ring<B: Backend + Write>(terminal: &mut Terminal<B>, bytes: &[u8]) -> io::Result<()> {
    let out = terminal.backend_mut();
    out.write_all(bytes)?;
    Write::flush(out)
}
