//! The mux key: the selected video-to-audio result put on its video
//! (`video::mux`, ffmpeg) off the UI task (`Command::Mux`, answered by
//! `Message::Muxed`), downloading the result first when it has no file.
//! The details show the muxed file's path once it is written.

use super::App;
use super::message::{Command, Commands};
use super::selection::saved_file;
use crate::sanitize::single_line;
use crate::video::mux::{self, VideoSource};
use std::path::{Path, PathBuf};

/// What the mux key is doing for a task, for the details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MuxState {
    /// Waiting for the result's download, then muxing this video.
    Downloading(VideoSource),
    Running,
    /// The latest muxed file.
    Done(PathBuf),
}

impl App {
    pub(crate) fn mux_selected(&mut self) -> Option<Command> {
        let task = self.selected_result("mux")?;
        let id = task.id;
        let video = match mux::source_of(&task) {
            Ok(video) => video,
            Err(e) => {
                self.toast_error(single_line(&e.to_string()).into_owned());
                return None;
            }
        };
        if matches!(
            self.muxes.get(&id),
            Some(MuxState::Running | MuxState::Downloading(_))
        ) {
            self.toast(format!("#{id} is being muxed already"));
            return None;
        }
        match saved_file(&task) {
            Some(audio) => Some(self.mux_command(id, video, audio)),
            None => {
                self.muxes.insert(id, MuxState::Downloading(video));
                self.toast(format!("downloading #{id} first, then muxing it"));
                (!self.downloads.contains_key(&id)).then_some(Command::Download(id))
            }
        }
    }

    /// The command muxing task `id`'s `video` with the audio at `audio`,
    /// written beside the audio.
    fn mux_command(&mut self, id: i64, video: VideoSource, audio: PathBuf) -> Command {
        let dir = audio.parent().map(Path::to_path_buf).unwrap_or_default();
        self.muxes.insert(id, MuxState::Running);
        self.toast(format!("muxing #{id}…"));
        Command::Mux {
            id,
            name: mux::muxed_name(&audio, id),
            video,
            audio,
            dir,
        }
    }

    /// A download finished: the mux that waited for it starts.
    pub(crate) fn mux_if_waiting(&mut self, id: i64, path: &Path) -> Option<Command> {
        let Some(MuxState::Downloading(video)) = self.muxes.get(&id) else {
            return None;
        };
        let video = video.clone();
        Some(self.mux_command(id, video, path.to_path_buf()))
    }

    /// A download failed: the mux that waited for it will not run.
    pub(crate) fn mux_download_failed(&mut self, id: i64) {
        if matches!(self.muxes.get(&id), Some(MuxState::Downloading(_))) {
            self.muxes.remove(&id);
        }
    }

    pub(crate) fn on_muxed(&mut self, id: i64, result: Result<PathBuf, String>) -> Commands {
        match result {
            Ok(path) => {
                let shown = path.display().to_string();
                self.toast(format!("muxed #{id}: {}", single_line(&shown)));
                self.muxes.insert(id, MuxState::Done(path));
            }
            Err(e) => {
                self.muxes.remove(&id);
                self.toast_error(format!("cannot mux #{id}: {}", single_line(&e)));
            }
        }
        vec![Command::Redraw]
    }

    /// The muxed file the details show for `id`.
    pub fn muxed_file(&self, id: i64) -> Option<&MuxState> {
        self.muxes.get(&id)
    }
}
