//! Clips on disk that klang serves to the provider for their task
//! (`--video-file`): one row per task in `task_media`, written before the
//! task's create request leaves, so a restart serves the same file again.

use super::{LocalState, Result, Store, StoreError};
use rusqlite::{OptionalExtension, params};
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// A task's clip on disk, as it was when the task was submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaFile {
    pub task: i64,
    /// Hex SHA-256 of the URL's token (the token itself is only in the
    /// task's `video_url`).
    pub token_sha256: String,
    pub path: PathBuf,
    /// The name in the URL.
    pub name: String,
    /// Hex SHA-256 of the whole file when it was submitted.
    pub sha256: String,
    pub bytes: u64,
    pub content_type: String,
}

/// A clip with where its task stands, for the media route.
#[derive(Clone, Debug)]
pub struct ServedMedia {
    pub file: MediaFile,
    pub state: LocalState,
    /// When the task last reached an ended state (unix ms), if it is in one.
    pub ended_at: Option<i64>,
}

const COLUMNS: &str =
    "m.task, m.token_sha256, m.path, m.name, m.sha256, m.bytes, m.content_type, m.path_bytes";

fn file_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<MediaFile> {
    // The exact bytes when kept (schema 13 on); the text before.
    let path = match row.get::<_, Option<Vec<u8>>>(7)? {
        Some(bytes) => PathBuf::from(OsString::from_vec(bytes)),
        None => PathBuf::from(row.get::<_, String>(2)?),
    };
    Ok(MediaFile {
        task: row.get(0)?,
        token_sha256: row.get(1)?,
        path,
        name: row.get(3)?,
        sha256: row.get(4)?,
        bytes: u64::try_from(row.get::<_, i64>(5)?).unwrap_or(0),
        content_type: row.get(6)?,
    })
}

impl Store {
    /// Keeps task `file.task`'s clip and sets the task's `video_url` to
    /// the URL it is served at (without its token: only its hash is kept),
    /// in one transaction.
    pub fn attach_media(&self, file: &MediaFile, video_url: &str) -> Result<()> {
        let mut params = self.get(file.task)?.params;
        if let crate::api::CreateRequest::VideoToAudio(p) = &mut params {
            p.video_url = Some(crate::api::redact::text(video_url).into_owned());
        }
        let json = serde_json::to_string(&params).map_err(|e| StoreError::Sqlite {
            path: self.path().display().to_string(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        })?;
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT INTO task_media (task, token_sha256, path, name, sha256, bytes, content_type, path_bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                file.task,
                file.token_sha256,
                // For display; `path_bytes` is the path.
                file.path.to_string_lossy(),
                file.name,
                file.sha256,
                i64::try_from(file.bytes).unwrap_or(i64::MAX),
                file.content_type,
                file.path.as_os_str().as_bytes(),
            ],
        )
        .map_err(|e| self.err(e))?;
        tx.execute(
            "UPDATE tasks SET params = ?2 WHERE id = ?1",
            params![file.task, json],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// The clip whose token hashes to `token_sha256`, with its task's state.
    pub fn media_by_token(&self, token_sha256: &str) -> Result<Option<ServedMedia>> {
        let sql = format!(
            "SELECT {COLUMNS}, t.state, m.ended_at FROM task_media m JOIN tasks t ON t.id = m.task
             WHERE m.token_sha256 = ?1"
        );
        self.conn()
            .query_row(&sql, params![token_sha256], |row| {
                let state: String = row.get(8)?;
                Ok(ServedMedia {
                    file: file_from(row)?,
                    state: LocalState::parse(&state).unwrap_or(LocalState::Lost),
                    ended_at: row.get(9)?,
                })
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Task `id`'s clip on disk, if it was submitted with one.
    pub fn media_for_task(&self, id: i64) -> Result<Option<MediaFile>> {
        let sql = format!("SELECT {COLUMNS} FROM task_media m WHERE m.task = ?1");
        self.conn()
            .query_row(&sql, params![id], file_from)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The clips of tasks that have not ended: the provider may still
    /// fetch them.
    pub fn unended_media(&self) -> Result<Vec<MediaFile>> {
        let sql =
            format!("SELECT {COLUMNS} FROM task_media m WHERE m.ended_at IS NULL ORDER BY m.task");
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], file_from).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CreateRequest, RemoteState, TaskStatus, VideoToAudioParams};

    fn v2a() -> CreateRequest {
        CreateRequest::VideoToAudio(VideoToAudioParams {
            video_id: None,
            video_url: Some("https://placeholder.invalid/clip.mp4".into()),
            sound_effect_prompt: None,
            bgm_prompt: None,
            asmr_mode: None,
            callback_url: None,
        })
    }

    #[test]
    fn a_clip_is_found_by_its_token_and_its_end_is_kept_with_the_state() {
        let (_dir, store) = crate::store::tests::temp_store();
        let id = store.insert_intent(&v2a(), true).unwrap();
        let file = MediaFile {
            task: id,
            token_sha256: "ab".repeat(32),
            // Not UTF-8: kept exactly, not as "w\u{fffd}lk.mp4".
            path: PathBuf::from(OsString::from_vec(b"/clips/w\xe4lk.mp4".to_vec())),
            name: "walk.mp4".into(),
            sha256: "cd".repeat(32),
            bytes: 1234,
            content_type: "video/mp4".into(),
        };
        let url = "http://127.0.0.1:9/klang/media/t0ken/walk.mp4";
        store.attach_media(&file, url).unwrap();
        // Kept without its token: only the token's hash is.
        let kept = "http://127.0.0.1:9/klang/media/redacted/walk.mp4";
        match store.get(id).unwrap().params {
            CreateRequest::VideoToAudio(p) => assert_eq!(p.video_url.as_deref(), Some(kept)),
            other => panic!("{other:?}"),
        }
        assert_eq!(store.media_for_task(id).unwrap().as_ref(), Some(&file));
        assert!(store.media_by_token(&"00".repeat(32)).unwrap().is_none());
        let served = store.media_by_token(&file.token_sha256).unwrap().unwrap();
        assert_eq!(served.file, file);
        assert_eq!(
            (served.state, served.ended_at),
            (LocalState::Submitting, None)
        );
        assert_eq!(store.unended_media().unwrap(), vec![file.clone()]);

        store.mark_submitted(id, "clmedia1").unwrap();
        let done = TaskStatus {
            state: Some(RemoteState::Completed),
            result_urls: vec!["https://x/a.mp3".into()],
            ..Default::default()
        };
        let after = store.apply_status(id, &done).unwrap().after;
        let served = store.media_by_token(&file.token_sha256).unwrap().unwrap();
        assert_eq!(served.state, LocalState::Completed);
        assert_eq!(served.ended_at, Some(after.updated_at));
        assert!(store.unended_media().unwrap().is_empty());
    }
}
