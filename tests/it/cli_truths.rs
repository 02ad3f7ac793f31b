//! What the CLI tells a new user is true: the exit codes agree between
//! `--help`, the man page and the README; the embedded sandbox says its
//! result URL dies with the command and where the file was saved; and the
//! plain output comes in the order things happened.

use crate::common;

use common::home::{Home, stderr, stdout};
use std::path::Path;

/// The README's exit-code table: (code, meaning).
fn readme_exit_codes() -> Vec<(u8, String)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let table = readme
        .split("| exit code | meaning |")
        .nth(1)
        .expect("the README has an exit code table");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].parse().expect("a code"), cells[2].to_string())
        })
        .collect()
}

/// The codes a help text lists after "Exit codes:".
fn listed_codes(text: &str) -> Vec<u8> {
    let (_, list) = text.split_once("Exit codes:").expect("exit codes listed");
    let list = list.split("\n\n").next().unwrap_or(list);
    list.split(',')
        .filter_map(|item| item.split_whitespace().next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn help_man_page_and_readme_list_the_same_exit_codes() {
    let home = Home::new();
    let readme: Vec<u8> = readme_exit_codes().iter().map(|(c, _)| *c).collect();
    assert_eq!(readme, vec![0, 1, 2, 3, 4, 5], "the README's table");
    let help = home.run(None, &["--help"]).await;
    assert_eq!(listed_codes(&stdout(&help)), readme, "klang --help");
    let man = home.run(None, &["man"]).await;
    // roff escapes nothing in this line but may fold it: join it again.
    let page = stdout(&man).replace('\n', " ");
    assert_eq!(listed_codes(&page), readme, "klang man");
}

const SFX: [&str; 7] = [
    "--sandbox",
    "submit",
    "sfx",
    "--prompt",
    "rain",
    "--duration",
    "3.0",
];

#[tokio::test]
async fn the_sandbox_says_its_url_dies_with_the_command_and_where_the_file_is() {
    let home = Home::new();
    let mut args = SFX.to_vec();
    args.extend(["--wait", "--download"]);
    let out = home.run(None, &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let note = err
        .lines()
        .find(|l| l.contains("stops working when it exits"))
        .unwrap_or_else(|| panic!("no note about the sandbox's URL:\n{err}"));
    let saved = note
        .split_once("the file is saved at ")
        .map(|(_, path)| path.trim())
        .unwrap_or_else(|| panic!("the note names no saved file: {note}"));
    assert!(Path::new(saved).is_file(), "{saved} is not on disk");
    assert!(stdout(&out).lines().any(|l| l.trim() == saved));

    // Without --download, the note says how to keep the file.
    let mut args = SFX.to_vec();
    args.push("--wait");
    let out = home.run(None, &args).await;
    assert!(
        stderr(&out).contains("add --download to keep the file"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn plain_output_says_submitted_before_the_servers_first_state() {
    let home = Home::new();
    let mut args = SFX.to_vec();
    args.push("--wait");
    let out = home.run(None, &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    let position = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting {prefix:?}:\n{err}"))
    };
    let submitted = position("submitted #1 as ");
    // "#1 submitting" is true before the answer; the server's states after.
    let first_state = lines
        .iter()
        .position(|l| l.starts_with("#1 ") && *l != "#1 submitting")
        .unwrap_or_else(|| panic!("no state line:\n{err}"));
    assert!(
        submitted < first_state,
        "\"submitted\" came after the first state:\n{err}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("submitted #1 "))
            .count(),
        1,
        "said once:\n{err}"
    );
}
