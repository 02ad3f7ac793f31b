//! `klang show ID`: one task in full.

use super::args::ShowArgs;
use super::output::{self, print_json, task_view};
use super::{Context, Failure, exit};

pub(super) fn run(ctx: Context, args: ShowArgs) -> Result<i32, Failure> {
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
