//! Building a piece's output, for `klang speak` and the dashboard alike:
//! each segment's take chosen again from the store (the starred one, else
//! the newest made), a piece with a segment missing named segment by
//! segment, and a complete one assembled ([`write_all`]) with its SRT,
//! WebVTT and chapters beside it, all written atomically. The assembly
//! key says what an output was made from, so an unchanged piece is left
//! untouched. [`assemble_stored`] does all of it for a piece the store
//! knows, from its source file and settings (the dashboard's `Assemble`).

use super::captions::{self, Timed};
use super::plan::{Plan, Segment};
use super::split::{Join, split};
use super::{Take, Voice, choose};
use crate::audio::AudioStats;
use crate::audio::assemble::{AssembleError, AssemblyInput, AssemblyOptions, assemble};
use crate::audio::origin::Origin;
use crate::store::{Assembled, Store, TaskRecord};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where a piece's files go: the audio and, beside it, its captions and
/// chapters.
#[derive(Clone, Debug)]
pub struct Outputs {
    pub dir: PathBuf,
    pub audio: PathBuf,
    pub srt: PathBuf,
    pub vtt: PathBuf,
    pub chapters: PathBuf,
}

impl Outputs {
    /// `<stem>.srt`, `.vtt` and `.chapters.txt` beside `audio`.
    pub fn beside(audio: &Path) -> Outputs {
        let dir = audio.parent().map(Path::to_path_buf).unwrap_or_default();
        let stem = audio
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "speech".into());
        Outputs {
            audio: audio.to_path_buf(),
            srt: dir.join(format!("{stem}.srt")),
            vtt: dir.join(format!("{stem}.vtt")),
            chapters: dir.join(format!("{stem}.chapters.txt")),
            dir,
        }
    }

    /// `<stem>.manifest.csv` beside the audio.
    pub fn manifest(&self) -> PathBuf {
        let stem = self
            .audio
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "speech".into());
        self.dir.join(format!("{stem}.manifest.csv"))
    }

    /// Whether what was last assembled (its key, from the store) is what
    /// `key` would make now, and every file of it is still on disk.
    pub fn unchanged(&self, previous: Option<&(String, Option<String>)>, key: &str) -> bool {
        previous.is_some_and(|(k, _)| k == key)
            && [&self.audio, &self.srt, &self.vtt, &self.chapters]
                .iter()
                .all(|p| p.is_file())
    }
}

/// "2 of 9 segments are missing: <the first>", for a partial piece.
pub fn missing_summary(problems: &[String], segments: usize) -> String {
    format!(
        "{} of {segments} segments are missing: {}",
        problems.len(),
        problems.first().map_or("", String::as_str)
    )
}

/// The silences between chunks, ms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gaps {
    pub sentence_ms: u32,
    pub paragraph_ms: u32,
}

pub fn gap_ms(join: Join, gaps: Gaps) -> u32 {
    match join {
        Join::Start => 0,
        Join::Sentence => gaps.sentence_ms,
        Join::Paragraph => gaps.paragraph_ms,
        Join::Pause(ms) => ms,
    }
}

/// The take a segment uses, with its file.
#[derive(Clone, Debug)]
pub struct Chosen {
    pub task: i64,
    pub path: PathBuf,
}

/// Where a record's result is (downloaded and still there), if anywhere.
pub fn on_disk(record: &TaskRecord) -> Option<PathBuf> {
    record
        .local_path
        .as_deref()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
}

/// "segment 2 ("It was…"): why".
pub fn problem(s: &Segment, why: &str) -> String {
    let excerpt: String = s.chunk.text.chars().take(40).collect();
    let more = if s.chunk.chars() > 40 { "…" } else { "" };
    format!("segment {} (\"{excerpt}{more}\"): {why}", s.position)
}

/// Each segment's take, chosen again from the store and noted as the
/// segment's; or what is missing, one line per segment.
pub fn choose_all(
    store: &Store,
    piece: i64,
    plan: &Plan,
) -> crate::store::Result<Result<Vec<Chosen>, Vec<String>>> {
    let mut chosen = Vec::with_capacity(plan.segments.len());
    let mut problems = Vec::new();
    for s in &plan.segments {
        match choose(&store.takes_of(&s.key)?) {
            Take::Made(r) => match on_disk(&r) {
                Some(path) => {
                    store.choose_segment_task(piece, s.position as i64, r.id)?;
                    chosen.push(Chosen { task: r.id, path });
                }
                None => problems.push(problem(s, &format!("take #{} could not be downloaded; run again to fetch it", r.id))),
            },
            Take::Running(r) => problems.push(problem(s, &format!("take #{} is still {}; run again to continue", r.id, r.state))),
            Take::Unknown(r) => problems.push(problem(
                s,
                &format!(
                    "take #{} is {} (it may have been charged, so it is not sent again); --retake {} sends a new one",
                    r.id, r.state, s.position
                ),
            )),
            Take::Missing { failed } => {
                let why = failed
                    .as_ref()
                    .and_then(|f| f.fail_msg.clone().or(f.last_error.clone()))
                    .unwrap_or_else(|| "no take".into());
                problems.push(problem(s, &format!("failed: {why}; the next run sends only what failed")));
            }
        }
    }
    Ok(if problems.is_empty() {
        Ok(chosen)
    } else {
        Err(problems)
    })
}

/// What the output is made from: every take, its place, the joins, the
/// captions' sentences and chapters, the settings and where it goes.
pub fn assembly_key(
    plan: &Plan,
    chosen: &[Chosen],
    opts: &AssemblyOptions,
    gaps: Gaps,
    outputs: &Outputs,
) -> String {
    let mut hash = Sha256::new();
    hash.update(format!("{opts:?}|{outputs:?}|").as_bytes());
    for (s, c) in plan.segments.iter().zip(chosen) {
        hash.update(
            format!(
                "{}|{}|{}|{:?}|{:?}|{}\n",
                c.task,
                c.path.display(),
                gap_ms(s.chunk.join, gaps),
                s.chunk.chapter,
                s.chunk.sentences,
                s.key
            )
            .as_bytes(),
        );
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Why an output was not written.
#[derive(Debug)]
pub enum WriteError {
    Assemble(AssembleError),
    /// A caption or chapters file could not be written.
    Caption {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Assemble(e) => write!(f, "{e}"),
            WriteError::Caption { path, error } => write!(
                f,
                "cannot write {}: {error}; check that the folder is writable and has room (the made segments are kept)",
                path.display()
            ),
        }
    }
}

/// Where piece `piece`'s audio came from, for the file to carry: its text
/// (the segments' joined), `piece-<id>`, the model and the request's
/// settings (the first segment's, without its text), made now.
pub fn piece_origin(piece: i64, plan: &Plan) -> Origin {
    let text: Vec<&str> = plan
        .segments
        .iter()
        .map(|s| s.chunk.text.as_str())
        .collect();
    let first = plan.segments.first();
    let mut params = first
        .map(|s| {
            let mut request = s.request.clone();
            request.set_callback_url(None);
            serde_json::to_value(&request).unwrap_or_default()
        })
        .unwrap_or_default();
    if let Some(input) = params.get_mut("input") {
        params = input.take();
    }
    if let Some(map) = params.as_object_mut() {
        map.remove("text");
        map.insert("segments".into(), plan.segments.len().into());
    }
    Origin {
        description: text.join(" "),
        reference: format!("piece-{piece}"),
        model: first
            .map_or("kling-tts", |s| s.request.model().api_name())
            .to_string(),
        params,
        created: chrono::Utc::now(),
    }
}

/// Assembles the audio (carrying `origin`) and writes the captions and
/// chapters beside it; returns the output's figures and where each
/// segment's speech starts and ends in it (seconds). Blocking: decodes
/// and writes the whole program.
pub fn write_all(
    plan: &Plan,
    chosen: &[Chosen],
    opts: &AssemblyOptions,
    gaps: Gaps,
    outputs: &Outputs,
    origin: Option<&Origin>,
) -> Result<(AudioStats, Vec<(f64, f64)>), WriteError> {
    let inputs: Vec<AssemblyInput> = plan
        .segments
        .iter()
        .zip(chosen)
        .map(|(s, c)| AssemblyInput {
            path: c.path.clone(),
            gap_before: Duration::from_millis(u64::from(gap_ms(s.chunk.join, gaps))),
        })
        .collect();
    let report = assemble(&inputs, opts, &outputs.audio, origin).map_err(WriteError::Assemble)?;
    let pauses: Vec<Vec<(f64, f64)>> = report
        .placements
        .iter()
        .map(|p| {
            p.pauses
                .iter()
                .map(|(a, b)| (a.as_secs_f64(), b.as_secs_f64()))
                .collect()
        })
        .collect();
    let timed: Vec<Timed<'_>> = plan
        .segments
        .iter()
        .zip(&report.placements)
        .zip(&pauses)
        .map(|((s, p), pauses)| Timed {
            chunk: &s.chunk,
            start: p.start.as_secs_f64(),
            end: p.end.as_secs_f64(),
            pauses,
        })
        .collect();
    let cues = captions::cues(&timed);
    write_atomically(&outputs.srt, &captions::srt(&cues))?;
    write_atomically(&outputs.vtt, &captions::vtt(&cues))?;
    write_atomically(
        &outputs.chapters,
        &captions::chapters(&timed, report.audio.duration_s),
    )?;
    let placements = report
        .placements
        .iter()
        .map(|p| (p.start.as_secs_f64(), p.end.as_secs_f64()))
        .collect();
    Ok((report.audio, placements))
}

/// `<stem>.manifest.csv` beside a piece's audio: one row, the audio with
/// its figures, the piece's text, the task ids of the takes it is made of
/// and what they cost. Written atomically; returns its path.
pub fn write_manifest(
    store: &Store,
    outputs: &Outputs,
    chosen: &[Chosen],
    stats: &AudioStats,
    origin: &Origin,
) -> Result<PathBuf, String> {
    let mut task_ids = Vec::with_capacity(chosen.len());
    let mut cost_usd = 0.0;
    for c in chosen {
        let r = store.get(c.task).map_err(|e| e.to_string())?;
        task_ids.push(r.task_id.unwrap_or_else(|| format!("task-{}", r.id)));
        cost_usd += r.cost_usd;
    }
    let path = outputs.manifest();
    let row = crate::audio::manifest::ManifestRow {
        file: outputs
            .audio
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        duration_s: stats.duration_s,
        loudness_lufs: stats.loudness_lufs,
        true_peak_dbtp: stats.true_peak_dbtp,
        prompt: origin.description.clone(),
        task_ids,
        cost_usd,
    };
    crate::audio::manifest::write(&path, &[row])?;
    Ok(path)
}

/// Writes `text` to `path` through a temporary file in the same folder
/// that cannot be planted, renamed into place: a reader sees the old file
/// or the new one.
fn write_atomically(path: &Path, text: &str) -> Result<(), WriteError> {
    crate::atomic_file::write_replacing(path, "caption", text.as_bytes()).map_err(|error| {
        WriteError::Caption {
            path: path.to_path_buf(),
            error,
        }
    })
}

/// The settings a piece was made with, as `klang speak` and the
/// dashboard write them.
#[derive(Clone, Debug, serde::Deserialize)]
struct StoredSettings {
    voice: StoredVoice,
    normalize: f64,
    gap_ms: u32,
    paragraph_gap_ms: u32,
}

#[derive(Clone, Debug, serde::Deserialize)]
struct StoredVoice {
    voice_id: String,
    language: String,
    speed: Option<f64>,
}

/// What [`assemble_stored`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Assembly {
    /// Written anew; where each segment's speech sits in it (seconds).
    Written {
        path: PathBuf,
        placements: Vec<(f64, f64)>,
    },
    /// The takes and settings are what it was last made from.
    Unchanged(PathBuf),
    /// Segments are missing (one line each): nothing was written.
    Partial(Vec<String>),
    /// These takes are made but not downloaded yet: nothing was written.
    Waiting(Vec<i64>),
}

/// Each segment's chosen take, on disk, in order; or why the piece cannot
/// be assembled yet: takes made but not downloaded (`Waiting`), or
/// segments missing (`Partial`, and the piece is marked partial). One
/// check for every kind of piece (speech, dub, bed, foley).
pub fn ready(
    store: &Store,
    piece: i64,
    plan: &Plan,
) -> Result<Result<Vec<Chosen>, Assembly>, String> {
    let mut waiting = Vec::new();
    for s in &plan.segments {
        if let Take::Made(r) = choose(&store.takes_of(&s.key).map_err(|e| e.to_string())?)
            && on_disk(&r).is_none()
        {
            waiting.push(r.id);
        }
    }
    if !waiting.is_empty() {
        return Ok(Err(Assembly::Waiting(waiting)));
    }
    Ok(
        match choose_all(store, piece, plan).map_err(|e| e.to_string())? {
            Ok(chosen) => Ok(chosen),
            Err(problems) => {
                let summary = missing_summary(&problems, plan.segments.len());
                let _ = store.set_piece_state(piece, "partial", Some(&summary));
                Err(Assembly::Partial(problems))
            }
        },
    )
}

/// Assembles a piece the store knows from its source file and settings,
/// as `klang speak` would with nothing to send. Blocking.
pub fn assemble_stored(store: &Store, piece: i64) -> Result<Assembly, String> {
    let (source, output, settings) = store
        .piece_source(piece)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("piece #{piece} is not in the store"))?;
    if let Ok(bed) = serde_json::from_str::<super::bed::Settings>(&settings)
        && bed.kind == "bed"
    {
        return super::bed::assemble_stored(store, piece, &source, &output, &bed);
    }
    if let Ok(foley) = serde_json::from_str::<super::foley::Settings>(&settings)
        && foley.kind == "foley"
    {
        return super::foley::assemble_stored(store, piece, &output, &foley);
    }
    if let Ok(dub) = serde_json::from_str::<crate::dub::build::Settings>(&settings)
        && dub.kind == "dub"
    {
        return crate::dub::build::assemble_stored(store, piece, &output, &dub);
    }
    let settings: StoredSettings = serde_json::from_str(&settings)
        .map_err(|e| format!("piece #{piece}'s settings cannot be read ({e})"))?;
    let text = std::fs::read_to_string(&source).map_err(|e| {
        format!("cannot read piece #{piece}'s script {source}: {e}; it is needed to assemble")
    })?;
    let voice = Voice {
        voice_id: settings.voice.voice_id,
        language: settings.voice.language,
        speed: settings.voice.speed,
    };
    let plan = Plan::make(split(&text), &voice, store, &[]).map_err(|e| e.to_string())?;
    let outputs = Outputs::beside(Path::new(&output));
    let chosen = match ready(store, piece, &plan)? {
        Ok(chosen) => chosen,
        Err(not_yet) => return Ok(not_yet),
    };
    let opts = AssemblyOptions {
        target_lufs: settings.normalize,
        ..AssemblyOptions::default()
    };
    let gaps = Gaps {
        sentence_ms: settings.gap_ms,
        paragraph_ms: settings.paragraph_gap_ms,
    };
    let key = assembly_key(&plan, &chosen, &opts, gaps, &outputs);
    let previous = store.piece_assembled(piece).map_err(|e| e.to_string())?;
    if outputs.unchanged(previous.as_ref(), &key) {
        store
            .set_piece_state(piece, "assembled", None)
            .map_err(|e| e.to_string())?;
        return Ok(Assembly::Unchanged(outputs.audio));
    }
    std::fs::create_dir_all(&outputs.dir)
        .map_err(|e| format!("cannot create {}: {e}", outputs.dir.display()))?;
    let origin = piece_origin(piece, &plan);
    let (stats, placements) = match write_all(&plan, &chosen, &opts, gaps, &outputs, Some(&origin))
    {
        Ok(done) => done,
        Err(e) => {
            let message = format!("{e}; the made segments are kept");
            let _ = store.set_piece_state(piece, "failed", Some(&message));
            return Err(message);
        }
    };
    write_manifest(store, &outputs, &chosen, &stats, &origin)?;
    let figures = serde_json::to_value(&stats).unwrap_or_default();
    store
        .set_piece_assembled(
            piece,
            &Assembled {
                key,
                srt: outputs.srt.display().to_string(),
                vtt: outputs.vtt.display().to_string(),
                chapters: outputs.chapters.display().to_string(),
                figures: figures.to_string(),
            },
        )
        .map_err(|e| e.to_string())?;
    Ok(Assembly::Written {
        path: outputs.audio,
        placements,
    })
}
