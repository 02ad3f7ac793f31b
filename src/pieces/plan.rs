//! The plan: every chunk of a script with its request, its content key and
//! what its takes offer; how many calls are left to send and what they
//! cost. Made before anything is sent, and shown first.

use super::split::{Chunk, Script};
use super::{Take, Voice, choose, content_key, request};
use crate::api::CreateRequest;
use crate::store::{Result, SegmentRow, Store};
use std::collections::HashSet;

#[derive(Clone, Debug)]
pub struct Segment {
    /// 1-based, in reading order.
    pub position: usize,
    pub chunk: Chunk,
    pub request: CreateRequest,
    pub key: String,
    pub take: Take,
}

impl Segment {
    pub fn row(&self) -> SegmentRow {
        SegmentRow {
            position: self.position as i64,
            span: (self.chunk.span.start as i64, self.chunk.span.end as i64),
            chars: self.chunk.chars() as i64,
            request: serde_json::to_string(&self.request).unwrap_or_default(),
            content_key: self.key.clone(),
            task: match &self.take {
                Take::Missing { .. } => None,
                t => t.record().map(|r| r.id),
            },
            fit: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub segments: Vec<Segment>,
    /// Segments to send a take for (`--retake` or nothing usable), one per
    /// content key, in order.
    pub to_send: Vec<usize>,
}

impl Plan {
    /// Looks up every chunk's takes in the store; `retake` (1-based
    /// positions) are sent again whatever they have.
    pub fn make(script: Script, voice: &Voice, store: &Store, retake: &[usize]) -> Result<Plan> {
        let mut segments = Vec::with_capacity(script.chunks.len());
        for (index, chunk) in script.chunks.into_iter().enumerate() {
            let request = request(&chunk.text, voice);
            let key = content_key(&request);
            let take = choose(&store.takes_of(&key)?);
            segments.push(Segment {
                position: index + 1,
                chunk,
                request,
                key,
                take,
            });
        }
        let mut keys = HashSet::new();
        let to_send = segments
            .iter()
            .enumerate()
            .filter(|(_, s)| retake.contains(&s.position) || matches!(s.take, Take::Missing { .. }))
            .filter(|(_, s)| keys.insert(s.key.clone()))
            .map(|(i, _)| i)
            .collect();
        Ok(Plan { segments, to_send })
    }

    /// Segments whose take is already made.
    pub fn made(&self) -> usize {
        self.segments.iter().filter(|s| s.take.is_made()).count()
    }

    /// What sending the rest costs. Folded from 0.0: an empty `sum()` of
    /// f64 is -0.0, which prints as "$-0.0000" when nothing is to send.
    pub fn cost_to_send(&self) -> f64 {
        self.to_send
            .iter()
            .map(|&i| self.segments[i].request.model().price_usd())
            .fold(0.0, |total, price| total + price)
    }

    /// What the whole piece costs, made takes included (one call per
    /// distinct request).
    pub fn whole_cost(&self) -> f64 {
        let mut keys = HashSet::new();
        self.segments
            .iter()
            .filter(|s| keys.insert(s.key.as_str()))
            .map(|s| s.request.model().price_usd())
            .fold(0.0, |total, price| total + price)
    }

    pub fn characters(&self) -> usize {
        self.segments.iter().map(|s| s.chunk.chars()).sum()
    }
}
