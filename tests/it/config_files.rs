//! Config and theme files, valid and invalid, as a user would write them
//! (tests/fixtures): valid ones load, invalid ones are reported with the
//! file and the line, and never crash anything. The real binary too: a bad
//! `[keys]` stops every command, a key file others can read is warned of.

use crate::common;

use common::home::{Home, json, stderr};
use klang::config::Config;
use klang::tui::theme;
use std::path::{Path, PathBuf};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", root.display());
    files
}

#[test]
fn valid_config_files_load() {
    for file in fixtures("config/valid") {
        let loaded = Config::load(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if file.ends_with("full.toml") {
            assert_eq!(loaded.config.max_in_flight, Some(4));
            assert_eq!(loaded.config.mouse, Some(false));
            assert_eq!(
                loaded.config.callback_url.as_deref(),
                Some("https://host.example")
            );
        }
        if file.ends_with("keys.toml") {
            let keys = klang::tui::KeyMap::from_config(&loaded.keys, &file)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(keys.describe(klang::tui::Action::Download), "d, ctrl+s");
        }
    }
}

#[test]
fn invalid_config_files_name_the_file_and_line() {
    let expected_line = |name: &str| match name {
        "wrong-type.toml" => 2,
        "unknown-key.toml" => 3,
        "keys-not-a-key.toml" => 3,
        _ => 1,
    };
    for file in fixtures("config/invalid") {
        let err = Config::load(&file).expect_err("an invalid file is refused");
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let at = format!("{name}:{}", expected_line(&name));
        assert!(err.contains(&at), "{err} does not point at {at}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn every_shipped_theme_loads_without_a_warning() {
    let none = Path::new("/nonexistent");
    for (name, _) in theme::BUILTIN {
        let loaded = theme::load(Some(name), none, false);
        assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
    }
    // And the files in themes/ are exactly the built-in ones.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    let mut shipped: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    shipped.sort();
    let mut builtin: Vec<String> = theme::BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
    builtin.sort();
    assert_eq!(shipped, builtin);
}

#[test]
fn user_themes_load_and_broken_ones_fall_back_with_file_and_line() {
    let valid = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/themes/valid");
    let loaded = theme::load(Some("blue-selection"), &valid, false);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_ne!(
        loaded.theme.selected,
        theme::Theme::default_theme().selected
    );

    let invalid = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/themes/invalid");
    let broken = theme::load(Some("truncated"), &invalid, false);
    let warning = broken.warnings.join(" | ");
    assert!(warning.contains("truncated.toml:3"), "{warning}");
    assert_eq!(
        broken.theme.selected,
        theme::Theme::default_theme().selected
    );
    let odd = theme::load(Some("unknown-colour"), &invalid, false);
    assert!(
        odd.warnings.join(" ").contains("blurple"),
        "{:?}",
        odd.warnings
    );
}

#[tokio::test]
async fn a_key_file_others_can_read_is_warned_about_on_stderr() {
    let home = Home::new();
    let file = home.write_config("api_key = \"sk-test-from-file\"\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = home.run(None, &["list", "--json"]).await;
        assert_eq!(out.status.code(), Some(0));
        assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("sk-test-from-file"));
        json(&out);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = home.run(None, &["list", "--json"]).await;
        assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    }
}

/// A home whose config.toml binds download to a key name that does not exist.
fn home_with_a_bad_key_binding() -> Home {
    let home = Home::new();
    home.write_config("mouse = true\n\n[keys]\ncopy = \"c\"\ndownload = \"ctl+d\"\n");
    home
}

fn assert_refused_naming_the_bad_key(out: &std::process::Output) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    let err = stderr(out);
    assert!(
        err.contains("klang/config.toml:5: \"ctl+d\" is not a key"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

#[tokio::test]
async fn a_bad_key_binding_stops_the_dashboard_with_status_2_naming_the_line() {
    let home = home_with_a_bad_key_binding();
    // No terminal needed: the key map is checked before the screen changes.
    assert_refused_naming_the_bad_key(&home.run(None, &[]).await);
}

#[tokio::test]
async fn a_bad_key_binding_stops_headless_commands_the_same_way() {
    let home = home_with_a_bad_key_binding();
    for args in [
        &["list", "--json"][..],
        &["stats"],
        &["--sandbox", "submit", "sfx", "--prompt", "rain"],
    ] {
        let out = home.run(None, args).await;
        assert_refused_naming_the_bad_key(&out);
    }
    // Nothing was submitted: the sandbox store was never even opened.
    assert!(!home.dir.path().join("data/klang/sandbox.db").exists());
}
