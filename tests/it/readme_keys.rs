//! The README's key table is made from the key map (`src/tui/keys/action.rs`).
//! When an action or a default key changes, this test fails until the table
//! is regenerated: `KLANG_UPDATE_README=1 cargo test --test it readme_keys`.

use klang::tui::KeyMap;
use std::path::Path;

const BEGIN: &str = "<!-- keys:begin (made from src/tui/keys/action.rs by tests/it/readme_keys.rs; do not edit here) -->\n";
const END: &str = "<!-- keys:end -->";

#[test]
fn readme_key_table_matches_the_key_map() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (before, rest) = readme
        .split_once(BEGIN)
        .expect("README has the keys:begin marker");
    let (table, after) = rest
        .split_once(END)
        .expect("README has the keys:end marker");
    let expected = KeyMap::default().markdown_table();
    if table == expected {
        return;
    }
    if std::env::var_os("KLANG_UPDATE_README").is_some() {
        std::fs::write(&path, format!("{before}{BEGIN}{expected}{END}{after}")).unwrap();
        return;
    }
    panic!(
        "the README key table is stale; run KLANG_UPDATE_README=1 cargo test --test it readme_keys\n\
         expected:\n{expected}\nfound:\n{table}"
    );
}
