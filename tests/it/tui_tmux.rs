//! The real binary in a real terminal (tmux): the dashboard opens on the
//! sandbox, a task goes from `n` to completed, `copy` (rebound to `c` in
//! config.toml; `y` then does nothing) puts its URL in tmux's buffer by
//! OSC 52, and the terminal is restored after `q` and after SIGHUP (what a
//! dropped SSH connection sends).
//! Without tmux it skips, saying why, except in CI (`CI` set) or with
//! `KLANG_LONG_TESTS` set, where tmux is expected and its absence fails.

use crate::common;

use common::home::Home;
use common::tmux::Tmux;
use std::process::Command;

fn restored(tmux: &Tmux, marker: &str) {
    let screen = tmux.wait_for(marker);
    assert!(
        !screen.contains("SANDBOX"),
        "alternate screen left: {screen}"
    );
    tmux.literal("stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo -e -icanon -e -echo | sort | tr '\\n' ' '; echo :ST''TY");
    tmux.keys(&["Enter"]);
    // The output line (not the echoed command) says the modes are back on;
    // a raw-mode terminal would print "-echo -icanon :STTY".
    // (The quotes in the command keep it from matching its own marker.)
    let screen = tmux.wait_for(" :STTY");
    assert!(
        screen.lines().any(|l| l.trim() == "echo icanon :STTY"),
        "terminal modes not restored:\n{screen}"
    );
}

#[test]
fn real_binary_in_tmux_submits_and_restores_the_terminal() {
    if common::tmux::missing() {
        return;
    }
    let home = Home::new();
    // The user's own key for copy: `c`, not `y`.
    home.write_config("[keys]\ncopy = \"c\"\n");
    let tmux = Tmux::start("klang-test", home.dir.path());

    tmux.start_klang("first");
    tmux.keys(&["n"]);
    tmux.literal("rain over tmux");
    tmux.keys(&["Enter"]);
    tmux.wait_for_all(&["✓ completed", "rain over tmux", "$0.0295"]);
    // `c` copies through tmux itself (OSC 52 with set-clipboard on), as it
    // would over SSH: the URL lands in tmux's paste buffer. `y`, the
    // default, was rebound away and copies nothing.
    tmux.run(&["set", "-g", "set-clipboard", "on"]);
    tmux.keys(&["y"]);
    tmux.keys(&["?"]);
    // Waiting for the line itself, not the title: a capture can catch a
    // frame half-written.
    let help = tmux.wait_for("copy the result URL");
    let copy_line = help
        .lines()
        .find(|l| l.contains("copy the result URL"))
        .unwrap_or_else(|| panic!("no copy line in the help:\n{help}"));
    assert!(
        copy_line.contains("│ c "),
        "help shows c for copy: {copy_line}"
    );
    assert!(
        !help.contains("copied"),
        "y copied after rebinding:\n{help}"
    );
    tmux.keys(&["Escape"]);
    // Esc read before `c` is sent: right behind it, `c` would be Alt+c.
    tmux.wait_until_gone("copy the result URL");
    assert_eq!(
        tmux.run(&["show-buffer"]),
        "",
        "y put something in the buffer"
    );
    tmux.keys(&["c"]);
    tmux.wait_for("copied");
    let buffer = tmux.run(&["show-buffer"]);
    assert!(
        buffer.starts_with("http://127.0.0.1:") && buffer.contains("/files/"),
        "tmux buffer: {buffer:?}"
    );
    // The dashboard downloads each result by itself (auto_download); quit
    // once it is in, so no download is cut short.
    tmux.wait_for("_rain-over-tmux.");
    tmux.quit("first:EXIT:0");
    restored(&tmux, "first:EXIT:0");

    tmux.start_klang("second");
    // The task from the first run is still there.
    tmux.wait_for("rain over tmux");
    // The SSH connection drops while a task runs.
    tmux.keys(&["n"]);
    tmux.literal("dropped connection");
    tmux.keys(&["Enter"]);
    tmux.wait_for("pending");
    let pid = tmux.child_pid();
    let killed = Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    assert!(killed.success());
    restored(&tmux, "second:EXIT:");

    // The next start picks the task up and finishes it.
    tmux.start_klang("third");
    tmux.wait_for_all(&["✓2", "dropped connection"]);
    tmux.wait_for("_dropped-connection.");
    tmux.quit("third:EXIT:0");
    restored(&tmux, "third:EXIT:0");
}
