//! Work whose panics klang survives (a decoder bug on a hostile file ends
//! as "cannot decode"), and a way for a panic hook to tell: the dashboard's
//! hook restores the terminal and prints the panic, which would leave a
//! running dashboard in a cooked terminal with text over it.

use std::cell::Cell;
use std::panic::UnwindSafe;

thread_local! {
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`; `None` when it panicked. While it runs,
/// [`is_caught`] is true on this thread.
pub fn catching<T>(work: impl FnOnce() -> T + UnwindSafe) -> Option<T> {
    let outer = CATCHING.with(|c| c.replace(true));
    let outcome = std::panic::catch_unwind(work);
    CATCHING.with(|c| c.set(outer));
    outcome.ok()
}

/// True when a panic on this thread now would be caught by [`catching`]:
/// a panic hook should log it, not end the session.
pub fn is_caught() -> bool {
    CATCHING.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_caught_and_flagged_only_inside() {
        assert!(!is_caught());
        assert_eq!(catching(is_caught), Some(true));
        assert!(!is_caught());
        let outcome = catching(|| -> u8 { panic!("decoder bug") });
        assert_eq!(outcome, None);
        assert!(!is_caught(), "the flag is reset after a panic too");
        // Nested: the inner one does not clear the outer one's flag.
        assert_eq!(catching(|| (catching(|| ()), is_caught()).1), Some(true));
    }
}
