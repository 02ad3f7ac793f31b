//! Spending caps from config.toml (`daily_budget_usd`, `monthly_budget_usd`).
//!
//! Spend is counted from the store, not kept in memory, so every klang
//! process on the same store shares one budget. A day and a month are local
//! calendar ones. Every task written counts except those the server
//! certainly refused (`submit-failed`): a `submit-unknown` task may have been
//! charged, so it counts.

use chrono::{DateTime, Datelike, Local, NaiveDate, TimeZone};

/// The configured caps, in dollars. `None` means no cap.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Budget {
    pub daily_usd: Option<f64>,
    pub monthly_usd: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
}

impl Period {
    fn adjective(self) -> &'static str {
        match self {
            Period::Day => "daily",
            Period::Month => "monthly",
        }
    }

    fn config_key(self) -> &'static str {
        match self {
            Period::Day => "daily_budget_usd",
            Period::Month => "monthly_budget_usd",
        }
    }

    fn this(self) -> &'static str {
        match self {
            Period::Day => "today",
            Period::Month => "this month",
        }
    }

    fn next(self) -> &'static str {
        match self {
            Period::Day => "tomorrow",
            Period::Month => "next month",
        }
    }
}

/// One cap in force now: spend since `since_ms` must stay at or under `cap_usd`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub period: Period,
    pub cap_usd: f64,
    /// Local midnight that starts the day or month, as ms epoch.
    pub since_ms: i64,
}

/// Spend of this size or less is rounding noise, not a cent over the cap.
const EPSILON_USD: f64 = 1e-9;

impl Budget {
    pub fn is_set(&self) -> bool {
        self.daily_usd.is_some() || self.monthly_usd.is_some()
    }

    /// The caps in force at `now`, daily first.
    pub fn windows(&self, now: DateTime<Local>) -> Vec<Window> {
        let today = now.date_naive();
        let mut out = Vec::new();
        if let Some(cap) = self.daily_usd {
            out.push(Window {
                period: Period::Day,
                cap_usd: cap,
                since_ms: local_midnight_ms(today),
            });
        }
        if let Some(cap) = self.monthly_usd {
            let first = today.with_day(1).unwrap_or(today);
            out.push(Window {
                period: Period::Month,
                cap_usd: cap,
                since_ms: local_midnight_ms(first),
            });
        }
        out
    }

    /// Refuses a cap that is not a finite number of dollars, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        for (period, cap) in [
            (Period::Day, self.daily_usd),
            (Period::Month, self.monthly_usd),
        ] {
            if let Some(cap) = cap
                && !(cap.is_finite() && cap >= 0.0)
            {
                return Err(format!(
                    "{} in config.toml must be a number of dollars, 0 or more, got {cap}",
                    period.config_key()
                ));
            }
        }
        Ok(())
    }
}

impl Window {
    /// Whether spending `cost` more, after `spent`, stays within the cap.
    pub fn check(&self, spent: f64, cost: f64) -> Result<(), OverBudget> {
        if spent + cost <= self.cap_usd + EPSILON_USD {
            Ok(())
        } else {
            Err(OverBudget {
                period: self.period,
                cap_usd: self.cap_usd,
                spent_usd: spent,
                cost_usd: cost,
            })
        }
    }
}

/// A submit refused because it would take spend past a cap.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "{} budget ${cap_usd:.4} would be exceeded: ${spent_usd:.4} spent {}, this costs ${cost_usd:.4}; nothing was sent. Raise {} in config.toml (see `klang paths`) or wait until {}",
    period.adjective(),
    period.this(),
    period.config_key(),
    period.next()
)]
pub struct OverBudget {
    pub period: Period,
    pub cap_usd: f64,
    pub spent_usd: f64,
    pub cost_usd: f64,
}

/// Today's spend against the daily cap, for the status bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Today {
    pub spent_usd: f64,
    pub cap_usd: f64,
}

/// The first instant of `date` in local time, as ms epoch. Where a zone
/// skips midnight (a DST jump) the day starts at the first valid instant.
pub fn local_midnight_ms(date: NaiveDate) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match Local.from_local_datetime(&midnight).earliest() {
        Some(t) => t.timestamp_millis(),
        None => {
            // No midnight that day: the gap is at most a few hours.
            let later = midnight + chrono::Duration::hours(3);
            Local
                .from_local_datetime(&later)
                .earliest()
                .map(|t| t.timestamp_millis())
                .unwrap_or_else(|| midnight.and_utc().timestamp_millis())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_start_at_local_midnight_and_the_first_of_the_month() {
        let now = Local.with_ymd_and_hms(2026, 11, 28, 15, 30, 0).unwrap();
        let budget = Budget {
            daily_usd: Some(1.0),
            monthly_usd: Some(10.0),
        };
        let w = budget.windows(now);
        assert_eq!(w.len(), 2);
        let day = Local.timestamp_millis_opt(w[0].since_ms).unwrap();
        assert_eq!(
            (day.day(), day.format("%H:%M").to_string()),
            (28, "00:00".into())
        );
        let month = Local.timestamp_millis_opt(w[1].since_ms).unwrap();
        assert_eq!((month.month(), month.day()), (11, 1));
        assert!(Budget::default().windows(now).is_empty());
    }

    #[test]
    fn a_cost_that_lands_exactly_on_the_cap_passes_one_more_cent_does_not() {
        let w = Window {
            period: Period::Day,
            cap_usd: 0.0018,
            since_ms: 0,
        };
        // Three TTS calls fill it exactly despite float rounding.
        assert!(w.check(0.0006 + 0.0006, 0.0006).is_ok());
        let err = w.check(0.0018, 0.0006).unwrap_err();
        let text = err.to_string();
        for part in [
            "daily budget $0.0018",
            "$0.0018 spent today",
            "costs $0.0006",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert!(text.contains("daily_budget_usd"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn negative_or_nan_caps_are_refused() {
        let bad = Budget {
            daily_usd: Some(-1.0),
            monthly_usd: None,
        };
        assert!(bad.validate().unwrap_err().contains("daily_budget_usd"));
        let nan = Budget {
            daily_usd: None,
            monthly_usd: Some(f64::NAN),
        };
        assert!(nan.validate().unwrap_err().contains("monthly_budget_usd"));
        assert!(Budget::default().validate().is_ok());
    }
}
