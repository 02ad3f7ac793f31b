//! Every thing a user can ask the dashboard to do, by name. The name is what
//! `[keys]` in config.toml uses (`copy = "c"`); [`Action::info`] holds the
//! default keys and the words the help overlay, the hint bar and the README
//! show. What an action *does* is in one place: `App::perform` in
//! `tui/app/update.rs`, one method per action.
//!
//! Adding an action: a variant here, its `info` arm (the compiler asks for
//! both), and its arm in `App::perform`.

use strum::{EnumIter, EnumString, IntoEnumIterator, IntoStaticStr};

/// Where a key is read. The same key may mean different actions in
/// different scopes (Enter opens details in the table and submits in the
/// form); within one scope a key means one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter)]
pub enum Scope {
    /// The task table, the details pane and the help overlay.
    Table,
    /// The new-task form. A key that types text in a text field stays text.
    Form,
    /// The `/` filter prompt. Keys that type text stay text.
    Filter,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Table => "Table and details",
            Scope::Form => "New-task form",
            Scope::Filter => "Filter prompt",
        }
    }
}

/// Keys that are not actions (not rebindable): line editing, which
/// tui-input does, and the form's own choosers.
pub const FIXED_KEYS: &[(&str, &str)] = &[
    (
        "text fields",
        "^W deletes a word, ^U the line, ^K to the end; ^A/^E or Home/End jump; paste works",
    ),
    (
        "form choosers",
        "←/→ or Space change the model on the selector, toggle ASMR, pick a language",
    ),
];

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, EnumString, IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    // Moving around.
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    NextPane,
    PrevPane,
    Details,
    Back,
    // Working on tasks.
    NewTask,
    Edit,
    Resubmit,
    Copy,
    Download,
    DownloadAll,
    Play,
    Filter,
    Sort,
    Resume,
    Star,
    Group,
    Discard,
    Spectrogram,
    Loop,
    Bed,
    Render,
    Mux,
    // The form.
    Submit,
    NextField,
    PrevField,
    NextModel,
    PrevModel,
    HistorySearch,
    Newline,
    // The app.
    Stats,
    Help,
    Quit,
    ForceQuit,
}

/// What the help, the hint bar and the README say about an action.
#[derive(Clone, Copy, Debug)]
pub struct ActionInfo {
    /// Keys in config.toml syntax (see `tui/keys/keymap.rs`).
    pub keys: &'static [&'static str],
    /// A word or two for the hint bar.
    pub hint: &'static str,
    /// One line for the help overlay and the README.
    pub description: &'static str,
    pub scopes: &'static [Scope],
}

const TABLE: &[Scope] = &[Scope::Table];
const FORM: &[Scope] = &[Scope::Form];
const EVERYWHERE: &[Scope] = &[Scope::Table, Scope::Form, Scope::Filter];

const fn info(
    keys: &'static [&'static str],
    hint: &'static str,
    description: &'static str,
    scopes: &'static [Scope],
) -> ActionInfo {
    ActionInfo {
        keys,
        hint,
        description,
        scopes,
    }
}

impl Action {
    pub fn info(self) -> ActionInfo {
        use Action::*;
        const KEEP_FILTER: &[Scope] = &[Scope::Form, Scope::Filter];
        const UP_DOWN: &[Scope] = &[Scope::Table, Scope::Filter, Scope::Form];
        match self {
            Up => info(
                &["k", "up"],
                "up",
                "move up, on to the pieces above the tasks; in the form: the voice list, older text",
                UP_DOWN,
            ),
            Down => info(
                &["j", "down"],
                "down",
                "move down; in the form: the voice list, newer text",
                UP_DOWN,
            ),
            Top => info(&["g", "home"], "top", "first task", TABLE),
            Bottom => info(&["G", "end"], "bottom", "last task", TABLE),
            PageUp => info(&["pgup"], "page up", "a page up", TABLE),
            PageDown => info(&["pgdn"], "page down", "a page down", TABLE),
            HalfPageUp => info(&["ctrl+u"], "½ up", "half a page up", TABLE),
            HalfPageDown => info(&["ctrl+d"], "½ down", "half a page down", TABLE),
            NextPane => info(
                &["tab"],
                "pane",
                "next pane: table, form, details (keeps a filter)",
                &[Scope::Table, Scope::Filter],
            ),
            PrevPane => info(&["shift+tab"], "pane", "previous pane", TABLE),
            Details => info(
                &["enter"],
                "details",
                "open the selected task's details",
                TABLE,
            ),
            Back => info(
                &["esc"],
                "back",
                "leave the form, details or help; clear the filter",
                EVERYWHERE,
            ),
            NewTask => info(&["n"], "new", "new task (form, first field)", TABLE),
            Edit => info(
                &["e"],
                "edit",
                "edit: load the task's parameters into the form",
                TABLE,
            ),
            Resubmit => info(
                &["r"],
                "retry",
                "resubmit a failed task with the same parameters; on a piece's segment: one new take, then the piece is assembled again",
                TABLE,
            ),
            Copy => info(
                &["y"],
                "copy",
                "copy the result URL (OSC 52, works over SSH)",
                TABLE,
            ),
            Download => info(&["d"], "dl", "download the selected task's file", TABLE),
            Play => info(
                &["p"],
                "play",
                "play the selected result (downloading it first); on a piece: its narration, the row naming the segment sounding; again or Esc stops",
                TABLE,
            ),
            DownloadAll => info(
                &["D"],
                "all",
                "download every completed task not yet saved",
                TABLE,
            ),
            Filter => info(&["/"], "filter", "filter by text, model or state", TABLE),
            Sort => info(
                &["s"],
                "sort",
                "sort: newest, oldest, state, cost, duration",
                TABLE,
            ),
            Resume => info(
                &["R"],
                "resume",
                "resume a paused engine (after fixing the key or credits)",
                TABLE,
            ),
            Submit => info(
                &["enter"],
                "submit",
                "form: submit (on the voice list: pick) · filter: keep it",
                KEEP_FILTER,
            ),
            NextField => info(&["tab"], "field", "next field", FORM),
            PrevField => info(&["shift+tab"], "field", "previous field", FORM),
            Newline => info(
                &["alt+enter"],
                "newline",
                "a line break in the TTS text (other fields are one line)",
                FORM,
            ),
            HistorySearch => info(
                &["ctrl+r"],
                "history",
                "search the focused text field's earlier values (newest first; Enter takes one)",
                FORM,
            ),
            NextModel => info(&["ctrl+n"], "model", "next model", FORM),
            PrevModel => info(&["ctrl+p"], "model", "previous model", FORM),
            Star => info(
                &["*"],
                "star",
                "star or unstar the task (filter is:starred; klang list --starred)",
                TABLE,
            ),
            Group => info(
                &["="],
                "takes",
                "the selected task's takes side by side: waveform, loudness, star; p plays them at matched loudness; on a piece: its segments in order (again or Esc closes)",
                TABLE,
            ),
            Discard => info(
                &["x"],
                "discard",
                "discard the take after a confirmation: its file is deleted, the row kept (again on a discarded one: keep it; filter is:discarded)",
                TABLE,
            ),
            Spectrogram => info(
                &["v"],
                "spectrum",
                "show a spectrogram instead of the waveform (again: the waveform)",
                TABLE,
            ),
            Render => info(
                &["w"],
                "render",
                "render the result with [render] in config.toml (WAV/FLAC, rate, loudness, trim) beside the download",
                TABLE,
            ),
            Loop => info(
                &["L"],
                "loop",
                "make a seamless loop of the selected result (as klang loop: 500 ms crossfade, WAV with a smpl chunk) beside the download; the details show it",
                TABLE,
            ),
            Bed => info(
                &["B"],
                "bed",
                "in the takes view: a 1-minute ambience bed of the group's downloaded takes (as klang bed --group --minutes 1; sends nothing) beside the downloads; the details show it",
                TABLE,
            ),
            Mux => info(
                &["M"],
                "mux",
                "put a video-to-audio result on its video (ffmpeg): one MP4 beside the download, the details show it",
                TABLE,
            ),
            Stats => info(
                &["$"],
                "stats",
                "spend per day and per model, failure rates, generation times (again closes it)",
                TABLE,
            ),
            Help => info(&["?"], "help", "this help (again closes it)", TABLE),
            Quit => info(&["q"], "quit", "quit (asks while downloads run)", TABLE),
            ForceQuit => info(&["ctrl+c"], "quit", "quit from anywhere", EVERYWHERE),
        }
    }

    /// The name used in config.toml.
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn all() -> impl Iterator<Item = Action> {
        Action::iter()
    }

    pub fn in_scope(self, scope: Scope) -> bool {
        self.info().scopes.contains(&scope)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn names_are_snake_case_and_parse_back() {
        assert_eq!(Action::DownloadAll.name(), "download_all");
        assert_eq!(Action::from_str("new_task"), Ok(Action::NewTask));
        for action in Action::all() {
            assert_eq!(Action::from_str(action.name()), Ok(action));
            assert!(!action.info().description.is_empty(), "{action}");
            assert!(!action.info().scopes.is_empty(), "{action}");
        }
        assert!(Action::from_str("cpy").is_err());
    }
}
