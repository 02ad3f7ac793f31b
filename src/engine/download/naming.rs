//! File names for downloaded results.
//!
//! Everything that feeds a name comes from the server (URL, task id) or the
//! user (prompt), so all of it is treated as hostile: the output is always a
//! single plain path component, whatever the input.

use crate::file_names::{MAX_NAME_BYTES, truncate_bytes};
use crate::store::TaskRecord;

/// Longest summary slug, in characters (all ASCII, so also bytes).
const MAX_SLUG: usize = 40;

/// Audio extensions we accept from a URL path, lowercase.
const AUDIO_EXTS: [&str; 10] = [
    "mp3", "wav", "m4a", "aac", "ogg", "oga", "opus", "flac", "webm", "mp4",
];

/// `2026-11-24_sfx_cl3f9a2b_strong-wind-in-forest.mp3`: the task's local
/// creation date, model, a short task id, a slug of the prompt and an audio
/// extension. Always a plain file name (no separators, no `..`, no leading
/// dot, no reserved device name) of at most [`MAX_NAME_BYTES`] bytes.
/// A task from a batch file starts with its zero-padded line number
/// (`00042_2026-...`), so a listing keeps the file's order.
pub fn file_name(task: &TaskRecord, url: &str, content_type: Option<&str>) -> String {
    let date = local_date(task.create_time.unwrap_or(task.submitted_at));
    let id = short_task_id(task);
    let slug = slug(&task.summary);
    let ext = extension(url, content_type);
    let line = match task.batch_line {
        Some(n) if n >= 0 => format!("{n:0width$}_", width = crate::batch::LINE_DIGITS),
        _ => String::new(),
    };
    let stem = format!("{line}{date}_{}_{id}_{slug}", task.model.short());
    sanitize_component(&format!("{stem}.{ext}"))
}

/// The deterministic temporary name for one task and URL, so a later run
/// finds the partial file of an interrupted one and resumes it. Hidden (a
/// leading dot) and ending in `.part` so nobody mistakes it for a result.
pub fn part_name(local_id: i64, url: &str) -> String {
    format!(".klang-{local_id}-{:016x}.part", fnv1a64(url.as_bytes()))
}

/// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`,
/// which matters because the name must survive an upgrade between the crash
/// and the resume.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// `YYYY-MM-DD` in local time; UTC if the local zone cannot say (a gap or an
/// out-of-range value), and a fixed placeholder for absurd timestamps.
fn local_date(ms: i64) -> String {
    use chrono::TimeZone;
    if let Some(t) = chrono::Local.timestamp_millis_opt(ms).earliest() {
        return t.format("%Y-%m-%d").to_string();
    }
    match chrono::Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => "0000-00-00".to_string(),
    }
}

/// The first 8 ASCII letters/digits of the server's task id, else
/// `local<id>`. Anything else in the id (dots, slashes, unicode) is dropped.
fn short_task_id(task: &TaskRecord) -> String {
    let from_server: String = task
        .task_id
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    if from_server.is_empty() {
        format!("local{}", task.id)
    } else {
        from_server
    }
}

/// Lowercase ASCII letters and digits; every other run becomes one `-`;
/// at most 40 characters, cut at a word boundary when one is near the end.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
            // Enough to decide the cut; avoids walking a huge prompt.
            if out.len() > MAX_SLUG {
                break;
            }
        } else {
            pending_dash = true;
        }
    }
    if out.len() > MAX_SLUG {
        // The slug is ASCII, so byte indices are char indices. If the
        // character just past the cap starts a new word, the cut is already
        // on a boundary; otherwise back up to the last dash, unless that
        // would throw away most of the slug.
        let boundary = if out.as_bytes()[MAX_SLUG] == b'-' {
            MAX_SLUG
        } else {
            match out[..MAX_SLUG].rfind('-') {
                Some(i) if i >= MAX_SLUG / 2 => i,
                _ => MAX_SLUG,
            }
        };
        out.truncate(boundary);
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "audio".to_string()
    } else {
        trimmed.to_string()
    }
}

/// The extension from the URL path's last segment if it is a known audio
/// type, else from the Content-Type, else `mp3`. Only ever one of a fixed
/// set of strings, so nothing from the URL reaches the file name.
pub fn extension(url: &str, content_type: Option<&str>) -> &'static str {
    from_url(url)
        .or_else(|| content_type.and_then(from_content_type))
        .unwrap_or("mp3")
}

fn from_url(url: &str) -> Option<&'static str> {
    let parsed = url::Url::parse(url).ok()?;
    let last = parsed.path_segments()?.next_back()?;
    let (_, ext) = last.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    AUDIO_EXTS.into_iter().find(|known| *known == ext)
}

fn from_content_type(content_type: &str) -> Option<&'static str> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match essence.as_str() {
        "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg" => "mp3",
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "wav",
        "audio/mp4" | "audio/x-m4a" | "audio/m4a" => "m4a",
        "audio/ogg" => "ogg",
        "audio/opus" => "opus",
        "audio/flac" | "audio/x-flac" => "flac",
        "audio/aac" | "audio/x-aac" | "audio/aacp" => "aac",
        "audio/webm" => "webm",
        _ => return None,
    })
}

/// Windows device names, which refuse to be files whatever the extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Makes any string one safe path component. `file_name` already builds
/// safe names; this is the last line of defence should that ever change.
pub fn sanitize_component(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| match c {
            // Separators on any platform, and characters Windows refuses.
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            // Bidi controls and other invisible formatting characters are
            // not `is_control`, but can disguise a name (`mp3.exe`).
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => '_',
            '\u{FEFF}' => '_',
            c => c,
        })
        .collect();
    // Cap the length first, so the rules below see the final text.
    if out.len() > MAX_NAME_BYTES {
        out = shorten_keeping_ext(&out);
    }
    // No `..` anywhere, so no component can climb out.
    while out.contains("..") {
        out = out.replace("..", "_.");
    }
    // Windows drops trailing dots and spaces, which could merge two names.
    let trimmed_len = out.trim_end_matches(['.', ' ']).len();
    out.truncate(trimmed_len);
    if out.starts_with('.') {
        out.replace_range(..1, "_");
    }
    let device = out.split('.').next().unwrap_or("").trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(device)) {
        out.insert(0, '_');
    }
    if out.is_empty() {
        out.push_str("audio");
    }
    out
}

/// Cuts the stem so the whole name fits, keeping a short extension.
fn shorten_keeping_ext(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 8 => {
            let keep = MAX_NAME_BYTES - ext.len() - 1;
            format!("{}.{ext}", truncate_bytes(stem, keep))
        }
        _ => truncate_bytes(name, MAX_NAME_BYTES).to_string(),
    }
}
