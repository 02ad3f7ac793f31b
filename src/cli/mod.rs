//! The headless command line: `klang submit`, `batch`, `list`, `show`,
//! `download`, `wait`, `analyze`, `render`, `mux`, `speak`, `pieces`, `export`, `stats`, `paths`,
//! `completions`, `man`, `sandbox`. Every command prints one JSON document with `--json`
//! and nothing else on stdout; progress and errors go to stderr.

mod analyze;
mod args;
mod audio;
mod batch;
mod batch_run;
mod bed;
mod completions;
mod download;
mod dub;
mod dub_build;
mod dub_finish;
mod export;
mod foley;
mod headless;
mod list;
mod looping;
mod mux;
mod output;
mod paths;
mod piece_takes;
mod pieces;
mod render;
mod sandbox_cmd;
mod show;
mod speak;
mod speak_assemble;
mod speak_build;
mod stats;
mod submit;
mod video_check;
mod voices;
mod wait;

pub use crate::bootstrap::{Context, ContextError, KeyCheck, Overrides};
pub use args::{Cli, Command, GlobalArgs};

/// Process exit codes.
pub mod exit {
    pub const OK: i32 = 0;
    pub const TASK_FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const ACCOUNT: i32 = 3;
    pub const NETWORK: i32 = 4;
    /// The task store cannot be opened, read or written.
    pub const STORE: i32 = 5;
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

/// The exit code of a setup error: bad input is a usage error, the rest
/// is the store's.
fn context_code(e: &ContextError) -> i32 {
    match e {
        ContextError::Usage(_) => exit::USAGE,
        ContextError::Store(_) => exit::STORE,
    }
}

/// The exit code of a store error: a usage error (a bad filter, an unknown
/// task) or the store's own.
fn store_code(e: &crate::store::StoreError) -> i32 {
    if e.is_usage() {
        exit::USAGE
    } else {
        exit::STORE
    }
}

impl From<ContextError> for Failure {
    fn from(e: ContextError) -> Failure {
        Failure {
            code: context_code(&e),
            message: e.to_string(),
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Failure {
        Failure {
            code: store_code(&e),
            message: e.to_string(),
        }
    }
}

impl Failure {
    /// The dashboard's errors reach `main` as `anyhow`: the same codes as
    /// the CLI for the same causes (a busy callback port is 2, a store
    /// error 5), network trouble otherwise.
    pub fn from_dashboard(e: &anyhow::Error) -> Failure {
        let message = format!("{e:#}");
        let code = e
            .chain()
            .find_map(|cause| {
                cause
                    .downcast_ref::<ContextError>()
                    .map(context_code)
                    .or_else(|| {
                        cause
                            .downcast_ref::<crate::store::StoreError>()
                            .map(store_code)
                    })
            })
            .unwrap_or(exit::NETWORK);
        Failure { code, message }
    }
}

/// The flags as overrides. `check_keys` is left empty: the binary wires in
/// the dashboard's check (this module does not import the dashboard).
pub fn overrides(global: &GlobalArgs) -> Overrides {
    Overrides {
        base_url: global.base_url.clone(),
        download_dir: global.download_dir.clone(),
        sandbox: global.sandbox,
        allow_insecure: global.allow_insecure,
        max_in_flight: global.max_in_flight,
        callback_listen: global.callback_listen.clone(),
        callback_url: global.callback_url.clone(),
        check_keys: None,
    }
}

/// The task `key` names: a local id, a task id or a unique prefix.
fn find_task(ctx: &Context, key: &str) -> Result<crate::store::TaskRecord, Failure> {
    ctx.store.resolve(key)?.ok_or_else(|| {
        Failure::usage(format!(
            "no task matches {key:?}: give a local id, a task id, or a unique prefix (see `klang list`)"
        ))
    })
}

/// The completed task `key` names; any other is refused (status 1) with
/// what it is, `to` saying what was wanted ("play", "download").
fn find_completed(ctx: &Context, key: &str, to: &str) -> Result<crate::store::TaskRecord, Failure> {
    let record = find_task(ctx, key)?;
    if record.state != crate::store::LocalState::Completed {
        return Err(Failure {
            code: exit::TASK_FAILED,
            message: format!(
                "task {} is {}: only completed tasks have audio to {to}",
                record.id, record.state
            ),
        });
    }
    Ok(record)
}

/// The context for a headless command. Its warnings (a key file others can
/// read, say) go to stderr, where they reach the user without breaking
/// `--json` output.
async fn headless_context(global: &GlobalArgs, check_keys: KeyCheck) -> Result<Context, Failure> {
    let overrides = Overrides {
        check_keys: Some(check_keys),
        ..overrides(global)
    };
    let ctx = Context::build(&overrides).await?;
    for warning in &ctx.warnings {
        eprintln!("klang: warning: {}", crate::sanitize::single_line(warning));
    }
    Ok(ctx)
}

/// Runs a subcommand; returns the exit code. `check_keys` checks `[keys]`
/// in config.toml for every command that reads it.
pub async fn run(
    global: &GlobalArgs,
    command: Command,
    check_keys: KeyCheck,
) -> Result<i32, Failure> {
    match command {
        Command::Sandbox(args) => sandbox_cmd::run(args).await,
        Command::Completions(args) => completions::completions(args.shell),
        Command::Man => completions::man(),
        Command::Export(args) => export::run(headless_context(global, check_keys).await?, args),
        Command::Stats(args) => stats::run(headless_context(global, check_keys).await?, args),
        Command::Batch(args) => {
            let ctx = headless_context(global, check_keys).await?;
            batch::run(ctx, args).await
        }
        Command::Dub(args) => {
            let ctx = headless_context(global, check_keys).await?;
            dub::run(ctx, args).await
        }
        Command::Speak(args) => {
            let ctx = headless_context(global, check_keys).await?;
            speak::run(ctx, args).await
        }
        Command::Bed(args) => {
            let ctx = headless_context(global, check_keys).await?;
            bed::run(ctx, args).await
        }
        Command::Foley(args) => {
            let ctx = headless_context(global, check_keys).await?;
            foley::run(ctx, args).await
        }
        Command::Pieces(flag) => {
            pieces::run(headless_context(global, check_keys).await?, flag.json)
        }
        Command::Paths(flag) => paths::run(global, flag.json),
        Command::Voices(args) => Ok(voices::run(&args)),
        Command::Analyze(args) => Ok(analyze::run(&args)),
        Command::Render(args) => {
            let ctx = headless_context(global, check_keys).await?;
            render::run(ctx, args).await
        }
        Command::Loop(args) => {
            let ctx = headless_context(global, check_keys).await?;
            looping::run(ctx, args).await
        }
        Command::Mux(args) => {
            let ctx = headless_context(global, check_keys).await?;
            mux::run(ctx, args).await
        }
        Command::Submit(sub) => {
            let ctx = headless_context(global, check_keys).await?;
            submit::run(ctx, sub).await
        }
        Command::Wait(args) => {
            let ctx = headless_context(global, check_keys).await?;
            wait::run(ctx, args).await
        }
        Command::Download(args) => {
            let ctx = headless_context(global, check_keys).await?;
            download::run(ctx, args).await
        }
        Command::Play(args) => {
            let ctx = headless_context(global, check_keys).await?;
            audio::play(ctx, args).await
        }
        Command::List(args) => list::run(headless_context(global, check_keys).await?, args),
        Command::Show(args) => show::run(headless_context(global, check_keys).await?, args),
    }
}
