//! ASS and SSA: the `[Events]` section's `Format:` line names the fields
//! (SSA's `Marked` or ASS's `Layer` first; Start, End, Name, Text wherever
//! it says), each `Dialogue:` line is a cue, and the Text field, being
//! last, keeps its commas. Times are `H:MM:SS.cc`. Other sections
//! (`[Script Info]`, styles, fonts) are not spoken; `Comment:` lines
//! neither.

use super::{RawCue, Scanned, clean, timed};

/// ASS v4+'s fields, for a file that leaves out its `Format:` line.
const DEFAULT_FORMAT: &str =
    "Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text";

struct Fields {
    count: usize,
    start: usize,
    end: usize,
    name: Option<usize>,
    text: usize,
}

impl Fields {
    fn from_format(format: &str) -> Option<Fields> {
        let names: Vec<String> = format
            .split(',')
            .map(|f| f.trim().to_ascii_lowercase())
            .collect();
        let at = |wanted: &str| names.iter().position(|n| n == wanted);
        let text = at("text")?;
        // Text is the last field: the commas in it are the speaker's.
        (text == names.len() - 1).then_some(())?;
        Some(Fields {
            count: names.len(),
            start: at("start")?,
            end: at("end")?,
            name: at("name"),
            text,
        })
    }
}

pub(super) fn scan(text: &str) -> Scanned {
    let mut scanned = Scanned::default();
    let mut strays = 0;
    let mut in_events = false;
    let mut fields = Fields::from_format(DEFAULT_FORMAT);
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line).trim();
        if line.starts_with('[') && line.ends_with(']') {
            in_events = line.eq_ignore_ascii_case("[events]");
            continue;
        }
        if !in_events || line.is_empty() || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            scanned.stray(i + 1, line, &mut strays);
            continue;
        };
        match key.trim() {
            "Format" => {
                fields = Fields::from_format(value);
                if fields.is_none() {
                    scanned.stray(i + 1, line, &mut strays);
                }
            }
            "Dialogue" => match fields.as_ref().and_then(|f| dialogue(value, f, i + 1)) {
                Some(cue) => {
                    if cue.end_ms < cue.start_ms {
                        scanned.warnings.push(format!(
                            "line {}: the cue ends before it starts; read as ending where it starts",
                            i + 1
                        ));
                    }
                    scanned.cues.push(RawCue {
                        end_ms: cue.end_ms.max(cue.start_ms),
                        ..cue
                    });
                }
                None => scanned.stray(i + 1, line, &mut strays),
            },
            "Comment" | "Picture" | "Sound" | "Movie" | "Command" => {}
            _ => scanned.stray(i + 1, line, &mut strays),
        }
    }
    scanned.finish(strays)
}

fn dialogue(value: &str, fields: &Fields, line: usize) -> Option<RawCue> {
    let values: Vec<&str> = value.trim_start().splitn(fields.count, ',').collect();
    if values.len() != fields.count {
        return None;
    }
    let start_ms = timed::timestamp(values[fields.start].trim())?;
    let end_ms = timed::timestamp(values[fields.end].trim())?;
    let (text, label) = clean::ass_text(values[fields.text]);
    let name = fields
        .name
        .map(|n| values[n].trim())
        .filter(|n| !n.is_empty())
        .map(|n| crate::sanitize::single_line(n).into_owned());
    Some(RawCue {
        start_ms,
        end_ms,
        text,
        speaker: name.or(label),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssa_and_ass_fields_come_from_the_format_line() {
        let s = scan(
            "[Script Info]\nTitle: x\n\n[V4 Styles]\nFormat: Name, Fontname\nStyle: Default,Arial\n\n[Events]\nFormat: Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: Marked=0,0:00:01.50,0:00:03.00,Default,Ann,0,0,0,,Well, {\\i1}yes{\\i0}, I think\nComment: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,not spoken\n",
        );
        assert_eq!(s.cues.len(), 1);
        let cue = &s.cues[0];
        assert_eq!((cue.start_ms, cue.end_ms, cue.line), (1500, 3000, 10));
        assert_eq!(cue.text, "Well, yes, I think");
        assert_eq!(cue.speaker.as_deref(), Some("Ann"));
        assert!(s.first_stray.is_none());
    }

    #[test]
    fn a_dialogue_that_does_not_parse_is_named() {
        let s = scan("[Events]\nDialogue: 0,zero,0:00:02.00,Default,,0,0,0,,Hi\n");
        assert!(s.cues.is_empty());
        assert_eq!(s.first_stray.map(|(line, _)| line), Some(2));
    }
}
