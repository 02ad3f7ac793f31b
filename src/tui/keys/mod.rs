//! Decides which action a key means: `action` names every user action with
//! its default keys, hint and description (one list feeds dispatch, the help
//! and the README's key table); `key` parses key names; `keymap` applies
//! `[keys]` from config.toml over the defaults.

pub mod action;
pub mod key;
pub mod keymap;
