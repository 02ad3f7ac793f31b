//! What the store keeps of a dub (`klang dub`): each segment's fit to
//! its cue (the `fit` column of `segments`, JSON), and the speech lengths
//! of completed TTS takes from which a voice's speaking rate is learned.

use super::{Result, Store};
use crate::api::CreateRequest;
use rusqlite::params;
use std::collections::HashSet;

/// What was done about a line's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FitAction {
    /// Planned, not assembled yet.
    Planned,
    /// It ends before the next line starts (or overruns by at most 150 ms).
    Fits,
    /// It ran into the next line and `--overrun shift` moved the lines
    /// after it later.
    Shift,
    /// It started later than its cue: an earlier line ran into it and
    /// `--overrun shift` moved it.
    Shifted,
    /// It ran over and `--overrun retake` sent one more call, faster; this
    /// is the faster take.
    Retaken,
    /// It runs into the next line and was left so (`--overrun keep`, or a
    /// retake that could go no faster): flagged in the report.
    Kept,
}

impl FitAction {
    pub fn word(self) -> &'static str {
        match self {
            FitAction::Planned => "planned",
            FitAction::Fits => "fits",
            FitAction::Shift => "shift",
            FitAction::Shifted => "shifted",
            FitAction::Retaken => "retaken",
            FitAction::Kept => "kept",
        }
    }
}

/// How a dub's segment fits its cue. Times are ms on the video's timeline.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DubFit {
    /// The cue's number (1-based, after sorting) and, for a cue longer
    /// than one call takes, which part of it this is (1-based).
    pub cue: usize,
    pub part: usize,
    pub cue_start_ms: u64,
    pub cue_end_ms: u64,
    /// Where this line should start (the cue's start; a later part of a
    /// split cue starts later) and the time it may take: to the next
    /// cue's start, at most a little past its own cue's end.
    pub slot_start_ms: u64,
    pub slot_ms: u64,
    pub speaker: Option<String>,
    /// The speed sent (it is part of the request, and so of the content
    /// key); the one chosen first, when a retake went faster.
    pub speed: f64,
    pub first_speed: f64,
    /// What the request was chosen for (text, voice, slot, limits): while
    /// it is unchanged, the stored request is sent again as it was, even
    /// if the learned rate has moved, so nothing made is paid again.
    pub basis: String,
    /// Once assembled: the speech's length (first to last loud sample),
    /// where it starts in the track, how far it runs into the next line
    /// (or past the track's end) and what was done about it.
    pub speech_ms: Option<u64>,
    pub start_ms: Option<u64>,
    pub overrun_ms: Option<u64>,
    pub action: FitAction,
}

impl DubFit {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `None` for a value some other version wrote that this one cannot
    /// read: the segment then shows without its fit.
    pub fn from_json(text: &str) -> Option<DubFit> {
        serde_json::from_str(text).ok()
    }

    /// Runs into the next line by more than the 150 ms a listener lets pass.
    pub fn is_overrun(&self) -> bool {
        self.overrun_ms.is_some_and(|ms| ms > OVERRUN_TOLERANCE_MS)
    }
}

/// An overrun up to this is not one.
pub const OVERRUN_TOLERANCE_MS: u64 = 150;

/// One completed TTS take's text, speed and measured length of speech
/// (seconds, silent ends excluded): what a voice's rate is learned from.
#[derive(Clone, Debug, PartialEq)]
pub struct SpeechSample {
    pub task: i64,
    pub text: String,
    pub speed: f64,
    pub speech_s: f64,
}

/// The newest samples read per voice: enough for a steady median, and a
/// bound on the work whatever the history's size.
const SAMPLES_READ: i64 = 400;

impl Store {
    /// The piece writing `output`, if there is one (a dub's earlier run).
    pub fn piece_by_output(&self, output: &str) -> Result<Option<i64>> {
        use rusqlite::OptionalExtension;
        self.conn()
            .query_row(
                "SELECT id FROM pieces WHERE output = ?1",
                params![output],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Notes how segment `position` of `piece` fits (after assembling).
    pub fn set_segment_fit(&self, piece: i64, position: i64, fit: &DubFit) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE segments SET fit = ?3 WHERE piece = ?1 AND position = ?2",
                params![piece, position, fit.to_json()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The newest completed TTS takes of `voice_id` whose speech length
    /// klang has measured: from their stored analysis (length less the
    /// silent ends) or from a dub's assembly (the `fit` of the segment
    /// that chose them), newest first, one per task.
    pub fn speech_samples(&self, voice_id: &str) -> Result<Vec<SpeechSample>> {
        let conn = self.conn();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut push = |task: i64, params: &str, speech_s: Option<f64>| {
            let Some(speech_s) = speech_s.filter(|s| s.is_finite() && *s > 0.0) else {
                return;
            };
            let Ok(CreateRequest::Tts(p)) = serde_json::from_str::<CreateRequest>(params) else {
                return;
            };
            if p.voice_id == voice_id && seen.insert(task) {
                out.push(SpeechSample {
                    task,
                    text: p.text,
                    speed: p.voice_speed.unwrap_or(1.0),
                    speech_s,
                });
            }
        };
        {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT t.id, t.params, a.duration_s - a.leading_silence_s - a.trailing_silence_s
                     FROM tasks t JOIN audio_analysis a ON a.task = t.id
                     WHERE t.model = 'kling-tts' AND t.state = 'completed' AND a.error IS NULL
                       AND a.path = t.local_path AND instr(t.params, ?1) > 0
                     ORDER BY t.id DESC LIMIT ?2",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map(params![voice_id, SAMPLES_READ], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (task, params, speech) = row.map_err(|e| self.err(e))?;
                push(task, &params, speech);
            }
        }
        let mut stmt = conn
            .prepare_cached(
                "SELECT t.id, t.params, s.fit FROM segments s JOIN tasks t ON t.id = s.task
                 WHERE s.fit IS NOT NULL AND t.state = 'completed' AND instr(t.params, ?1) > 0
                 ORDER BY t.id DESC LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![voice_id, SAMPLES_READ], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (task, params, fit) = row.map_err(|e| self.err(e))?;
            let speech = DubFit::from_json(&fit)
                .and_then(|f| f.speech_ms)
                .map(|ms| ms as f64 / 1000.0);
            push(task, &params, speech);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SegmentRow;
    use crate::store::tests::temp_store;

    fn fit() -> DubFit {
        DubFit {
            cue: 3,
            part: 1,
            cue_start_ms: 10_000,
            cue_end_ms: 12_000,
            slot_start_ms: 10_000,
            slot_ms: 2_500,
            speaker: Some("JOHN".into()),
            speed: 1.2,
            first_speed: 1.1,
            basis: "b".into(),
            speech_ms: None,
            start_ms: None,
            overrun_ms: None,
            action: FitAction::Planned,
        }
    }

    #[test]
    fn a_voices_samples_come_from_analyses_and_dub_fits_of_completed_takes() {
        use crate::audio::{Analysis, AudioStats};
        let (_dir, store) = temp_store();
        let tts = |text: &str, voice: &str, speed: Option<f64>| {
            CreateRequest::Tts(crate::api::TtsParams {
                text: text.into(),
                voice_id: voice.into(),
                voice_language: "en".into(),
                voice_speed: speed,
                callback_url: None,
            })
        };
        let made = |req: &CreateRequest, path: &str| {
            let id = store.insert_intent(req, false).unwrap();
            store
                .conn()
                .execute(
                    "UPDATE tasks SET state = 'completed', local_path = ?2 WHERE id = ?1",
                    params![id, path],
                )
                .unwrap();
            id
        };
        let analysed = made(&tts("one two three", "v1", Some(1.2)), "/a.wav");
        let stats = AudioStats {
            duration_s: 3.0,
            sample_rate: 24_000,
            channels: 1,
            peak_dbfs: None,
            true_peak_dbtp: None,
            loudness_lufs: None,
            loudness_range_lu: None,
            leading_silence_s: 0.25,
            trailing_silence_s: 0.5,
        };
        let analysis = Analysis {
            stats,
            peaks: Default::default(),
        };
        store
            .save_analysis(analysed, "/a.wav", &Ok(analysis.clone()))
            .unwrap();
        let other_voice = made(&tts("four five", "v2", None), "/b.wav");
        store
            .save_analysis(other_voice, "/b.wav", &Ok(analysis))
            .unwrap();
        // A dub's line: its speech as the assembly measured it.
        let dubbed = made(&tts("six seven", "v1", None), "/c.wav");
        let piece = store
            .upsert_piece("dub", "a.srt", "/out/a.wav", "{}")
            .unwrap();
        let mut done = fit();
        done.speech_ms = Some(1_500);
        store
            .set_segments(
                piece,
                &[SegmentRow {
                    position: 1,
                    span: (0, 0),
                    chars: 9,
                    request: "{}".into(),
                    content_key: "k".repeat(64),
                    task: Some(dubbed),
                    fit: Some(done),
                }],
            )
            .unwrap();
        // Not completed: not a sample.
        store
            .insert_intent(&tts("eight", "v1", None), false)
            .unwrap();
        let samples = store.speech_samples("v1").unwrap();
        assert_eq!(samples.len(), 2, "{samples:?}");
        let a = samples.iter().find(|s| s.task == analysed).unwrap();
        assert_eq!((a.speed, a.speech_s), (1.2, 2.25));
        let d = samples.iter().find(|s| s.task == dubbed).unwrap();
        assert_eq!(
            (d.text.as_str(), d.speed, d.speech_s),
            ("six seven", 1.0, 1.5)
        );
    }

    #[test]
    fn a_dub_segment_keeps_its_fit_and_narration_has_none() {
        let (_dir, store) = temp_store();
        let piece = store
            .upsert_piece("dub", "a.srt", "/out/a.wav", "{}")
            .unwrap();
        let row = |position: i64, fit: Option<DubFit>| SegmentRow {
            position,
            span: (0, 1),
            chars: 1,
            request: "{}".into(),
            content_key: "k".repeat(64),
            task: None,
            fit,
        };
        store
            .set_segments(piece, &[row(1, Some(fit())), row(2, None)])
            .unwrap();
        let mut done = fit();
        done.speech_ms = Some(2_900);
        done.start_ms = Some(10_010);
        done.overrun_ms = Some(400);
        done.action = FitAction::Kept;
        store.set_segment_fit(piece, 1, &done).unwrap();
        let rows = store.segments(piece).unwrap();
        assert_eq!(rows[0].fit.as_ref(), Some(&done));
        assert!(done.is_overrun());
        assert_eq!(rows[1].fit, None);
        assert!(done.to_json().contains("\"action\":\"kept\""));
    }
}
