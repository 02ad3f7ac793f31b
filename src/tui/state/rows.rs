//! How the app keeps its table window fed: every message may leave the
//! window wanting rows; from a store that becomes a [`Command::QueryWindow`]
//! (answered off the UI task), from a history in memory it is answered at
//! once.

use crate::tui::state::window::Delivery;
use crate::tui::state::{App, Command, Commands};

impl App {
    /// Adds the window's request, if it has one, to `commands`.
    pub(crate) fn query_window(&mut self, commands: &mut Commands) {
        if self.selection.tasks.is_in_memory() {
            if self.selection.tasks.settle_locally() && !commands.contains(&Command::Redraw) {
                commands.push(Command::Redraw);
            }
        } else if let Some(request) = self.selection.tasks.take_request() {
            commands.push(Command::QueryWindow(request));
        }
    }

    /// The commands the dashboard starts with: the first rows.
    pub fn startup_commands(&mut self) -> Commands {
        let mut commands = Vec::new();
        self.query_window(&mut commands);
        commands
    }

    pub(crate) fn on_window(&mut self, delivery: Delivery) -> Commands {
        match delivery {
            Delivery::Rows(answer) => {
                if self.selection.tasks.apply(answer) {
                    if let Some(id) = self.selection.select_when_seen
                        && self.selection.tasks.row_of(id).is_some()
                    {
                        self.selection.select_when_seen = None;
                        self.selection.tasks.select_id(id);
                    }
                    return vec![Command::Redraw];
                }
                Vec::new()
            }
            // A count of a filter typed over since is dropped.
            Delivery::Count(count) => {
                if self.selection.tasks.apply_count(count) {
                    vec![Command::Redraw]
                } else {
                    Vec::new()
                }
            }
            Delivery::Failed { generation, error } => {
                self.selection.tasks.failed(generation);
                self.toast_error(format!(
                    "cannot read the task history: {error}; the table shows what it had"
                ));
                vec![Command::Redraw]
            }
        }
    }
}
