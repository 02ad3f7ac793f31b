//! `klang list`: the task history, newest first.

use super::args::ListArgs;
use super::output::{self, print_json, task_view};
use super::{Context, Failure, exit};
use crate::store::{ListFilter, LocalState};

pub(super) fn run(ctx: Context, args: ListArgs) -> Result<i32, Failure> {
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
        starred: args.starred,
        group: args.group.clone(),
        discarded: args.discarded,
    })?;
    if args.json {
        let views: Vec<_> = rows.iter().map(task_view).collect();
        print_json(&views);
    } else {
        output::print_table(&rows);
    }
    Ok(exit::OK)
}
