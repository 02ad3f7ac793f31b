//! The headless command line: `klang submit`, `list`, `show`, `download`,
//! `paths`, `sandbox`. Every command prints one JSON document with `--json`
//! and nothing else on stdout; progress and errors go to stderr.

mod args;
pub mod context;
mod output;
mod sandbox_cmd;
mod submit;

pub use args::{Cli, Command, GlobalArgs};
pub use context::{Context, ContextError, Overrides};

use crate::store::{ListFilter, LocalState};
use output::{print_json, task_view};

/// Process exit codes.
pub mod exit {
    pub const OK: i32 = 0;
    pub const TASK_FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const ACCOUNT: i32 = 3;
    pub const NETWORK: i32 = 4;
}

/// A failure with the exit code it deserves; the message is one line.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: exit::USAGE,
            message: message.into(),
        }
    }
}

impl From<ContextError> for Failure {
    fn from(e: ContextError) -> Failure {
        Failure::usage(e.to_string())
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Failure {
        Failure::usage(e.to_string())
    }
}

pub fn overrides(global: &GlobalArgs) -> Overrides {
    Overrides {
        base_url: global.base_url.clone(),
        download_dir: global.download_dir.clone(),
        sandbox: global.sandbox,
        allow_insecure: global.allow_insecure,
        max_in_flight: global.max_in_flight,
        callback_listen: global.callback_listen.clone(),
        callback_url: global.callback_url.clone(),
    }
}

/// The context for a headless command. Its warnings (a key file others can
/// read, say) go to stderr, where they reach the user without breaking
/// `--json` output.
async fn headless_context(global: &GlobalArgs) -> Result<Context, Failure> {
    let ctx = Context::build(&overrides(global)).await?;
    for warning in &ctx.warnings {
        eprintln!("klang: warning: {}", crate::sanitize::single_line(warning));
    }
    Ok(ctx)
}

/// Runs a subcommand; returns the exit code.
pub async fn run(global: &GlobalArgs, command: Command) -> Result<i32, Failure> {
    match command {
        Command::Sandbox(args) => sandbox_cmd::run(args).await,
        Command::Paths(flag) => paths(global, flag.json),
        Command::Submit(sub) => {
            let ctx = headless_context(global).await?;
            submit::submit(ctx, sub).await
        }
        Command::Wait(args) => {
            let ctx = headless_context(global).await?;
            submit::wait(ctx, args).await
        }
        Command::Download(args) => {
            let ctx = headless_context(global).await?;
            submit::download(ctx, args).await
        }
        Command::List(args) => {
            let ctx = headless_context(global).await?;
            let state = match args.state.as_deref() {
                Some(s) => Some(LocalState::parse(s).ok_or_else(|| {
                    Failure::usage(format!(
                        "--state {s:?} is not a state; use one of: {}",
                        LocalState::ALL.map(|s| s.as_str()).join(", ")
                    ))
                })?),
                None => None,
            };
            let rows = ctx.store.list(&ListFilter {
                state,
                limit: args.limit,
            })?;
            if args.json {
                let views: Vec<_> = rows.iter().map(task_view).collect();
                print_json(&views);
            } else {
                output::print_table(&rows);
            }
            Ok(exit::OK)
        }
        Command::Show(args) => {
            let ctx = headless_context(global).await?;
            let record = ctx.store.resolve(&args.id)?.ok_or_else(|| {
                Failure::usage(format!(
                    "no task matches {:?}: give a local id, a task id, or a unique prefix (see `klang list`)",
                    args.id
                ))
            })?;
            if args.json {
                print_json(&task_view(&record));
            } else {
                output::print_detail(&record);
            }
            Ok(exit::OK)
        }
    }
}

fn paths(global: &GlobalArgs, json: bool) -> Result<i32, Failure> {
    let paths = crate::config::Paths::discover().map_err(Failure::usage)?;
    let loaded = crate::config::Config::load(&paths.config_file()).ok();
    let download_dir = global
        .download_dir
        .clone()
        .or_else(|| loaded.as_ref().and_then(|l| l.config.download_dir.clone()))
        .unwrap_or_else(|| paths.default_download_dir.clone());
    let entries = [
        ("config", paths.config_file()),
        ("themes", paths.user_themes_dir()),
        ("store", paths.store_file(false)),
        ("sandbox_store", paths.store_file(true)),
        ("logs", paths.log_dir.clone()),
        ("downloads", download_dir),
    ];
    if json {
        let map: serde_json::Map<String, serde_json::Value> = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.display().to_string().into()))
            .collect();
        print_json(&map);
    } else {
        for (name, path) in entries {
            println!("{name:<14} {}", path.display());
        }
    }
    Ok(exit::OK)
}
