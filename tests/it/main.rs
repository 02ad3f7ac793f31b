//! Every integration test of klang in one crate: one build, one link and
//! one process for all of them (54 crates took 2.1 GB of executables and
//! relinked each after any change in src/). A module per area, as the
//! files were; shared helpers in `common` and the `*_support` modules.
//! Each test that runs klang gives it a private home (`common::home`).

mod common;
mod download_support;
mod sandbox_support;
mod tui_support;

mod answer_shapes;
mod architecture;
mod audio_analysis;
mod audio_assemble;
mod audio_engine;
mod audio_judged;
mod audio_matched;
mod audio_spectrogram;
mod batch;
mod callbacks;
mod cli;
mod cli_audio;
mod cli_truths;
mod clipboard;
mod completions;
mod compose_bell;
mod compose_cli;
mod compose_tmux;
mod compose_tui;
mod config_files;
mod discard;
mod download;
mod download_resume;
mod engine_e2e;
mod export_stats;
mod faults;
mod fuzz_decode;
mod hostile;
mod hostile_cli;
mod hostile_engine;
mod hostile_terminal;
mod inputs_bounded;
mod kill_restart;
mod mux;
mod not_audio;
mod origin_meta;
mod pieces_tmux;
mod pieces_tui;
mod planted_links;
mod quiet_polling;
mod readme_keys;
mod receiver_hardening;
mod receiver_secrets;
mod render_cli;
mod sandbox_audio;
mod sandbox_contract;
mod sandbox_faults_callbacks;
mod speak;
mod speak_build;
mod store_faults;
mod subtitles;
mod takes_tmux;
mod tui_app;
mod tui_audio;
mod tui_commands;
mod tui_form;
mod tui_help;
mod tui_loop;
mod tui_mux;
mod tui_render;
mod tui_snapshots;
mod tui_stats;
mod tui_takes;
mod tui_tmux;
mod tui_video_check;
mod video_check;
mod video_file;
