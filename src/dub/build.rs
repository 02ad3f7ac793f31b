//! Placing and writing a dub whose takes are on disk, for `klang dub` and
//! the dashboard alike: the lines placed from their measured speech
//! ([`super::place`]), the speech track written on the timeline (left as
//! it is when nothing it is made from changed: the assembly key), each
//! segment's fit stored, and the report written as CSV beside the track.
//! [`assemble_stored`] does it for a dub the store knows (the dashboard's
//! `Assemble` after `r` re-took a line), from its stored segments and
//! settings. Blocking.

use super::place::{Overrun, Placed, ToPlace, place};
use crate::audio::assemble::{
    AssemblyOptions, Measured, TimedInput, measure_chunks, write_timeline,
};
use crate::audio::render::{Container, OutputFormat};
use crate::pieces::build::{Assembly, Chosen, piece_origin, ready};
use crate::pieces::choose;
use crate::pieces::plan::{Plan, Segment};
use crate::pieces::split::{Chunk, Join};
use crate::store::{Assembled, DubFit, FitAction, Store};
use crate::video::duck::Speech;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where a dub's files go.
#[derive(Clone, Debug)]
pub struct DubOutputs {
    pub dir: PathBuf,
    /// The speech track (the piece's output).
    pub audio: PathBuf,
    /// The report, one row per line.
    pub csv: PathBuf,
    /// The ducked mix, with a video.
    pub mix: Option<PathBuf>,
}

impl DubOutputs {
    /// `<stem>.dub.csv` and (with a video) `<stem>.mp4` beside `audio`.
    pub fn beside(audio: &Path, video: bool) -> DubOutputs {
        let dir = crate::atomic_file::parent_dir(audio).to_path_buf();
        let stem = audio
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dub".into());
        DubOutputs {
            csv: dir.join(format!("{stem}.dub.csv")),
            mix: video.then(|| dir.join(format!("{stem}.mp4"))),
            audio: audio.to_path_buf(),
            dir,
        }
    }
}

/// What a dub piece was made with, as `klang dub` stores it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// "dub".
    pub kind: String,
    pub overrun: Overrun,
    pub max_speed: f64,
    pub normalize: f64,
    pub wav: bool,
    pub rate: Option<u32>,
    pub bits: u16,
    pub video: Option<PathBuf>,
    /// The video's length when it was dubbed (the track's length).
    pub video_ms: Option<u64>,
    /// How far the original is lowered under a line, dB (positive).
    pub duck_db: f64,
}

impl Settings {
    pub fn options(&self) -> AssemblyOptions {
        AssemblyOptions {
            target_lufs: self.normalize,
            format: OutputFormat {
                container: if self.wav {
                    Container::Wav
                } else {
                    Container::Flac
                },
                rate: self.rate,
                bits: self.bits,
            },
            ..AssemblyOptions::default()
        }
    }
}

/// A take's speech, first to last loud sample, ms.
pub fn speech_ms(m: &Measured) -> u64 {
    (m.speech.end.saturating_sub(m.speech.start) * 1000) / u64::from(m.rate.max(1))
}

/// Every take measured (both cores).
pub fn measure(paths: &[PathBuf]) -> Result<Vec<Measured>, String> {
    measure_chunks(paths).map_err(|e| format!("{e}; the made lines are kept"))
}

/// Each line placed on the timeline.
pub fn placements(
    fits: &[DubFit],
    measured: &[Measured],
    video_ms: Option<u64>,
    mode: Overrun,
) -> Vec<Placed> {
    let to_place: Vec<ToPlace> = fits
        .iter()
        .zip(measured)
        .map(|(f, m)| ToPlace {
            slot_start_ms: f.slot_start_ms,
            speech_ms: speech_ms(m),
            retaken: f.action == FitAction::Retaken,
        })
        .collect();
    place(&to_place, video_ms, mode)
}

/// Where each line speaks on the track, for the ducked mix.
pub fn speaking(fits: &[DubFit]) -> Vec<Speech> {
    fits.iter()
        .map(|f| {
            let start = f.start_ms.unwrap_or(f.slot_start_ms);
            Speech {
                start_ms: start,
                end_ms: start + f.speech_ms.unwrap_or(0),
            }
        })
        .collect()
}

/// Why the track was not written.
#[derive(Debug)]
pub enum TrackError {
    /// The file could not be written (the path named).
    Write(String),
    /// A take could not be used, or the store failed.
    Other(String),
}

impl std::fmt::Display for TrackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrackError::Write(m) | TrackError::Other(m) => write!(f, "{m}"),
        }
    }
}

/// What [`write_track`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    pub unchanged: bool,
    pub length_ms: u64,
}

/// Places the lines, writes the track (unless it is what its key says is
/// there already) and its CSV report, and stores each segment's fit
/// (`fits` are brought up to date). `texts` are the lines' texts.
#[allow(clippy::too_many_arguments)]
pub fn write_track(
    store: &Store,
    piece: i64,
    plan: &Plan,
    fits: &mut [DubFit],
    chosen: &[Chosen],
    measured: Vec<Measured>,
    settings: &Settings,
    outputs: &DubOutputs,
) -> Result<Track, TrackError> {
    let other = |e: crate::store::StoreError| TrackError::Other(e.to_string());
    let placed = placements(fits, &measured, settings.video_ms, settings.overrun);
    let starts: Vec<u64> = placed.iter().map(|p| p.start_ms).collect();
    let speech: Vec<u64> = measured.iter().map(speech_ms).collect();
    // As long as the video, else to the last cue's end (or the last
    // line's, if it speaks past it).
    let length_ms = settings.video_ms.unwrap_or_else(|| {
        fits.iter()
            .zip(starts.iter().zip(&speech))
            .map(|(f, (s, l))| f.cue_end_ms.max(s + l))
            .max()
            .unwrap_or(0)
    });
    let opts = settings.options();
    let key = assembly_key(chosen, &starts, &opts, length_ms, settings, outputs);
    let previous = store.piece_assembled(piece).map_err(other)?;
    let unchanged = previous.as_ref().is_some_and(|(k, _)| *k == key)
        && outputs.audio.is_file()
        && outputs.csv.is_file();
    let mut actual = starts.clone();
    if !unchanged {
        let inputs: Vec<TimedInput> = chosen
            .iter()
            .zip(&starts)
            .map(|(c, &s)| TimedInput {
                path: c.path.clone(),
                speech_at: Duration::from_millis(s),
            })
            .collect();
        let origin = piece_origin(piece, plan);
        let length = Some(Duration::from_millis(length_ms));
        let report = write_timeline(
            &inputs,
            &measured,
            &opts,
            length,
            &outputs.audio,
            Some(&origin),
        )
        .map_err(|e| match e {
            crate::audio::assemble::AssembleError::Write { .. } => TrackError::Write(e.to_string()),
            e => TrackError::Other(format!("{e}; the made lines are kept")),
        })?;
        actual = report
            .placements
            .iter()
            .map(|p| p.start.as_millis() as u64)
            .collect();
    }
    for (i, (f, p)) in fits.iter_mut().zip(&placed).enumerate() {
        f.speech_ms = Some(speech[i]);
        f.start_ms = Some(actual.get(i).copied().unwrap_or(p.start_ms));
        f.overrun_ms = Some(p.overrun_ms);
        f.action = p.action;
        store
            .set_segment_fit(piece, (i + 1) as i64, f)
            .map_err(other)?;
    }
    if !unchanged {
        let texts: Vec<&str> = plan
            .segments
            .iter()
            .map(|s| s.chunk.text.as_str())
            .collect();
        write_csv(fits, &texts, &outputs.csv)?;
        store
            .set_piece_assembled(
                piece,
                &Assembled {
                    key,
                    srt: String::new(),
                    vtt: String::new(),
                    chapters: outputs.csv.display().to_string(),
                    figures: "{}".into(),
                },
            )
            .map_err(other)?;
    } else {
        store
            .set_piece_state(piece, "assembled", None)
            .map_err(other)?;
    }
    Ok(Track {
        unchanged,
        length_ms,
    })
}

/// What the track is made from: every take, where it starts, the
/// settings, the length and where it goes.
fn assembly_key(
    chosen: &[Chosen],
    starts: &[u64],
    opts: &AssemblyOptions,
    length_ms: u64,
    settings: &Settings,
    outputs: &DubOutputs,
) -> String {
    let mut hash = Sha256::new();
    hash.update(
        format!(
            "dub|{opts:?}|{length_ms}|{}|{}\n",
            settings.overrun as u8,
            outputs.audio.display()
        )
        .as_bytes(),
    );
    for (c, s) in chosen.iter().zip(starts) {
        hash.update(format!("{}|{}|{}\n", c.task, c.path.display(), s).as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A cell a spreadsheet would run as a formula gets a leading '.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn write_csv(fits: &[DubFit], texts: &[&str], path: &Path) -> Result<(), TrackError> {
    let cannot = |e: String| {
        TrackError::Write(format!(
            "cannot write {}: {e}; check that the folder is writable and has room",
            path.display()
        ))
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "cue",
        "part",
        "speaker",
        "slot_start_ms",
        "slot_ms",
        "speech_ms",
        "speed",
        "first_speed",
        "start_ms",
        "overrun_ms",
        "action",
        "text",
    ])
    .map_err(|e| cannot(e.to_string()))?;
    for (f, text) in fits.iter().zip(texts) {
        let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        w.write_record([
            f.cue.to_string(),
            f.part.to_string(),
            cell(f.speaker.as_deref().unwrap_or("")),
            f.slot_start_ms.to_string(),
            f.slot_ms.to_string(),
            opt(f.speech_ms),
            format!("{:.1}", f.speed),
            format!("{:.1}", f.first_speed),
            opt(f.start_ms),
            opt(f.overrun_ms),
            f.action.word().to_string(),
            cell(text),
        ])
        .map_err(|e| cannot(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| cannot(e.to_string()))?;
    crate::atomic_file::write_replacing(path, "report", &bytes).map_err(|e| cannot(e.to_string()))
}

/// Writes a dub the store knows again from its stored segments (their
/// requests and fits) and settings, as `klang dub` would with nothing to
/// send: the track, the report, and with a video the mix. Blocking.
pub fn assemble_stored(
    store: &Store,
    piece: i64,
    output: &str,
    settings: &Settings,
) -> Result<Assembly, String> {
    let rows = store.segments(piece).map_err(|e| e.to_string())?;
    let mut segments = Vec::with_capacity(rows.len());
    let mut fits = Vec::with_capacity(rows.len());
    for row in rows {
        let request: crate::api::CreateRequest = serde_json::from_str(&row.request)
            .map_err(|e| format!("line {}'s request cannot be read ({e})", row.position))?;
        let fit = row.fit.ok_or_else(|| {
            format!(
                "line {} of dub #{piece} has no fit stored; run klang dub again",
                row.position
            )
        })?;
        let text = match &request {
            crate::api::CreateRequest::Tts(p) => p.text.clone(),
            _ => String::new(),
        };
        let take = choose(
            &store
                .takes_of(&row.content_key)
                .map_err(|e| e.to_string())?,
        );
        segments.push(Segment {
            position: row.position as usize,
            chunk: Chunk {
                text,
                span: 0..0,
                join: Join::Start,
                chapter: None,
                sentences: Vec::new(),
            },
            request,
            key: row.content_key,
            take,
        });
        fits.push(fit);
    }
    let plan = Plan {
        segments,
        to_send: Vec::new(),
    };
    let chosen = match ready(store, piece, &plan)? {
        Ok(chosen) => chosen,
        Err(not_yet) => return Ok(not_yet),
    };
    let paths: Vec<PathBuf> = chosen.iter().map(|c| c.path.clone()).collect();
    let measured = measure(&paths)?;
    let outputs = DubOutputs::beside(Path::new(output), settings.video.is_some());
    let track = write_track(
        store, piece, &plan, &mut fits, &chosen, measured, settings, &outputs,
    )
    .map_err(|e| e.to_string())?;
    if let (Some(video), Some(mix)) = (&settings.video, &outputs.mix)
        && (!track.unchanged || !mix.is_file())
    {
        let speech = speaking(&fits);
        let job =
            crate::video::duck::duck_and_mux(video, &outputs.audio, &speech, settings.duck_db, mix);
        let done = match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle.block_on(job),
            Err(_) => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the mix: {e}"))?
                .block_on(job),
        };
        done.map_err(|e| format!("{e}; the speech track {} is kept", outputs.audio.display()))?;
    }
    if track.unchanged {
        return Ok(Assembly::Unchanged(outputs.audio));
    }
    let placements = fits
        .iter()
        .map(|f| {
            let start = f.start_ms.unwrap_or(0) as f64 / 1000.0;
            (start, start + f.speech_ms.unwrap_or(0) as f64 / 1000.0)
        })
        .collect();
    Ok(Assembly::Written {
        path: outputs.audio,
        placements,
    })
}
