//! The bed key: in the takes view, an ambience bed of the group's
//! downloaded takes, laid as `klang bed --group G` lays them (crossfades
//! at matched loudness, no take back within 30 s; sends nothing), off the
//! UI task (`Command::MakeBed`, answered by `Message::Bedded`), written
//! beside the downloads or in the export folder. A key press makes
//! [`KEY_MINUTES`] of bed, not `klang bed`'s 10: a minute is written in
//! a blink and is enough to hear whether the takes make a bed. The
//! details of every take of the group show the bed's file and length.

use super::App;
use super::message::{Command, Commands};
use super::selection::saved_file;
use crate::audio::render::{Container, OutputFormat};
use crate::pieces::bed::MAX_TAKES;
use crate::sanitize::single_line;
use crate::store::LocalState;
use crate::tui::keys::action::Action;
use std::path::{Path, PathBuf};

/// How long a bed the key makes, minutes.
pub const KEY_MINUTES: f64 = 1.0;

/// A bed written.
#[derive(Clone, Debug, PartialEq)]
pub struct Bedded {
    pub path: PathBuf,
    pub seconds: f64,
    /// How many takes it was laid from.
    pub takes: usize,
}

/// What the bed key is doing for a group, for the details.
#[derive(Clone, Debug, PartialEq)]
pub enum BedState {
    Running,
    Done(Bedded),
}

impl App {
    pub(crate) fn bed_of_group(&mut self) -> Option<Command> {
        let key = self.key_name(Action::Bed);
        let Some(view) = &self.selection.takes else {
            let takes = self.key_name(Action::Group);
            self.toast(format!(
                "{key} makes a bed of a group's takes: {takes} opens the selected task's takes, then {key}"
            ));
            return None;
        };
        let group = view.group.clone();
        let shown = single_line(&group);
        if view.loading {
            self.toast(format!(
                "group {shown}'s takes are still loading; {key} again in a moment"
            ));
            return None;
        }
        let takes: Vec<PathBuf> = view
            .takes()
            .iter()
            .filter(|t| t.state == LocalState::Completed && !t.discarded)
            .filter_map(saved_file)
            .collect();
        if takes.is_empty() {
            let download = self.key_name(Action::DownloadAll);
            self.toast_error(format!(
                "group {shown} has no downloaded takes: {download} fetches them, then {key} again"
            ));
            return None;
        }
        if takes.len() > MAX_TAKES {
            let discard = self.key_name(Action::Discard);
            self.toast_error(format!(
                "group {shown} has {} takes; a bed uses at most {MAX_TAKES}: discard some with {discard}, then {key} again",
                takes.len()
            ));
            return None;
        }
        if matches!(self.beds.get(&group), Some(BedState::Running)) {
            self.toast(format!("group {shown}'s bed is being made already"));
            return None;
        }
        let dir = self
            .settings
            .export_dir
            .clone()
            .or_else(|| takes[0].parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let format = OutputFormat {
            container: Container::Wav,
            rate: self.settings.export.rate,
            bits: self.settings.export.bits,
        };
        self.toast(format!(
            "making a {KEY_MINUTES:.0}-minute bed of group {shown} from {} takes…",
            takes.len()
        ));
        self.beds.insert(group.clone(), BedState::Running);
        Some(Command::MakeBed {
            group,
            takes,
            dir,
            minutes: KEY_MINUTES,
            format,
        })
    }

    pub(crate) fn on_bedded(&mut self, group: String, result: Result<Bedded, String>) -> Commands {
        let shown = single_line(&group);
        match result {
            Ok(bed) => {
                let path = bed.path.display().to_string();
                self.toast(format!("bed of group {shown}: {}", single_line(&path)));
                self.beds.insert(group, BedState::Done(bed));
            }
            Err(e) => {
                self.beds.remove(&group);
                self.toast_error(format!("no bed of group {shown}: {}", single_line(&e)));
            }
        }
        vec![Command::Redraw]
    }

    /// The bed the details show for a group.
    pub fn bed_of(&self, group: &str) -> Option<&BedState> {
        self.beds.get(group)
    }
}
