//! The headless command line: `klang submit`, `list`, `show`, `download`,
//! `paths`, `sandbox`. (Being written.)

pub mod context;

pub use context::{Context, ContextError, Overrides};
