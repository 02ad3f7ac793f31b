//! Putting the terminal into dashboard mode and, on every way out (quit,
//! error, panic, SIGTERM, SIGHUP), back. Restoring is idempotent, so the
//! panic hook, the guard's drop and the normal path can all call it.

use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::io::{self, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static ACTIVE: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Raw mode, alternate screen, bracketed paste, and mouse capture when
/// `mouse` (off leaves selection to the terminal).
/// Make a [`Guard`] first: from the moment raw mode is on, `restore` undoes
/// whatever part of this succeeded.
pub fn enter(mouse: bool) -> io::Result<()> {
    // Marked before the first change: restoring a mode that was never set
    // is harmless, leaving one set is not.
    ACTIVE.store(true, Ordering::SeqCst);
    MOUSE.store(mouse, Ordering::SeqCst);
    enable_raw_mode()?;
    let mut out = io::stdout();
    // Focus reports let `notify = "auto"` ring only when the user looks away.
    execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableFocusChange
    )?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    Ok(())
}

/// Undoes `enter`. Errors are ignored: after a dropped SSH connection there
/// is no terminal left to restore, and nothing better to do.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if MOUSE.load(Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableFocusChange,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
    let _ = disable_raw_mode();
}

/// Restores the terminal before the default hook prints the panic, so the
/// message is readable and the shell usable. A panic klang catches and
/// survives (a decoder bug, see [`crate::caught`]) only goes to the log:
/// the dashboard keeps running in its own terminal mode.
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        let original = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if crate::caught::is_caught() {
                tracing::warn!("caught a panic: {info}");
                return;
            }
            restore();
            original(info);
        }));
    });
}

/// Restores on drop: covers `?` returns and unwinding. Create it before
/// [`enter`].
pub struct Guard(());

impl Guard {
    pub fn new() -> Guard {
        Guard(())
    }
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_leaves_the_dashboard_terminal_alone() {
        install_panic_hook();
        // As if the dashboard were running (no escapes are written unless
        // the hook wrongly restores).
        ACTIVE.store(true, Ordering::SeqCst);
        let outcome = crate::caught::catching(|| -> u8 { panic!("a decoder bug") });
        let still_active = ACTIVE.swap(false, Ordering::SeqCst);
        assert_eq!(outcome, None);
        assert!(still_active, "the panic hook restored the terminal");
    }
}
