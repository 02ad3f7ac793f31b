//! `klang analyze FILE...`: the figures `klang show` prints, for any file
//! on disk (no task, no store). One block per file; a file that cannot be
//! measured is one line on stderr and exit 1, the others are still
//! measured.

use super::args::AnalyzeArgs;
use super::output::{outln, print_json};
use super::{audio, exit};
use crate::audio::{AudioStats, analyse_file};
use crate::sanitize::terminal_safe;
use serde::Serialize;
use std::io::IsTerminal;

/// One file as `--json` prints it: the same names as `show --json`'s
/// `audio`, plus the path (and `error` instead when it failed).
#[derive(Serialize)]
struct FileFigures {
    path: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    stats: Option<AudioStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub(super) fn run(args: &AnalyzeArgs) -> i32 {
    let with_waveform = std::io::stdout().is_terminal();
    let mut all = Vec::with_capacity(args.files.len());
    let mut failed = false;
    for (i, file) in args.files.iter().enumerate() {
        let path = file.display().to_string();
        match analyse_file(file) {
            Ok(a) => {
                if !args.json {
                    if i > 0 {
                        outln!("");
                    }
                    outln!("{:<16} {}", "file", terminal_safe(&path));
                    audio::print_analysis(&a, with_waveform);
                }
                all.push(FileFigures {
                    path,
                    stats: Some(a.stats),
                    error: None,
                });
            }
            Err(e) => {
                failed = true;
                let message = e.to_string();
                eprintln!("klang: {}", terminal_safe(&message));
                all.push(FileFigures {
                    path,
                    stats: None,
                    error: Some(message),
                });
            }
        }
    }
    if args.json {
        print_json(&all);
    }
    if failed { exit::TASK_FAILED } else { exit::OK }
}
