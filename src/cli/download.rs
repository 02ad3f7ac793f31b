//! `klang download ID`: fetch a completed task's file.

use super::args::DownloadArgs;
use super::headless::Headless;
use super::output::{print_json, task_view};
use super::{Context, Failure, exit};
use crate::sanitize::terminal_safe;

pub async fn run(ctx: Context, args: DownloadArgs) -> Result<i32, Failure> {
    let record = super::find_completed(&ctx, &args.id, "download")?;
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
