//! How numbers and times read on screen.

use chrono::{Local, TimeZone};

/// Prices go to a tenth of a cent and below ($0.0006 for TTS), so four
/// decimals always.
pub fn cost(usd: f64) -> String {
    format!("${usd:.4}")
}

/// A ms-epoch timestamp as local time; today's show only the time, older
/// ones the date (and, unless `compact`, the minute).
pub fn local_time(ms: i64, now_ms: i64, compact: bool) -> String {
    let (Some(t), Some(now)) = (
        Local.timestamp_millis_opt(ms).single(),
        Local.timestamp_millis_opt(now_ms).single(),
    ) else {
        return "?".into();
    };
    if t.date_naive() == now.date_naive() {
        t.format("%H:%M:%S").to_string()
    } else if compact {
        t.format("%m-%d").to_string()
    } else {
        t.format("%m-%d %H:%M").to_string()
    }
}

/// Full local timestamp for the detail pane.
pub fn full_time(ms: i64) -> String {
    Local
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f %Z").to_string())
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// A span of time: "850ms", "12.3s", "4m05s", "2h03m".
pub fn span(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    } else {
        format!("{}h{:02}m", ms / 3_600_000, (ms / 60_000) % 60)
    }
}

/// Seconds of audio: "5.0s".
pub fn audio(seconds: f64) -> String {
    format!("{seconds:.1}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(850), "850ms");
        assert_eq!(span(12_300), "12.3s");
        assert_eq!(span(245_000), "4m05s");
        assert_eq!(span(7_380_000), "2h03m");
    }

    #[test]
    fn costs_keep_four_decimals() {
        assert_eq!(cost(0.0295), "$0.0295");
        assert_eq!(cost(0.0006), "$0.0006");
    }
}
