//! `klang show ID`: one task in full, with the figures and a one-line
//! waveform of its file once it is on disk.

use super::args::ShowArgs;
use super::output::{self, print_json, task_view};
use super::{Context, Failure, audio, exit};

pub(super) fn run(ctx: Context, args: ShowArgs) -> Result<i32, Failure> {
    let record = super::find_task(&ctx, &args.id)?;
    let analysis = audio::analysis_for(&ctx.store, &record);
    // Measuring just now may have filled the length.
    let record = match &analysis {
        Some(_) => ctx.store.get(record.id)?,
        None => record,
    };
    // A take of a piece's segment names its piece.
    let piece = ctx.store.piece_of_task(record.id)?;
    if args.json {
        let mut view = task_view(&record);
        match analysis.map(|a| a.outcome) {
            Some(Ok(a)) => view.audio = Some(a.stats),
            Some(Err(e)) => view.audio_error = Some(e),
            None => {}
        }
        let mut value = serde_json::to_value(&view).unwrap_or_default();
        if let (Some((id, output, segment)), Some(map)) = (&piece, value.as_object_mut()) {
            map.insert(
                "piece".into(),
                serde_json::json!({"id": id, "output": output, "segment": segment}),
            );
        }
        print_json(&value);
    } else {
        output::print_detail(&record);
        if let Some((id, output, segment)) = &piece {
            output::outln!(
                "{:<16} #{id} {}, segment {segment}",
                "piece",
                crate::sanitize::terminal_safe(output)
            );
        }
        if let Some(stored) = &analysis {
            audio::print_audio(stored);
        }
    }
    Ok(exit::OK)
}
