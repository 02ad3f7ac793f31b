//! The dubbed videos written for each task (`klang mux`, the mux key),
//! newest last, so the details can show where the latest one is.

use super::{Result, Store, now_ms};
use rusqlite::params;
use std::path::{Path, PathBuf};

impl Store {
    /// Notes that `path` holds a dubbed video of task `id`.
    pub fn record_mux(&self, id: i64, path: &Path) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO muxes (task, path, made_at) VALUES (?1, ?2, ?3)",
                params![id, path.to_string_lossy(), now_ms()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The latest dubbed video of each of the last `limit` tasks muxed.
    pub fn latest_muxes(&self, limit: usize) -> Result<Vec<(i64, PathBuf)>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT task, path FROM muxes m
                 WHERE rowid = (SELECT rowid FROM muxes WHERE task = m.task
                                ORDER BY made_at DESC, rowid DESC LIMIT 1)
                 ORDER BY made_at DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, PathBuf::from(r.get::<_, String>(1)?)))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CreateRequest, VideoToAudioParams};

    #[test]
    fn the_latest_mux_of_each_task_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tasks.db")).unwrap();
        let request = CreateRequest::VideoToAudio(VideoToAudioParams {
            video_url: Some("https://v.example/a.mp4".into()),
            ..Default::default()
        });
        let a = store.insert_intent(&request, false).unwrap();
        let b = store.insert_intent(&request, false).unwrap();
        store.record_mux(a, Path::new("/d/a.mp4")).unwrap();
        store.record_mux(b, Path::new("/d/b.mp4")).unwrap();
        store.record_mux(a, Path::new("/d/a-2.mp4")).unwrap();
        let mut latest = store.latest_muxes(10).unwrap();
        latest.sort();
        assert_eq!(
            latest,
            [
                (a, PathBuf::from("/d/a-2.mp4")),
                (b, PathBuf::from("/d/b.mp4"))
            ]
        );
    }
}
