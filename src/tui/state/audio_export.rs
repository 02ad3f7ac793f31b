//! The render key: the selected result through the render chain with the
//! `[render]` defaults of config.toml, off the UI task (`Command::ExportAudio`
//! on a blocking thread), its written path in a toast.

use super::App;
use super::message::{Command, Commands};
use super::selection::saved_file;
use crate::sanitize::single_line;
use crate::tui::keys::action::Action;
use std::path::{Path, PathBuf};

impl App {
    pub(crate) fn export_audio_selected(&mut self) -> Option<Command> {
        let task = self.selected_result("render")?;
        let id = task.id;
        let Some(source) = saved_file(&task) else {
            let download = self.key_name(Action::Download);
            self.toast_error(format!(
                "#{id} is not downloaded yet: {download} fetches it, then render again"
            ));
            return None;
        };
        let dir = self
            .settings
            .export_dir
            .clone()
            .or_else(|| source.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let stem = source
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("task{id}"));
        self.toast(format!("rendering #{id}…"));
        Some(Command::ExportAudio {
            id,
            source,
            settings: self.settings.export.clone(),
            dir,
            stem,
            origin: Box::new(task.origin()),
        })
    }

    pub(crate) fn on_audio_exported(
        &mut self,
        id: i64,
        result: Result<PathBuf, String>,
    ) -> Commands {
        match result {
            Ok(path) => {
                let path = path.display().to_string();
                self.toast(format!("rendered #{id}: {}", single_line(&path)));
            }
            Err(e) => self.toast_error(format!("cannot render #{id}: {}", single_line(&e))),
        }
        vec![Command::Redraw]
    }
}
