//! klang: `klang` opens the dashboard; `klang <command>` runs headless.

use clap::Parser;
use klang::cli::{self, Cli, Failure};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log_guard = init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("klang: cannot start the async runtime: {e}");
            return ExitCode::from(cli::exit::NETWORK as u8);
        }
    };
    // Until the dashboard owns the terminal, a wait for another process's
    // lock on the task store is said on stderr.
    klang::store::busy::on_lock_wait(Some(|notice| eprintln!("klang: {notice}")));
    let result = runtime.block_on(async move {
        match cli.command {
            Some(command) => cli::run(&cli.global, command, check_keys).await,
            None => dashboard(&cli.global).await,
        }
    });
    // Background work (polls, downloads) is abandoned here on purpose:
    // every task is in the store and resumes at the next start.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(Failure { code, message }) => {
            eprintln!("klang: {}", klang::sanitize::terminal_safe(&message));
            ExitCode::from(code as u8)
        }
    }
}

/// `[keys]` is the dashboard's, but a broken entry is a config error like
/// any other: every command that reads config.toml refuses it (exit 2).
fn check_keys(rebinds: &[klang::config::KeyRebind], file: &Path) -> Result<(), String> {
    klang::tui::KeyMap::from_config(rebinds, file).map(drop)
}

async fn dashboard(global: &cli::GlobalArgs) -> Result<i32, Failure> {
    let overrides = cli::Overrides {
        check_keys: Some(check_keys),
        ..cli::overrides(global)
    };
    let ctx = cli::Context::build(&overrides).await?;
    let keys = klang::tui::KeyMap::from_config(&ctx.keys, &ctx.paths.config_file()).map_err(
        |message| Failure {
            code: cli::exit::USAGE,
            message,
        },
    )?;
    // From here stderr would draw over the dashboard.
    klang::store::busy::on_lock_wait(None);
    let options = klang::tui::TuiOptions {
        theme: global.theme.clone(),
        no_mouse: global.no_mouse,
        keys,
    };
    klang::tui::run(ctx, options)
        .await
        .map_err(|e| Failure::from_dashboard(&e))?;
    Ok(cli::exit::OK)
}

/// tracing goes to a daily log file, never to the terminal. `KLANG_LOG`
/// sets the level (default info).
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let paths = klang::config::Paths::discover().ok()?;
    std::fs::create_dir_all(&paths.log_dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("klang")
        .filename_suffix("log")
        .max_log_files(7)
        .build(&paths.log_dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("KLANG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
