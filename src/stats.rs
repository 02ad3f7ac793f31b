//! The figures behind `klang stats` and the dashboard's stats view: spend
//! per local day for the last 30 days, spend and count per model, failure
//! rate per model, and generation time (createTime to completeTime) p50 and
//! p95 per model. Sums and counts come from SQL; the percentiles from the
//! sorted times SQLite returns. Spend counts every task but the ones the
//! server certainly refused (`submit-failed`), as budgets do.

use crate::api::Model;
use crate::store::{Store, StoreError};
use chrono::{Days, Local, NaiveDate};
use serde::Serialize;

/// Days in the daily chart, today included.
pub const DAYS: usize = 30;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Day {
    /// Local calendar date, `YYYY-MM-DD`.
    pub date: String,
    pub tasks: u64,
    pub cost_usd: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelStats {
    pub model: &'static str,
    pub tasks: u64,
    pub cost_usd: f64,
    pub completed: u64,
    pub failed: u64,
    /// failed / (completed + failed): of the tasks the server finished.
    pub failure_rate: Option<f64>,
    pub p50_seconds: Option<f64>,
    pub p95_seconds: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// The first instant counted (ms epoch), when `--since` narrowed it.
    pub since_ms: Option<i64>,
    /// The last 30 local days, oldest first, every day present.
    pub days: Vec<Day>,
    pub models: Vec<ModelStats>,
    pub tasks: u64,
    pub cost_usd: f64,
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Computes everything from `store` as of `today` (local).
pub fn compute(
    store: &Store,
    since_ms: Option<i64>,
    today: NaiveDate,
) -> Result<Stats, StoreError> {
    let first_day = today
        .checked_sub_days(Days::new(DAYS as u64 - 1))
        .unwrap_or(today);
    let daily = store.spend_per_day(
        crate::budget::local_midnight_ms(first_day).max(since_ms.unwrap_or(i64::MIN)),
    )?;
    let days = (0..DAYS as u64)
        .filter_map(|i| first_day.checked_add_days(Days::new(i)))
        .map(|d| {
            let date = d.format("%Y-%m-%d").to_string();
            let (tasks, cost_usd) = daily
                .iter()
                .find(|(day, _, _)| *day == date)
                .map(|(_, n, c)| (*n, *c))
                .unwrap_or((0, 0.0));
            Day {
                date,
                tasks,
                cost_usd,
            }
        })
        .collect();
    let mut models = Vec::new();
    for row in store.per_model(since_ms)? {
        let Some(model) = Model::parse(&row.model) else {
            continue;
        };
        let times = store.generation_times(model, since_ms)?;
        let seconds = |p| percentile(&times, p).map(|ms| ms as f64 / 1000.0);
        let finished = row.completed + row.failed;
        models.push(ModelStats {
            model: model.api_name(),
            tasks: row.tasks,
            cost_usd: row.cost_usd,
            completed: row.completed,
            failed: row.failed,
            failure_rate: (finished > 0).then(|| row.failed as f64 / finished as f64),
            p50_seconds: seconds(50.0),
            p95_seconds: seconds(95.0),
        });
    }
    models.sort_by_key(|m| Model::ALL.iter().position(|x| x.api_name() == m.model));
    Ok(Stats {
        since_ms,
        days,
        tasks: models.iter().map(|m| m.tasks).sum(),
        cost_usd: models.iter().fold(0.0, |s, m| s + m.cost_usd),
        models,
    })
}

/// `compute` as of now.
pub fn compute_now(store: &Store, since_ms: Option<i64>) -> Result<Stats, StoreError> {
    compute(store, since_ms, Local::now().date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=20).collect();
        assert_eq!(percentile(&v, 50.0), Some(10));
        assert_eq!(percentile(&v, 95.0), Some(19));
        assert_eq!(percentile(&[7], 95.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
