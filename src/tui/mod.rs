//! The terminal dashboard. `run` is the entry point.
//!
//! Three layers over two shared folders (docs/architecture.md draws them):
//! - `keys/`, `theme/`: every user action with its keys and words, and the
//!   colours; they know nothing of the layers above.
//! - `state/`: the `App`, the one `Message` enum, `handle(Message) ->
//!   Vec<Command>` and each component's state (selection and its window of
//!   rows, playback, the form, the takes). No I/O, no drawing.
//! - `ui/`: drawing only. It reads the `App` and a `Frame`; what the layout
//!   learned goes back as data (`Message::Laid`).
//! - `runtime/`: the event loop, the effects that carry out commands, the
//!   terminal, the clipboard and the jobs.
//!
//! `harness` drives state, ui and runtime in tests (feature `test-support`).

#[cfg(any(test, feature = "test-support"))]
pub mod harness;
pub mod keys;
pub mod runtime;
pub mod state;
pub mod theme;
pub mod ui;

pub use keys::action::{Action, Scope};
pub use keys::keymap::{Key, KeyMap};
pub use runtime::effects::Effects;
pub use runtime::{TuiOptions, run};
pub use state::playback::Playback;
pub use state::{
    App, AppInit, Command, Commands, Focus, Message, Overlay, ScreenLayout, ShownTime, TOAST_FOR,
    Toast, UiState,
};
pub use ui::draw;
