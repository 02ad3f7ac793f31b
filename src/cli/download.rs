//! `klang download ID`: fetch a completed task's file.

use super::args::DownloadArgs;
use super::headless::Headless;
use super::output::{print_json, task_view};
use super::{Context, Failure, exit};
use crate::sanitize::terminal_safe;
use crate::store::LocalState;

pub async fn run(ctx: Context, args: DownloadArgs) -> Result<i32, Failure> {
    let record = ctx.store.resolve(&args.id)?.ok_or_else(|| {
        Failure::usage(format!(
            "no task matches {:?}: give a local id, a task id, or a unique prefix (see `klang list`)",
            args.id
        ))
    })?;
    if record.state != LocalState::Completed {
        return Err(Failure {
            code: exit::TASK_FAILED,
            message: format!(
                "task {} is {}: only completed tasks have audio to download",
                record.id, record.state
            ),
        });
    }
    // The stored path must not depend on where klang was started.
    let out =
        match args.out {
            Some(dir) if dir.as_os_str().is_empty() => {
                return Err(Failure::usage("--out is empty: give a directory"));
            }
            Some(dir) => Some(std::path::absolute(&dir).map_err(|e| {
                Failure::usage(format!("cannot resolve --out {}: {e}", dir.display()))
            })?),
            None => None,
        };
    let mut headless = Headless::start(&ctx, args.json).await?;
    let record = headless.download(record.id, out).await?;
    if args.json {
        print_json(&task_view(&record));
    } else if let Some(path) = &record.local_path {
        super::output::outln!("{}", terminal_safe(path));
    }
    Ok(exit::OK)
}
