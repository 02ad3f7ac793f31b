//! `klang wait [ID...]`: wait for tasks to end, optionally downloading.

use super::args::WaitArgs;
use super::headless::{Headless, final_code, print_summary};
use super::output::{print_json, task_view};
use super::{Context, Failure, exit};
use crate::store::LocalState;

pub async fn run(ctx: Context, args: WaitArgs) -> Result<i32, Failure> {
    let mut ids = Vec::new();
    for key in &args.ids {
        ids.push(super::find_task(&ctx, key)?.id);
    }
    if ids.is_empty() {
        ids = ctx.store.unfinished()?.iter().map(|r| r.id).collect();
    }
    let mut headless = Headless::start(&ctx, args.json).await?;
    let mut records = Vec::new();
    for id in ids {
        let mut record = headless.wait_for(id, |r| r.state.is_final()).await?;
        if args.download && record.state == LocalState::Completed && record.local_path.is_none() {
            record = headless.download(id, None).await?;
        }
        records.push(record);
    }
    if args.json {
        let views: Vec<_> = records.iter().map(task_view).collect();
        print_json(&views);
    } else {
        records.iter().for_each(print_summary);
    }
    let code = records.iter().map(final_code).max().unwrap_or(exit::OK);
    Ok(code)
}
