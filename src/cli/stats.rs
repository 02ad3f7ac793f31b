//! `klang stats`: spend per day (last 30 days), spend, count, failure rate
//! and generation time per model. The figures come from `crate::stats`.

use super::args::StatsArgs;
use super::export::parse_date;
use super::output::{outln, print_json};
use super::{Context, Failure, exit};
use crate::stats::{self, Stats};

pub fn run(ctx: Context, args: StatsArgs) -> Result<i32, Failure> {
    let since_ms = args.since.as_deref().map(parse_date).transpose()?;
    let stats = stats::compute_now(&ctx.store, since_ms)?;
    if args.json {
        print_json(&stats);
    } else {
        print_text(&stats);
    }
    Ok(exit::OK)
}

fn seconds(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.1} s")).unwrap_or_else(|| "-".into())
}

/// Bar lengths scale to the day with the most spend.
const BAR: usize = 30;

fn print_text(stats: &Stats) {
    outln!("Spend per day (last {} days)", stats::DAYS);
    let top = stats.days.iter().fold(0.0_f64, |m, d| m.max(d.cost_usd));
    for day in &stats.days {
        let len = if top > 0.0 {
            ((day.cost_usd / top) * BAR as f64).ceil() as usize
        } else {
            0
        };
        outln!(
            "  {}  ${:>9.4} {:>5}  {}",
            day.date,
            day.cost_usd,
            day.tasks,
            "#".repeat(len)
        );
    }
    outln!("");
    outln!(
        "  {:<22} {:>6} {:>10} {:>8} {:>8} {:>8}",
        "MODEL",
        "TASKS",
        "SPEND",
        "FAILED",
        "P50",
        "P95"
    );
    for m in &stats.models {
        let rate = m
            .failure_rate
            .map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| "-".into());
        outln!(
            "  {:<22} {:>6} {:>10} {:>8} {:>8} {:>8}",
            m.model,
            m.tasks,
            format!("${:.4}", m.cost_usd),
            rate,
            seconds(m.p50_seconds),
            seconds(m.p95_seconds)
        );
    }
    outln!(
        "  {:<22} {:>6} {:>10}",
        "total",
        stats.tasks,
        format!("${:.4}", stats.cost_usd)
    );
}
