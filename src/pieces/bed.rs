//! Ambience beds (`klang bed`): a few takes of one prompt (or a group's
//! takes) laid end to end with crossfades into minutes of sound, ordered so
//! that no take comes back within [`MIN_REPEAT_S`].
//!
//! With `--prompt`, the bed is a piece of kind `bed`: segment `i` is take
//! `i` of the prompt, known by its own content key (the request's key and
//! the take's number), so a bed of 6 takes reuses the 4 of an earlier bed
//! of the same prompt and sends 2, and each segment can be taken again in
//! the segments view.

use super::plan::{Plan, Segment};
use super::split::{Chunk, Join};
use super::{choose, content_key};
use crate::api::{CreateRequest, SoundEffectsParams};
use crate::audio::crossfade::Clip;
use crate::store::{Result, Store};
use sha2::{Digest, Sha256};

/// A take's moment is heard again no sooner than this: two clips of one
/// take start at least this far apart.
pub const MIN_REPEAT_S: f64 = 30.0;
/// The crossfade at every join (shorter for takes under 4 times this).
pub const CROSSFADE_S: f64 = 2.0;
/// The fade at the two ends of a bed that is not looped.
pub const EDGE_FADE_S: f64 = 0.02;
/// Every take of a `--prompt` bed: the longest a sound effect lasts.
pub const TAKE_S: f64 = 10.0;
/// The most takes a bed uses (they are held in memory while it is
/// written: 16 of 10 s at 48 kHz stereo is 60 MB).
pub const MAX_TAKES: usize = 16;
/// The loudness every take is brought to unless `--normalize` says.
pub const NORMALIZE_LUFS: f64 = -20.0;
/// The longest bed, minutes.
pub const MAX_MINUTES: f64 = 600.0;

/// The sound-effects request of every take of `prompt`.
pub fn request(prompt: &str) -> CreateRequest {
    CreateRequest::SoundEffects(SoundEffectsParams {
        prompt: prompt.to_string(),
        duration: format!("{TAKE_S:.1}"),
        callback_url: None,
    })
}

/// Take `number` (1-based) of a request: the request's content key and
/// the number, hashed, so each take of a bed is a segment of its own.
pub fn take_content_key(request: &CreateRequest, number: usize) -> String {
    let mut hash = Sha256::new();
    hash.update(content_key(request).as_bytes());
    hash.update(format!("|bed take {number}").as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The plan of a `--prompt` bed of `takes` takes.
pub fn plan(prompt: &str, takes: usize, store: &Store) -> Result<Plan> {
    let request = request(prompt);
    let mut segments = Vec::with_capacity(takes);
    for position in 1..=takes {
        let key = take_content_key(&request, position);
        let take = choose(&store.takes_of(&key)?);
        segments.push(Segment {
            position,
            chunk: Chunk {
                text: prompt.to_string(),
                span: 0..0,
                join: Join::Start,
                chapter: None,
                sentences: Vec::new(),
            },
            request: request.clone(),
            key,
            take,
        });
    }
    let to_send = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.take, super::Take::Missing { .. }))
        .map(|(i, _)| i)
        .collect();
    Ok(Plan { segments, to_send })
}

/// How long the takes play before a take may come back: the sum of what
/// each adds to the bed (its length less one crossfade).
pub fn cycle_s(lengths: &[f64], crossfade_s: f64) -> f64 {
    lengths.iter().map(|l| (l - crossfade_s).max(0.0)).sum()
}

/// The crossfade for takes this long.
pub fn crossfade_for(lengths: &[f64]) -> f64 {
    let shortest = lengths.iter().copied().fold(f64::INFINITY, f64::min);
    CROSSFADE_S.min(shortest / 4.0).max(0.0)
}

/// A bed's layout: its clips in order and what they guarantee.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub clips: Vec<Clip>,
    pub total_s: f64,
    /// The overhang mixed into the head (the crossfade when looped).
    pub wrap_s: f64,
    pub crossfade_s: f64,
    /// The shortest time between two starts of one take (infinite when no
    /// take plays twice).
    pub min_repeat_s: f64,
}

/// Lays takes of `lengths` seconds into `total_s` seconds: at each join,
/// a take whose last start is at least [`MIN_REPEAT_S`] back, chosen by a
/// generator seeded with `seed` (the same bed is laid the same way), else
/// the one heard longest ago. Refused when the takes together are too
/// short for any order to keep a take from coming back within 30 s.
pub fn layout(
    lengths: &[f64],
    total_s: f64,
    looped: bool,
    seed: u64,
) -> std::result::Result<Layout, String> {
    if lengths.is_empty() {
        return Err("no takes to lay".into());
    }
    if let Some(l) = lengths.iter().find(|&&l| l.is_nan() || l < 1.0) {
        return Err(format!(
            "a take lasts {l:.2} s; a bed needs takes of 1 s or more"
        ));
    }
    let xfade = crossfade_for(lengths);
    let cycle = cycle_s(lengths, xfade);
    if cycle + 1e-9 < MIN_REPEAT_S {
        return Err(format!(
            "{} takes add only {cycle:.1} s before one must come back; give more or longer takes so that no take repeats within {MIN_REPEAT_S:.0} s",
            lengths.len()
        ));
    }
    let wrap = if looped { xfade } else { 0.0 };
    let end = total_s + wrap;
    let edge = if looped { xfade } else { EDGE_FADE_S };
    // The least a last clip needs: both fades and a second between.
    let last_needs = xfade + edge + 1.0;
    let mut rng = seed | 1;
    let mut last_start: Vec<Option<f64>> = vec![None; lengths.len()];
    let mut clips: Vec<Clip> = Vec::new();
    let mut cursor = 0.0;
    loop {
        let eligible: Vec<usize> = (0..lengths.len())
            .filter(|&t| last_start[t].is_none_or(|s| cursor - s >= MIN_REPEAT_S - 1e-9))
            .collect();
        let take = if eligible.is_empty() {
            (0..lengths.len())
                .min_by(|&a, &b| {
                    last_start[a]
                        .unwrap_or(f64::NEG_INFINITY)
                        .total_cmp(&last_start[b].unwrap_or(f64::NEG_INFINITY))
                })
                .unwrap_or(0)
        } else {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            eligible[(rng % eligible.len() as u64) as usize]
        };
        let fade_in = if clips.is_empty() { edge } else { xfade };
        let full = lengths[take];
        let left = end - cursor;
        let (len, last) = if left <= full {
            (left, true)
        } else if left - (full - xfade) < last_needs {
            // The rest would be too short for a clip: this one and the
            // last share what is left.
            ((left + xfade) / 2.0, false)
        } else {
            (full, false)
        };
        clips.push(Clip {
            source: take,
            from_s: 0.0,
            start_s: cursor,
            len_s: len,
            fade_in_s: fade_in.min(len / 2.0),
            fade_out_s: if last { edge.min(len / 2.0) } else { xfade },
        });
        last_start[take] = Some(cursor);
        if last {
            break;
        }
        cursor += len - xfade;
    }
    Ok(Layout {
        min_repeat_s: min_repeat(&clips),
        clips,
        total_s,
        wrap_s: wrap,
        crossfade_s: xfade,
    })
}

/// The shortest time between two starts of one take.
pub fn min_repeat(clips: &[Clip]) -> f64 {
    let mut last: std::collections::HashMap<usize, f64> = std::collections::HashMap::new();
    let mut min = f64::INFINITY;
    for c in clips {
        if let Some(prev) = last.insert(c.source, c.start_s) {
            min = min.min(c.start_s - prev);
        }
    }
    min
}

/// What a written bed is.
#[derive(Clone, Debug)]
pub struct Bed {
    pub written: crate::audio::crossfade::Written,
    pub layout: Layout,
}

/// Lays the takes at `paths` into `minutes` of bed at `out` (every take
/// at `target_lufs`, the file carrying `origin`), looped or not; `seed`
/// fixes the order. Blocking.
#[allow(clippy::too_many_arguments)]
pub fn write(
    paths: Vec<std::path::PathBuf>,
    minutes: f64,
    looped: bool,
    target_lufs: f64,
    format: crate::audio::render::OutputFormat,
    seed: u64,
    origin: Option<&crate::audio::origin::Origin>,
    out: &std::path::Path,
) -> std::result::Result<Bed, String> {
    use crate::audio::crossfade::{Takes, write};
    let mut takes = Takes::open(paths, format.rate, target_lufs).map_err(|e| e.to_string())?;
    let count = takes.len();
    let lengths = (0..count)
        .map(|i| takes.seconds(i))
        .collect::<std::result::Result<Vec<f64>, _>>()
        .map_err(|e| e.to_string())?;
    let layout = layout(&lengths, minutes * 60.0, looped, seed)?;
    let written = write(
        &mut takes,
        &layout.clips,
        (layout.total_s, layout.wrap_s),
        format,
        origin,
        out,
    )
    .map_err(|e| e.to_string())?;
    Ok(Bed { written, layout })
}

/// Where a bed came from: its prompt (or group), `reference` (the
/// piece, or the group), the sound-effects model and the bed's settings.
pub fn origin(
    description: &str,
    reference: &str,
    settings: &Settings,
) -> crate::audio::origin::Origin {
    crate::audio::origin::Origin {
        description: description.to_string(),
        reference: reference.to_string(),
        model: crate::api::Model::SoundEffects.api_name().to_string(),
        params: serde_json::json!({
            "duration": format!("{TAKE_S:.1}"),
            "takes": settings.takes,
            "minutes": settings.minutes,
            "loop": settings.looped,
            "normalize": settings.normalize,
        }),
        created: chrono::Utc::now(),
    }
}

/// A file name's stem from a prompt or a group: its slug, at most 40
/// characters, `bed` when nothing is left.
pub fn stem(text: &str) -> String {
    let slug: String = crate::engine::download::naming::slug(text)
        .chars()
        .take(40)
        .collect();
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() { "bed".into() } else { slug }
}

/// A seed from any text (the prompt, the group): the same bed is laid the
/// same way every time.
pub fn seed_of(text: &str) -> u64 {
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

/// What a bed piece is made with, as its settings in the store.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// `bed`: how `build::assemble_stored` knows the piece.
    pub kind: String,
    pub minutes: f64,
    pub takes: usize,
    #[serde(rename = "loop")]
    pub looped: bool,
    pub normalize: f64,
    pub container: crate::audio::render::Container,
    pub rate: Option<u32>,
    pub bits: u16,
}

impl Settings {
    pub fn format(&self) -> crate::audio::render::OutputFormat {
        crate::audio::render::OutputFormat {
            container: self.container,
            rate: self.rate,
            bits: self.bits,
        }
    }
}

/// What a bed was made from: each take's task and file, the settings and
/// the output. The same key: the file on disk is that bed.
pub fn assembly_key(
    chosen: &[super::build::Chosen],
    settings: &Settings,
    out: &std::path::Path,
) -> String {
    let mut hash = Sha256::new();
    hash.update(format!("bed|{settings:?}|{}\n", out.display()).as_bytes());
    for c in chosen {
        hash.update(format!("{}|{}\n", c.task, c.path.display()).as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A bed's figures as JSON: the layout (each clip's take and times, the
/// shortest repeat) and the written file's.
pub fn figures(bed: &Bed, settings: &Settings) -> serde_json::Value {
    let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
    let placements: Vec<_> = bed
        .layout
        .clips
        .iter()
        .map(|c| serde_json::json!({"take": c.source + 1, "start_s": round3(c.start_s), "end_s": round3(c.start_s + c.len_s)}))
        .collect();
    let takes: Vec<_> = bed
        .written
        .takes
        .iter()
        .map(|(lufs, gain)| serde_json::json!({"loudness_lufs": lufs.map(round3), "gain_db": round3(*gain)}))
        .collect();
    serde_json::json!({
        "minutes": settings.minutes,
        "loop": settings.looped,
        "crossfade_s": bed.layout.crossfade_s,
        "min_repeat_s": bed.layout.min_repeat_s.is_finite().then(|| round3(bed.layout.min_repeat_s)),
        "takes": takes,
        "placements": placements,
        "audio": bed.written.audio,
    })
}

/// Assembles a bed piece the store knows (the dashboard's `Assemble`
/// after a segment's retake): its takes chosen again, laid and written
/// as `klang bed` would with nothing to send. Blocking.
pub fn assemble_stored(
    store: &Store,
    piece: i64,
    prompt: &str,
    output: &str,
    settings: &Settings,
) -> std::result::Result<super::build::Assembly, String> {
    use super::build::{Assembly, ready};
    let plan = plan(prompt, settings.takes, store).map_err(|e| e.to_string())?;
    let chosen = match ready(store, piece, &plan)? {
        Ok(chosen) => chosen,
        Err(not_yet) => return Ok(not_yet),
    };
    let out = std::path::Path::new(output);
    let key = assembly_key(&chosen, settings, out);
    let previous = store.piece_assembled(piece).map_err(|e| e.to_string())?;
    if previous.is_some_and(|(k, _)| k == key) && out.is_file() {
        store
            .set_piece_state(piece, "assembled", None)
            .map_err(|e| e.to_string())?;
        return Ok(Assembly::Unchanged(out.to_path_buf()));
    }
    let paths = chosen.into_iter().map(|c| c.path).collect();
    let origin = origin(prompt, &format!("piece-{piece}"), settings);
    let bed = write(
        paths,
        settings.minutes,
        settings.looped,
        settings.normalize,
        settings.format(),
        seed_of(prompt),
        Some(&origin),
        out,
    )
    .inspect_err(|e| {
        let _ = store.set_piece_state(piece, "failed", Some(&format!("{e}; the takes are kept")));
    })?;
    store
        .set_piece_assembled(
            piece,
            &crate::store::Assembled {
                key,
                figures: figures(&bed, settings).to_string(),
                ..crate::store::Assembled::default()
            },
        )
        .map_err(|e| e.to_string())?;
    Ok(Assembly::Written {
        path: out.to_path_buf(),
        placements: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_minutes_of_four_takes_never_repeat_within_30_s() {
        let layout = layout(&[10.0; 4], 600.0, false, 7).unwrap();
        assert!(
            layout.min_repeat_s >= MIN_REPEAT_S,
            "{}",
            layout.min_repeat_s
        );
        let last = layout.clips.last().unwrap();
        assert!((last.start_s + last.len_s - 600.0).abs() < 1e-9);
        for pair in layout.clips.windows(2) {
            let overlap = pair[0].start_s + pair[0].len_s - pair[1].start_s;
            assert!((overlap - CROSSFADE_S).abs() < 1e-9, "{overlap}");
        }
        assert!(layout.clips.iter().all(|c| c.len_s >= 2.0 * CROSSFADE_S));
    }

    #[test]
    fn more_takes_vary_the_order_and_still_keep_30_s() {
        let layout = layout(&[10.0, 9.0, 10.0, 8.0, 10.0, 8.5], 300.0, true, 3).unwrap();
        assert!(layout.min_repeat_s >= MIN_REPEAT_S);
        let order: Vec<usize> = layout.clips.iter().map(|c| c.source).collect();
        assert_ne!(order[..6], order[6..12], "{order:?}");
        let last = layout.clips.last().unwrap();
        assert!((last.start_s + last.len_s - 302.0).abs() < 1e-9);
        assert_eq!(last.fade_out_s, CROSSFADE_S);
        assert_eq!(layout.clips[0].fade_in_s, CROSSFADE_S);
    }

    #[test]
    fn too_few_takes_are_refused() {
        let e = layout(&[10.0; 3], 600.0, false, 1).unwrap_err();
        assert!(e.contains("24.0 s"), "{e}");
    }

    #[test]
    fn each_take_of_a_prompt_has_its_own_key() {
        let r = request("rain on a tin roof");
        assert_ne!(take_content_key(&r, 1), take_content_key(&r, 2));
        assert_ne!(take_content_key(&r, 1), content_key(&r));
    }
}
