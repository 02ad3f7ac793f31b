//! What decoding a task's file measured, stored once per file: the stats,
//! the waveform peaks, or why the file could not be decoded.

use super::{Result, Store, TaskRecord, now_ms};
use crate::audio::{Analysis, AudioStats, Peaks};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// An analysis as stored: for which file, and what came of it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAnalysis {
    /// The file that was decoded; a different `local_path` means the
    /// analysis is stale.
    pub path: String,
    /// The figures, or the one-line reason the file could not be decoded.
    pub outcome: std::result::Result<Analysis, String>,
}

impl StoredAnalysis {
    pub fn is_for(&self, record: &TaskRecord) -> bool {
        record.local_path.as_deref() == Some(self.path.as_str())
    }
}

const SELECT: &str = "SELECT task, path, error, duration_s, sample_rate, channels, peak_dbfs,
    loudness_lufs, leading_silence_s, trailing_silence_s, peaks, true_peak_dbtp,
    loudness_range_lu FROM audio_analysis";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, StoredAnalysis)> {
    let error: Option<String> = row.get(2)?;
    let outcome = match error {
        Some(e) => Err(e),
        None => {
            let blob: Option<Vec<u8>> = row.get(10)?;
            Ok(Analysis {
                stats: AudioStats {
                    duration_s: row.get(3)?,
                    sample_rate: row.get(4)?,
                    channels: row.get(5)?,
                    peak_dbfs: row.get(6)?,
                    true_peak_dbtp: row.get(11)?,
                    loudness_lufs: row.get(7)?,
                    loudness_range_lu: row.get(12)?,
                    leading_silence_s: row.get(8)?,
                    trailing_silence_s: row.get(9)?,
                },
                peaks: blob.as_deref().map(Peaks::from_bytes).unwrap_or_default(),
            })
        }
    };
    Ok((
        row.get(0)?,
        StoredAnalysis {
            path: row.get(1)?,
            outcome,
        },
    ))
}

impl Store {
    /// Records what decoding `path` gave for task `id`, replacing any older
    /// analysis, and the measured length on the task row (which also tells
    /// other processes sharing the store that something changed).
    pub fn save_analysis(
        &self,
        id: i64,
        path: &str,
        outcome: &std::result::Result<Analysis, String>,
    ) -> Result<TaskRecord> {
        let now = now_ms();
        {
            let mut conn = self.conn();
            let tx = conn.transaction().map_err(|e| self.err(e))?;
            let (error, stats, peaks) = match outcome {
                Ok(a) => (None, Some(&a.stats), Some(a.peaks.to_bytes())),
                Err(e) => (Some(e.as_str()), None, None),
            };
            tx.execute(
                "INSERT OR REPLACE INTO audio_analysis (task, path, analysed_at, error, duration_s,
                    sample_rate, channels, peak_dbfs, loudness_lufs, leading_silence_s,
                    trailing_silence_s, peaks, true_peak_dbtp, loudness_range_lu)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    id,
                    path,
                    now,
                    error,
                    stats.map(|s| s.duration_s),
                    stats.map(|s| s.sample_rate),
                    stats.map(|s| s.channels),
                    stats.and_then(|s| s.peak_dbfs),
                    stats.and_then(|s| s.loudness_lufs),
                    stats.map(|s| s.leading_silence_s),
                    stats.map(|s| s.trailing_silence_s),
                    peaks,
                    stats.and_then(|s| s.true_peak_dbtp),
                    stats.and_then(|s| s.loudness_range_lu),
                ],
            )
            .map_err(|e| self.err(e))?;
            let changed = tx
                .execute(
                    "UPDATE tasks SET measured_seconds = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, stats.map(|s| s.duration_s), now],
                )
                .map_err(|e| self.err(e))?;
            if changed == 0 {
                return Err(super::StoreError::NoSuchTask(id));
            }
            tx.commit().map_err(|e| self.err(e))?;
        }
        self.get(id)
    }

    /// The stored analysis of task `id`, if any.
    pub fn analysis(&self, id: i64) -> Result<Option<StoredAnalysis>> {
        self.conn()
            .query_row(&format!("{SELECT} WHERE task = ?1"), params![id], from_row)
            .optional()
            .map(|found| found.map(|(_, a)| a))
            .map_err(|e| self.err(e))
    }

    /// Every stored analysis of the newest `limit` tasks, by local id (the
    /// dashboard loads these once at start).
    pub fn recent_analyses(&self, limit: usize) -> Result<HashMap<i64, StoredAnalysis>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("{SELECT} ORDER BY task DESC LIMIT ?1"))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![limit as i64], from_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<HashMap<_, _>>>()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CreateRequest, SoundEffectsParams};
    use crate::audio::Peak;

    fn analysis() -> Analysis {
        Analysis {
            stats: AudioStats {
                duration_s: 4.5,
                sample_rate: 44_100,
                channels: 2,
                peak_dbfs: Some(-1.5),
                true_peak_dbtp: Some(-1.2),
                loudness_lufs: None,
                loudness_range_lu: Some(4.5),
                leading_silence_s: 0.25,
                trailing_silence_s: 0.0,
            },
            peaks: Peaks::new(vec![Peak {
                min: -0.5,
                max: 0.75,
            }]),
        }
    }

    #[test]
    fn analysis_survives_reopening_and_fills_the_length() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("tasks.db");
        let request = CreateRequest::SoundEffects(SoundEffectsParams {
            prompt: "rain".into(),
            duration: "5.0".into(),
            callback_url: None,
        });
        let id = {
            let store = Store::open(&db).unwrap();
            let id = store.insert_intent(&request, false).unwrap();
            let record = store
                .save_analysis(id, "/x/rain.mp3", &Ok(analysis()))
                .unwrap();
            assert_eq!(record.measured_seconds, Some(4.5));
            id
        };
        let store = Store::open(&db).unwrap();
        let stored = store.analysis(id).unwrap().unwrap();
        assert_eq!(stored.path, "/x/rain.mp3");
        assert_eq!(stored.outcome, Ok(analysis()));
        assert_eq!(store.get(id).unwrap().audio_seconds(), Some(4.5));
        assert_eq!(store.recent_analyses(10).unwrap().len(), 1);

        // A file that cannot be decoded is remembered too, and clears the length.
        let record = store
            .save_analysis(id, "/x/rain.mp3", &Err("not audio".into()))
            .unwrap();
        assert_eq!(record.measured_seconds, None);
        let stored = store.analysis(id).unwrap().unwrap();
        assert_eq!(stored.outcome, Err("not audio".into()));
        assert!(store.save_analysis(999, "/x", &Ok(analysis())).is_err());
    }
}
