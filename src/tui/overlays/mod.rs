//! Draws what opens over the screen: the help (every key), the confirmations
//! (quit while tasks run) and the spend overlay (`$`).

pub mod help;
pub mod stats;
