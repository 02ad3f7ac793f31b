//! How often and how long: every timing figure of the dashboard in one
//! place, with the count of takes whose spectrograms are shown (it bounds
//! what the takes view asks for and keeps).

use std::time::Duration;

/// The loop's tick while something runs. Elapsed counters show whole
/// tenths of seconds at most, and the spinner turns once a second: 1 s is
/// enough.
pub const TICK: Duration = Duration::from_secs(1);

/// 10 redraws a second at most while a take plays (the playhead).
pub const PLAYHEAD_TICK: Duration = Duration::from_millis(100);

/// How long after the last keystroke in the Video field a check starts.
pub const DEBOUNCE: Duration = Duration::from_millis(400);

/// How long a toast stays.
pub const TOAST_FOR: Duration = Duration::from_secs(5);

/// Groups larger than this keep waveform strips under `v`: each strip's
/// spectrogram is held in memory, and the app keeps 16 at most.
pub const SPECTROGRAM_TAKES: usize = 8;
