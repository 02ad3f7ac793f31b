//! `klang paths`: where klang keeps its files.

use super::output::print_json;
use super::{Failure, GlobalArgs, exit};

pub(super) fn run(global: &GlobalArgs, json: bool) -> Result<i32, Failure> {
    let paths = crate::config::Paths::discover().map_err(Failure::usage)?;
    let loaded = crate::config::Config::load(&paths.config_file()).ok();
    let config = loaded.map(|l| l.config).unwrap_or_default();
    let download_dir = crate::bootstrap::download_dir(&super::overrides(global), &config, &paths)?;
    let entries = [
        ("config", paths.config_file()),
        ("themes", paths.user_themes_dir()),
        ("store", paths.store_file(false)),
        ("sandbox_store", paths.store_file(true)),
        ("logs", paths.log_dir.clone()),
        ("downloads", download_dir),
    ];
    if json {
        let map: serde_json::Map<String, serde_json::Value> = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.display().to_string().into()))
            .collect();
        print_json(&map);
    } else {
        for (name, path) in entries {
            super::output::outln!("{name:<14} {}", path.display());
        }
    }
    Ok(exit::OK)
}
