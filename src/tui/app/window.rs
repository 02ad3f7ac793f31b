//! How the app keeps its table window fed: every message may leave the
//! window wanting rows; from a store that becomes a [`Command::QueryWindow`]
//! (answered off the UI task), from a history in memory it is answered at
//! once.

use crate::tui::app::{App, Command, Commands};
use crate::tui::table::window::worker::Delivery;

impl App {
    /// Adds the window's request, if it has one, to `commands`.
    pub(crate) fn query_window(&mut self, commands: &mut Commands) {
        if self.tasks.is_in_memory() {
            if self.tasks.settle_locally() && !commands.contains(&Command::Redraw) {
                commands.push(Command::Redraw);
            }
        } else if let Some(request) = self.tasks.take_request() {
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
                if self.tasks.apply(answer) {
                    if let Some(id) = self.select_when_seen
                        && self.tasks.row_of(id).is_some()
                    {
                        self.select_when_seen = None;
                        self.tasks.select_id(id);
                    }
                    return vec![Command::Redraw];
                }
                Vec::new()
            }
            // A count of a filter typed over since is dropped.
            Delivery::Count(count) => {
                if self.tasks.apply_count(count) {
                    vec![Command::Redraw]
                } else {
                    Vec::new()
                }
            }
            Delivery::Failed { generation, error } => {
                self.tasks.failed(generation);
                self.toast_error(format!(
                    "cannot read the task history: {error}; the table shows what it had"
                ));
                vec![Command::Redraw]
            }
        }
    }
}
