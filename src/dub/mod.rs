//! Dubbing (`klang dub`): subtitles become a speech track on the video's
//! timeline. Each cue is a line ([`lines`]), each line one TTS request at
//! a speed chosen so it fits its slot ([`fit`]), planned as a piece of
//! kind "dub" whose segments are the lines (content keys, takes, nothing
//! paid twice: `crate::pieces`), placed once measured ([`place`]) and
//! written by the streaming timeline writer (`audio::assemble`).
//!
//! The speed is part of the request and so of the content key: each
//! segment keeps the request it was given with the basis it was chosen
//! for (text, voice, slot, limits), and a rerun sends that request again
//! while the basis is unchanged, whatever the learned rate says now.

pub mod build;
pub mod fit;
pub mod lines;
pub mod place;

pub use crate::subtitles::{Cue, SubtitleError, Subtitles, read};

use crate::api::CreateRequest;
use crate::pieces::plan::{Plan, Segment};
use crate::pieces::split::{Chunk, Join};
use crate::pieces::{Take, Voice, choose, content_key, request};
use crate::store::{DubFit, FitAction, SegmentRow, Store};
use fit::Rate;
use lines::Line;
use place::Overrun;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A dub's plan: the piece's plan (one segment per line) with each
/// line's fit, the rates used, and the retakes `--overrun retake` may add.
#[derive(Clone, Debug)]
pub struct DubPlan {
    pub plan: Plan,
    pub lines: Vec<Line>,
    pub fits: Vec<DubFit>,
    /// Per voice id.
    pub rates: BTreeMap<String, Rate>,
    /// Lines whose take may run over (estimated within 10% of the room
    /// they have, or over it, below `--max-speed`): each may cost one more
    /// call with `--overrun retake`.
    pub possible_retakes: usize,
}

impl DubPlan {
    pub fn possible_extra_usd(&self) -> f64 {
        self.possible_retakes as f64 * crate::api::Model::Tts.price_usd()
    }
}

/// What a line's request is chosen from: while this is unchanged, the
/// stored request is reused as it was.
pub fn basis(line: &Line, voice: &Voice, max_speed: f64) -> String {
    let mut hash = Sha256::new();
    hash.update(
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{:.1}",
            line.text, voice.voice_id, voice.language, line.slot_start_ms, line.slot_ms, max_speed
        )
        .as_bytes(),
    );
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The API's form of a speed: `None` for 1.0 (a narration's default, so
/// its takes are shared), else tenths.
pub fn speed_param(speed: f64) -> Option<f64> {
    let tenths = (speed * 10.0).round() / 10.0;
    (tenths != 1.0).then_some(tenths)
}

/// The room a line has before the next line's start (or its slot, for
/// the last).
pub fn room_ms(line: &Line) -> u64 {
    line.next_start_ms
        .map_or(line.slot_ms, |n| n.saturating_sub(line.slot_start_ms))
        .max(1)
}

/// Plans every line: the request kept from `previous` (the piece's
/// segments as stored) while its basis is unchanged, else a speed chosen
/// from the voice's rate; each request's takes looked up.
pub fn make_plan(
    lines: Vec<Line>,
    voices: &[Voice],
    store: &Store,
    previous: &[SegmentRow],
    max_speed: f64,
    overrun: Overrun,
) -> crate::store::Result<DubPlan> {
    let mut rates = BTreeMap::new();
    for v in voices {
        if !rates.contains_key(&v.voice_id) {
            let samples = store.speech_samples(&v.voice_id)?;
            rates.insert(v.voice_id.clone(), fit::learn(&samples, &v.language));
        }
    }
    let kept: HashMap<&str, (&SegmentRow, &DubFit)> = previous
        .iter()
        .filter_map(|row| row.fit.as_ref().map(|f| (f.basis.as_str(), (row, f))))
        .collect();
    let mut segments = Vec::with_capacity(lines.len());
    let mut fits = Vec::with_capacity(lines.len());
    let mut possible_retakes = 0;
    for (index, (line, voice)) in lines.iter().zip(voices).enumerate() {
        let basis = basis(line, voice, max_speed);
        let rate = rates
            .get(&voice.voice_id)
            .copied()
            .unwrap_or_else(|| fit::learn(&[], &voice.language));
        let reused = kept.get(basis.as_str()).and_then(|(row, f)| {
            let req: CreateRequest = serde_json::from_str(&row.request).ok()?;
            matches!(&req, CreateRequest::Tts(p) if p.text == line.text).then_some((req, *f))
        });
        let (req, speed, first_speed, action) = match reused {
            Some((req, f)) => (req, f.speed, f.first_speed, f.action),
            None => {
                let speed = fit::choose_speed(&line.text, line.slot_ms, rate, max_speed);
                let v = Voice {
                    speed: speed_param(speed),
                    ..voice.clone()
                };
                (request(&line.text, &v), speed, speed, FitAction::Planned)
            }
        };
        let room = room_ms(line);
        if overrun == Overrun::Retake
            && action != FitAction::Retaken
            && speed < max_speed.min(fit::SPEED_MAX) - 1e-9
            && fit::estimate_ms(&line.text, speed, rate) * 10 > room * 9
        {
            possible_retakes += 1;
        }
        let key = content_key(&req);
        let take = choose(&store.takes_of(&key)?);
        fits.push(DubFit {
            cue: line.cue,
            part: line.part,
            cue_start_ms: line.cue_start_ms,
            cue_end_ms: line.cue_end_ms,
            slot_start_ms: line.slot_start_ms,
            slot_ms: line.slot_ms,
            speaker: line.speaker.clone(),
            speed,
            first_speed,
            basis,
            speech_ms: None,
            start_ms: None,
            overrun_ms: None,
            action: if action == FitAction::Retaken {
                action
            } else {
                FitAction::Planned
            },
        });
        segments.push(Segment {
            position: index + 1,
            chunk: Chunk {
                text: line.text.clone(),
                span: 0..0,
                join: Join::Start,
                chapter: None,
                sentences: Vec::new(),
            },
            request: req,
            key,
            take,
        });
    }
    let mut keys = HashSet::new();
    let to_send = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.take, Take::Missing { .. }))
        .filter(|(_, s)| keys.insert(s.key.clone()))
        .map(|(i, _)| i)
        .collect();
    Ok(DubPlan {
        plan: Plan { segments, to_send },
        lines,
        fits,
        rates,
        possible_retakes,
    })
}

/// The rows to store for the plan's segments, each with its fit.
pub fn rows(plan: &DubPlan) -> Vec<SegmentRow> {
    plan.plan
        .segments
        .iter()
        .zip(&plan.fits)
        .map(|(s, f)| SegmentRow {
            fit: Some(f.clone()),
            ..s.row()
        })
        .collect()
}
