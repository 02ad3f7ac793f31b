//! `handle`: each message to the component it concerns, then the requests
//! for what the new state lacks; and what the last frame's layout learned
//! (`Message::Laid`).

use crate::tui::state::form::video_check::CheckRequest;
use crate::tui::state::{App, Command, Commands, Message, ScreenLayout};

impl App {
    /// Changes state for `msg` and returns what the loop must do.
    pub fn handle(&mut self, msg: Message) -> Commands {
        let commands = match msg {
            Message::Terminal(event) => self.on_terminal(event),
            Message::Engine(event) => self.on_engine(event),
            Message::Tick => self.on_tick(),
            Message::Quit => vec![Command::Quit],
            Message::Submitted(result) => self.on_submitted(result),
            Message::Starred(result) => self.on_starred(result),
            Message::HistoryLoaded(entries) => {
                for (model, field, values) in entries {
                    self.form.set_history(model, field, values);
                }
                Vec::new()
            }
            Message::Resubmitted { from, result } => self.on_resubmitted(from, result),
            Message::Copied { url, result } => self.on_copied(url, result),
            Message::Window(delivery) => self.on_window(delivery),
            Message::StatsLoaded(result) => self.on_stats_loaded(result),
            Message::PlayerEnded { token, error } => self.on_player_ended(token, error),
            Message::PlayerStarted { token } => self.on_player_started(token),
            Message::GroupLoaded { group, result } => self.on_group_loaded(group, result),
            Message::Discarded(result) => self.on_discarded(result),
            Message::AudioExported { id, result } => self.on_audio_exported(id, result),
            Message::Muxed { id, result } => self.on_muxed(id, result),
            Message::Looped { id, result } => self.on_looped(id, result),
            Message::Bedded { group, result } => self.on_bedded(group, result),
            Message::Laid(layout) => self.on_laid(layout),
            Message::PieceSubmitted(result) => self.on_piece_submitted(result),
            Message::PiecesLoaded(result) => self.on_pieces_loaded(result),
            Message::PieceAssembled { piece, result } => self.on_piece_assembled(piece, result),
            Message::SegmentsLoaded { piece, result } => self.on_segments_loaded(piece, result),
            Message::SegmentRetaken { position, result } => {
                self.on_segment_retaken(position, result)
            }
            Message::VideoChecked { token, result } => {
                if self.form.video_checked(token, result) {
                    vec![Command::Redraw]
                } else {
                    Vec::new()
                }
            }
        };
        self.ask_for_what_is_missing(commands)
    }

    /// The requests every message may call for, whatever it was: a change
    /// anywhere (a key, a row arriving, a download ending) can leave the
    /// state lacking something that only a command can bring. In the order
    /// the loop carries them out: the selected file's measurement first
    /// (before the message's own commands), then the form's video check,
    /// the selected task's and the takes' spectrograms, the table's rows.
    fn ask_for_what_is_missing(&mut self, mut commands: Commands) -> Commands {
        match self.form.sync_video_check() {
            Some(CheckRequest::Start { token, url }) => {
                commands.push(Command::CheckVideo { token, url });
                commands.push(Command::Redraw);
            }
            Some(CheckRequest::Cancel) => commands.push(Command::CancelVideoCheck),
            None => {}
        }
        if let Some(ask) = self.request_missing_analysis() {
            commands.insert(0, ask);
        }
        if let Some(ask) = self.request_missing_spectrogram() {
            commands.push(ask);
        }
        commands.extend(self.request_take_spectrograms());
        self.query_window(&mut commands);
        commands
    }

    /// The layout as the app holds it; a frame whose layout differs sends
    /// [`Message::Laid`].
    pub fn layout(&self) -> ScreenLayout {
        ScreenLayout {
            table_rows: self.ui.table_rows,
            table_offset: self.ui.table_offset,
            table_page: self.selection.tasks.page(),
            help_scroll: self.ui.help_scroll,
        }
    }

    /// Takes what the last frame's layout learned. A taller table wants
    /// more rows: the window query that follows every message asks for them.
    fn on_laid(&mut self, layout: ScreenLayout) -> Commands {
        self.ui.table_rows = layout.table_rows;
        self.ui.table_offset = layout.table_offset;
        self.ui.help_scroll = layout.help_scroll;
        if layout.table_page != self.selection.tasks.page() {
            self.selection.tasks.set_page(layout.table_page);
        }
        Vec::new()
    }
}
