//! Config and theme files, valid and invalid, as a user would write them
//! (tests/fixtures): valid ones load, invalid ones are reported with the
//! file and the line, and never crash anything.

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
