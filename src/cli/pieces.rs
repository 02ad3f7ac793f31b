//! `klang pieces`: every piece (narration) with its progress: segments
//! made of all, the calls made for it and their cost, its files, its
//! state.

use super::output::{outln, print_json};
use super::{Context, Failure, exit};
use crate::sanitize::{single_line, terminal_safe};

pub(super) fn run(ctx: Context, json: bool) -> Result<i32, Failure> {
    let rows = ctx.store.pieces()?;
    if json {
        print_json(&rows);
        return Ok(exit::OK);
    }
    if rows.is_empty() {
        eprintln!("no pieces yet: `klang speak FILE` makes one");
        return Ok(exit::OK);
    }
    outln!(
        "{:>4}  {:<7} {:<10} {:>9} {:>6} {:>9}  output",
        "id",
        "kind",
        "state",
        "segments",
        "calls",
        "cost"
    );
    for p in &rows {
        outln!(
            "{:>4}  {:<7} {:<10} {:>9} {:>6} {:>9}  {}",
            p.id,
            p.kind,
            p.state,
            format!("{}/{}", p.done, p.segments),
            p.calls,
            format!("${:.4}", p.cost_usd),
            terminal_safe(&p.output)
        );
        outln!("      from {}", terminal_safe(&p.source));
        if let Some(error) = &p.last_error {
            outln!("      {}", terminal_safe(&single_line(error)));
        }
    }
    Ok(exit::OK)
}
