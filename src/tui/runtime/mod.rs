//! Runs the dashboard: the terminal, the event loop, the effects that carry
//! out the commands `state` returns (the engine, the store, the clipboard,
//! and the jobs: players, audio export, mux), and the threads that read
//! the task table's rows. Everything that touches the world is here.

pub mod clipboard;
pub mod effects;
pub mod event_loop;
mod jobs;
pub mod terminal;
pub mod window_count;
#[cfg(test)]
mod window_tests;
pub mod window_worker;

use crate::bootstrap::Context;
use crate::engine::EventSink;
use crate::tui::keys::keymap::KeyMap;
use crate::tui::state::{App, AppInit, Message, Settings};
use crate::tui::theme;
use anyhow::Context as _;
use effects::Effects;
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::sync::Arc;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_util::sync::CancellationToken;
use window_worker::WindowWorker;

/// How many tasks' stored audio figures are read at start.
const STARTUP_ANALYSES: usize = 500;
/// Dubbed videos loaded at start: the latest of this many tasks muxed.
const STARTUP_MUXES: usize = 500;

/// Flags for the dashboard.
#[derive(Clone, Debug, Default)]
pub struct TuiOptions {
    /// `--theme NAME`; wins over `theme` in config.toml.
    pub theme: Option<String>,
    /// `--no-mouse`: leave selection to the terminal.
    pub no_mouse: bool,
    /// The key map, `[keys]` from config.toml applied.
    pub keys: KeyMap,
}

/// Runs the dashboard until the user quits or a signal arrives. The
/// terminal is restored on every exit path; engine work still in flight is
/// abandoned and resumes at the next start.
pub async fn run(mut ctx: Context, options: TuiOptions) -> anyhow::Result<()> {
    // The dashboard fetches each result as it completes, before its URL
    // can expire; headless commands download only when asked.
    ctx.engine_config.auto_download = ctx.config.auto_download.unwrap_or(true);
    ctx.engine_config.measure_downloads = true;
    let theme_name = options.theme.clone().or_else(|| ctx.config.theme.clone());
    let mouse = !options.no_mouse && ctx.config.mouse.unwrap_or(true);
    // Read before the terminal changes mode, so a store error prints
    // plainly. The totals cost the same for any history; the rows come
    // from the window worker, a screenful at a time.
    let totals = ctx.store.totals().context("cannot read the task history")?;
    let reader = ctx.store.reader().context("cannot read the task history")?;
    let counting = ctx.store.reader().context("cannot read the task history")?;

    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink_tx = tx.clone();
    let sink: EventSink = Arc::new(move |event| {
        let _ = sink_tx.send(Message::Engine(event));
    });
    // The callback receiver, when configured, lives as long as this binding.
    let (engine, _receiver) = ctx.start_engine(sink).await?;
    let mut app = starting_app(
        &ctx,
        options.keys,
        theme_name.as_deref(),
        mouse,
        totals,
        engine.today(),
    );
    let clipboard =
        clipboard::TerminalClipboard::new(std::io::stdout(), clipboard::ClipboardEnv::detect());
    let window_tx = tx.clone();
    let worker = WindowWorker::spawn(reader, counting, move |delivery| {
        let _ = window_tx.send(Message::Window(delivery));
    })
    .context("cannot start the table's query thread")?;
    let mut effects =
        Effects::new(Some(engine.clone()), Box::new(clipboard), tx.clone()).with_window(worker);
    effects.set_player_env(crate::audio::player::Environment::current(
        ctx.config.player.as_deref(),
    ));
    effects.set_matched_dir(ctx.paths.matched_dir());
    effects.set_piece_dir(ctx.engine_config.download_dir.clone());
    for command in app.startup_commands() {
        effects.run(command);
    }

    terminal::install_panic_hook();
    // The guard exists before the terminal changes, so a failure halfway
    // through `enter` (raw mode on, alternate screen refused) still restores.
    let guard = terminal::Guard::new();
    terminal::enter(mouse).context("cannot set up the terminal")?;
    let cancel = CancellationToken::new();
    let result = async {
        let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
        term.clear()?;
        spawn_input(tx.clone(), cancel.clone());
        spawn_signals(cancel.clone())?;
        event_loop::run_loop(&mut term, &mut app, &mut effects, &mut rx, cancel.clone()).await
    }
    .await;
    cancel.cancel();
    engine.shutdown();
    drop(guard);
    if let Some(handle) = ctx.sandbox {
        handle.shutdown().await;
    }
    result.context("terminal error")
}

/// The app as the dashboard starts: the store's totals, the settings, the
/// warnings so far, and the figures measured earlier (by this or another
/// process), read once here; older tasks' figures are read when they are
/// selected.
fn starting_app(
    ctx: &Context,
    keys: KeyMap,
    theme_name: Option<&str>,
    mouse: bool,
    totals: crate::store::Totals,
    budget_today: Option<crate::budget::Today>,
) -> App {
    let (settings, warnings) = settings(ctx, keys, theme_name, mouse);
    let analyses = match ctx.store.recent_analyses(STARTUP_ANALYSES) {
        Ok(stored) => stored
            .into_iter()
            .map(|(id, a)| (id, Arc::new(a)))
            .collect(),
        Err(_) => Default::default(),
    };
    // The latest dubbed video of each task muxed, where it still is.
    let muxes = match ctx.store.latest_muxes(STARTUP_MUXES) {
        Ok(muxes) => muxes
            .into_iter()
            .filter(|(_, path)| path.is_file())
            .map(|(id, path)| (id, crate::tui::state::dub::MuxState::Done(path)))
            .collect(),
        Err(_) => Default::default(),
    };
    let pieces = ctx.store.pieces().unwrap_or_default();
    App::new(AppInit {
        tasks: Vec::new(),
        store_totals: Some(totals.clone()),
        history_cost: totals.spent_usd(),
        settings,
        warnings,
        budget_today,
        analyses,
        muxes,
        pieces,
    })
}

/// The dashboard's settings, from config.toml, the flags and the
/// environment, in one place; and the warnings to show at start (the
/// context's, the theme's, then a setting refused).
fn settings(
    ctx: &Context,
    keys: KeyMap,
    theme_name: Option<&str>,
    mouse: bool,
) -> (Settings, Vec<String>) {
    let no_colour = theme::no_colour_requested();
    let loaded = theme::load(theme_name, &ctx.paths.user_themes_dir(), no_colour);
    let mut warnings = ctx.warnings.clone();
    warnings.extend(loaded.warnings);
    let mut settings = Settings {
        sandbox: ctx.is_sandbox(),
        key_hint: ctx.key_hint.clone(),
        theme: loaded.theme,
        mouse,
        keys,
        notify: ctx.config.notify.unwrap_or_default(),
        term_env: crate::notify::TermEnv::from_env(),
        match_loudness: ctx.config.match_loudness.unwrap_or(true),
        // basic16 and NO_COLOR terminals may lack braille in their fonts.
        waveform_blocks: no_colour || theme_name == Some("basic16"),
        truecolor: matches!(
            std::env::var("COLORTERM").as_deref(),
            Ok("truecolor" | "24bit")
        ),
        hyperlinks: !matches!(std::env::var("TERM").as_deref(), Ok("linux" | "dumb")),
        ..Settings::new(ctx.paths.config_file())
    };
    if let Some(render) = &ctx.config.render {
        let export = render.settings();
        match export.check() {
            Ok(()) => settings.export = export,
            Err(e) => warnings.push(format!(
                "[render] in config.toml: {e} (the render key uses the defaults meanwhile)"
            )),
        }
        settings.export_dir = render.out.clone();
    }
    match ctx.config.match_level {
        Some(level) if (-70.0..=0.0).contains(&level) => settings.match_level = level,
        Some(level) => warnings.push(format!(
            "match_level = {level} in config.toml is not a loudness klang plays at: use -70 to 0 LUFS (-23 meanwhile)"
        )),
        None => {}
    }
    (settings, warnings)
}

/// Terminal events into the queue. The stream ending (terminal gone) quits.
fn spawn_input(tx: UnboundedSender<Message>, cancel: CancellationToken) {
    tokio::spawn(async move {
        let mut events = crossterm::event::EventStream::new();
        loop {
            let next = tokio::select! {
                _ = cancel.cancelled() => return,
                e = events.next() => e,
            };
            let message = match next {
                Some(Ok(event)) => Message::Terminal(event),
                Some(Err(e)) => {
                    tracing::warn!("terminal input failed: {e}");
                    Message::Quit
                }
                None => Message::Quit,
            };
            let quit = matches!(message, Message::Quit);
            if tx.send(message).is_err() || quit {
                return;
            }
        }
    });
}

/// SIGTERM and SIGHUP (a dropped SSH session) end the loop like `q`, so the
/// terminal is restored on the way out. SIGINT too, for a terminal that is
/// not in raw mode (raw mode turns Ctrl-C into a key).
fn spawn_signals(cancel: CancellationToken) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: quitting"),
            _ = hup.recv() => tracing::info!("SIGHUP: terminal gone, quitting"),
            _ = int.recv() => tracing::info!("SIGINT: quitting"),
            _ = cancel.cancelled() => return,
        }
        cancel.cancel();
    });
    Ok(())
}
