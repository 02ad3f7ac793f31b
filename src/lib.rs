//! klang: a terminal dashboard and headless CLI for the Kling audio API.
//!
//! Layers: `api` (wire types, validation, HTTP client), `store` (SQLite task
//! history), `engine` (poll loop, downloads, events), `sandbox` (a local server
//! that follows the API contract) and `cli` know nothing of the terminal UI;
//! only `tui` draws. `bootstrap` resolves config, paths, key, store and
//! engine for both `cli` and `tui`.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod atomic_file;
pub mod audio;
pub mod batch;
pub mod bootstrap;
pub mod budget;
pub mod caught;
pub mod cli;
pub mod config;
pub mod dub;
pub mod engine;
pub mod file_host;
pub mod file_names;
pub mod input_file;
pub mod notify;
pub mod pieces;
pub mod sandbox;
pub mod sanitize;
pub mod stats;
pub mod store;
pub mod subtitles;
pub mod tls;
pub mod tui;
pub mod video;
