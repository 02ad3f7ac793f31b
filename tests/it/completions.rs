//! `klang completions` and `klang man` come from the real command
//! definition and are valid for their shells.

use crate::common;

use common::home::{Home, stderr};

#[tokio::test]
async fn bash_completions_parse_and_name_every_command() {
    let home = Home::new();
    let out = home.run(None, &["completions", "bash"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let script = home.dir.path().join("klang.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["batch", "--dry-run", "--max-cost", "completions", "submit"] {
        assert!(text.contains(word), "{word}");
    }
    for shell in ["zsh", "fish", "powershell"] {
        let out = home.run(None, &["completions", shell]).await;
        assert_eq!(out.status.code(), Some(0));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("batch"),
            "{shell}"
        );
    }
    let bad = home.run(None, &["completions", "tcsh"]).await;
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test]
async fn the_man_page_is_roff_for_klang() {
    let home = Home::new();
    let out = home.run(None, &["man"]).await;
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH klang"),
        "{page}"
    );
    assert!(page.contains("batch"));
}
