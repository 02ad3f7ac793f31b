//! Submitting a whole piece at once, for the dashboard: the text is split
//! and planned as `klang speak` plans it, the piece and its segments are
//! written to the store, and each segment with nothing usable goes
//! through the engine's single submit with its take key (written with the
//! task row before the create leaves, so nothing is ever sent twice). The
//! piece writes into the download folder, named after its text.

use super::plan::Plan;
use super::split::split;
use super::{Voice, content_key};
use crate::engine::{Engine, LineSubmit};
use crate::store::{BatchTag, take_key};
use std::path::{Path, PathBuf};

/// The loudness, gaps and format a piece made in the dashboard uses: the
/// defaults of `klang speak`.
pub const DASHBOARD_NORMALIZE_LUFS: f64 = -16.0;
pub const DASHBOARD_GAP_MS: u32 = 400;
pub const DASHBOARD_PARAGRAPH_GAP_MS: u32 = 900;

/// What a submitted piece is.
#[derive(Clone, Debug, PartialEq)]
pub struct SubmittedPiece {
    pub piece: i64,
    pub segments: usize,
    /// Creates sent now (segments already made or on their way send none).
    pub calls_sent: usize,
    pub cost_usd: f64,
    /// The narration's file, once assembled.
    pub output: PathBuf,
}

/// What a plan for `text` would send, before anything is: segments, calls
/// and their price. Pure (every segment counted as new).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preview {
    pub characters: usize,
    pub calls: usize,
    pub cost_usd: f64,
}

pub fn preview(text: &str) -> Preview {
    let script = split(text);
    let mut keys = std::collections::HashSet::new();
    let calls = script
        .chunks
        .iter()
        .filter(|c| keys.insert(c.text.as_str()))
        .count();
    Preview {
        characters: text.chars().count(),
        calls,
        cost_usd: calls as f64 * crate::api::Model::Tts.price_usd(),
    }
}

/// `<dir>/speech-<first 8 hex of the text's hash>.wav`: the same text
/// submitted again is the same piece (and sends nothing made already).
pub fn output_for(text: &str, voice: &Voice, dir: &Path) -> PathBuf {
    let key = content_key(&super::request(text, voice));
    dir.join(format!("speech-{}.wav", &key[..8]))
}

/// Splits, plans, records and sends the piece. Every chunk is checked
/// (voice, speed, length) and the whole plan against the budget before
/// the first create; an error says what to do, in one line.
pub fn submit(
    engine: &Engine,
    text: &str,
    voice: &Voice,
    dir: &Path,
) -> Result<SubmittedPiece, String> {
    let script = split(text);
    if script.chunks.is_empty() {
        return Err("nothing to speak: the text is empty or only markup".into());
    }
    for chunk in &script.chunks {
        super::request(&chunk.text, voice)
            .validate()
            .map_err(|e| format!("{e}; nothing was sent"))?;
    }
    let store = engine.store();
    let output = output_for(text, voice, dir);
    // The script is kept beside its output: assembling reads it again, as
    // `klang speak` reads its file.
    let script_path = output.with_extension("txt");
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create {}: {e}; nothing was sent", dir.display()))?;
    crate::atomic_file::write_replacing(&script_path, "script", text.as_bytes()).map_err(|e| {
        format!(
            "cannot write {}: {e}; nothing was sent",
            script_path.display()
        )
    })?;
    let plan = Plan::make(script, voice, store, &[]).map_err(|e| e.to_string())?;
    let cost = plan.cost_to_send();
    engine
        .check_budget(cost)
        .map_err(|e| format!("{e}; nothing was sent"))?;
    let settings = serde_json::json!({
        "voice": voice,
        "format": "wav",
        "normalize": DASHBOARD_NORMALIZE_LUFS,
        "gap_ms": DASHBOARD_GAP_MS,
        "paragraph_gap_ms": DASHBOARD_PARAGRAPH_GAP_MS,
    });
    let piece = store
        .upsert_piece(
            "speech",
            &script_path.display().to_string(),
            &output.display().to_string(),
            &settings.to_string(),
        )
        .map_err(|e| e.to_string())?;
    let rows: Vec<_> = plan.segments.iter().map(|s| s.row()).collect();
    store
        .set_segments(piece, &rows)
        .map_err(|e| e.to_string())?;
    if !plan.to_send.is_empty() {
        // New takes: the output no longer matches; assembled again once
        // they are made.
        store
            .set_piece_state(piece, "planned", None)
            .map_err(|e| e.to_string())?;
    }
    let mut calls_sent = 0;
    let mut cost_usd = 0.0;
    for &index in &plan.to_send {
        let segment = &plan.segments[index];
        let take = store.next_take(&segment.key).map_err(|e| e.to_string())?;
        let tag = BatchTag {
            key: take_key(&segment.key, take),
            line: segment.position as i64,
        };
        match engine.submit_batch_line(segment.request.clone(), &tag) {
            Ok(LineSubmit::New(id)) => {
                calls_sent += 1;
                cost_usd += segment.request.model().price_usd();
                let _ = store.choose_segment_task(piece, segment.position as i64, id);
            }
            Ok(LineSubmit::Existing(record)) => {
                let _ = store.choose_segment_task(piece, segment.position as i64, record.id);
            }
            Err(e) => {
                return Err(format!(
                    "segment {} of {}: {e}; {calls_sent} sent, Enter again sends the rest",
                    segment.position,
                    plan.segments.len()
                ));
            }
        }
    }
    Ok(SubmittedPiece {
        piece,
        segments: plan.segments.len(),
        calls_sent,
        cost_usd,
        output,
    })
}

/// One new take of segment `position` of `piece` (one create), chosen as
/// the segment's take; the piece is marked to be assembled again.
pub fn retake(engine: &Engine, piece: i64, position: i64) -> Result<i64, String> {
    let store = engine.store();
    let segments = store.segments(piece).map_err(|e| e.to_string())?;
    let segment = segments
        .iter()
        .find(|s| s.position == position)
        .ok_or_else(|| format!("piece #{piece} has no segment {position}"))?;
    let request: crate::api::CreateRequest = serde_json::from_str(&segment.request)
        .map_err(|e| format!("segment {position}'s request cannot be read ({e})"))?;
    let take = store
        .next_take(&segment.content_key)
        .map_err(|e| e.to_string())?;
    let tag = BatchTag {
        key: take_key(&segment.content_key, take),
        line: position,
    };
    let submitted = match &request {
        // A foley window: its clip on disk, served again under a new token.
        crate::api::CreateRequest::VideoToAudio(_) => {
            let clip = segment
                .task
                .and_then(|t| store.media_for_task(t).ok().flatten())
                .ok_or_else(|| {
                    format!("segment {position} has no clip on disk; run `klang foley` on the video again")
                })?;
            let video = crate::video::check_file(&clip.path).map_err(|r| {
                format!(
                    "segment {position}'s clip: {}; run `klang foley` on the video again",
                    r.message
                )
            })?;
            engine.submit_batch_line_video(request, &tag, &video)
        }
        _ => engine.submit_batch_line(request, &tag),
    };
    let id = match submitted.map_err(|e| e.to_string())? {
        LineSubmit::New(id) => id,
        LineSubmit::Existing(record) => record.id,
    };
    store
        .choose_segment_task(piece, position, id)
        .map_err(|e| e.to_string())?;
    store
        .set_piece_state(piece, "planned", None)
        .map_err(|e| e.to_string())?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_counts_one_call_per_distinct_chunk() {
        let sentence = "The quick brown fox jumps over the lazy dog again. ";
        let text = sentence.repeat(26);
        let p = preview(text.trim_end());
        assert_eq!(p.characters, 1325);
        assert_eq!(p.calls, 2);
        assert!((p.cost_usd - 0.0012).abs() < 1e-9);
    }
}
