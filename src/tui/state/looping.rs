//! The loop key: a seamless loop of the selected result (`audio::looping`,
//! as `klang loop` makes it, 500 ms crossfade, WAV with a `smpl` chunk)
//! off the UI task (`Command::MakeLoop`, answered by `Message::Looped`),
//! written beside the download or in the export folder. The details show
//! the loop's file, length and how well its ends matched.

use super::App;
use super::message::{Command, Commands};
use super::selection::saved_file;
use crate::sanitize::single_line;
use crate::tui::keys::action::Action;
use std::path::{Path, PathBuf};

/// A loop written.
#[derive(Clone, Debug, PartialEq)]
pub struct Looped {
    pub path: PathBuf,
    pub seconds: f64,
    pub crossfade_ms: u64,
    pub correlation: f64,
}

/// What the loop key is doing for a task, for the details.
#[derive(Clone, Debug, PartialEq)]
pub enum LoopState {
    Running,
    Done(Looped),
}

impl App {
    pub(crate) fn loop_selected(&mut self) -> Option<Command> {
        let task = self.selected_result("loop")?;
        let id = task.id;
        let Some(source) = saved_file(&task) else {
            let download = self.key_name(Action::Download);
            self.toast_error(format!(
                "#{id} is not downloaded yet: {download} fetches it, then loop again"
            ));
            return None;
        };
        if matches!(self.loops.get(&id), Some(LoopState::Running)) {
            self.toast(format!("#{id}'s loop is being made already"));
            return None;
        }
        let dir = self
            .settings
            .export_dir
            .clone()
            .or_else(|| source.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        self.loops.insert(id, LoopState::Running);
        self.toast(format!("making a loop of #{id}…"));
        Some(Command::MakeLoop {
            id,
            source,
            dir,
            origin: Box::new(task.origin()),
        })
    }

    pub(crate) fn on_looped(&mut self, id: i64, result: Result<Looped, String>) -> Commands {
        match result {
            Ok(looped) => {
                let shown = looped.path.display().to_string();
                self.toast(format!("looped #{id}: {}", single_line(&shown)));
                self.loops.insert(id, LoopState::Done(looped));
            }
            Err(e) => {
                self.loops.remove(&id);
                self.toast_error(format!("cannot loop #{id}: {}", single_line(&e)));
            }
        }
        vec![Command::Redraw]
    }

    /// The loop the details show for `id`.
    pub fn loop_of(&self, id: i64) -> Option<&LoopState> {
        self.loops.get(&id)
    }
}
