//! The real `klang` binary in a private home: every XDG directory and the
//! download directory inside one temp dir, nothing from the caller's
//! environment but PATH.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }

    /// `klang` with `KLANG_API_KEY` set to `key`, if given. Logs at trace
    /// level so tests can check what the log holds.
    pub fn cmd(&self, key: Option<&str>) -> tokio::process::Command {
        self.cmd_via(
            tokio::process::Command::new(env!("CARGO_BIN_EXE_klang")),
            key,
        )
    }

    /// `cmd` (klang, or a program that runs klang) in this home's
    /// environment, as [`Home::cmd`] sets it.
    pub fn cmd_via(
        &self,
        mut cmd: tokio::process::Command,
        key: Option<&str>,
    ) -> tokio::process::Command {
        cmd.env_clear().envs(self.env()).kill_on_drop(true);
        if let Some(key) = key {
            cmd.env("KLANG_API_KEY", key);
        }
        cmd
    }

    /// The blocking twin of [`Home::cmd`], without a key.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_klang"));
        cmd.env_clear().envs(self.env());
        cmd
    }

    /// The whole environment klang gets here: PATH from the caller, and
    /// every directory klang could write (HOME, each XDG base, downloads)
    /// inside this home, so a test run leaves the real home untouched.
    pub fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        let root = self.dir.path();
        vec![
            ("PATH", std::env::var_os("PATH").unwrap_or_default()),
            ("HOME", root.join("home").into()),
            ("XDG_CONFIG_HOME", root.join("config").into()),
            ("XDG_DATA_HOME", root.join("data").into()),
            ("XDG_STATE_HOME", root.join("state").into()),
            ("XDG_CACHE_HOME", root.join("cache").into()),
            ("KLANG_DOWNLOAD_DIR", self.downloads().into()),
            ("KLANG_LOG", "trace".into()),
        ]
    }

    pub async fn run(&self, key: Option<&str>, args: &[&str]) -> Output {
        self.cmd(key).args(args).output().await.expect("klang runs")
    }

    /// Submits a 3 s sound effect of `prompt` to `base_url`, waits for it to
    /// end (exit 0) and returns its local id.
    pub async fn submitted_sfx(&self, key: &str, base_url: &str, prompt: &str) -> String {
        let args = [
            "--base-url",
            base_url,
            "submit",
            "sfx",
            "--prompt",
            prompt,
            "--duration",
            "3.0",
            "--wait",
            "--json",
        ];
        let out = self.run(Some(key), &args).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)["id"].to_string()
    }

    /// Writes `text` as config.toml (where `klang` run from here reads it)
    /// and returns its path.
    pub fn write_config(&self, text: &str) -> PathBuf {
        let dir = self.dir.path().join("config/klang");
        std::fs::create_dir_all(&dir).expect("config dir");
        let file = dir.join("config.toml");
        std::fs::write(&file, text).expect("config.toml");
        file
    }

    /// A completed task in the real store whose file is a copy of `file`
    /// in the download directory; returns its local id.
    pub fn completed_task_with(&self, file: &std::path::Path) -> i64 {
        use klang::api::{RemoteState, TaskStatus};
        let store = self.store();
        let id = store
            .insert_intent(&super::sfx("rain", "3.0"), false)
            .unwrap();
        store
            .mark_submitted(id, &format!("clfixture{id:015}"))
            .unwrap();
        let status = TaskStatus {
            state: Some(RemoteState::Completed),
            result_urls: vec!["https://r2.example/audio/result.mp3".into()],
            ..Default::default()
        };
        store.apply_status(id, &status).unwrap();
        let dir = self.downloads();
        std::fs::create_dir_all(&dir).unwrap();
        let copy = dir.join(file.file_name().unwrap());
        std::fs::copy(file, &copy).unwrap();
        store.set_local_path(id, &copy).unwrap();
        id
    }

    /// The real (not sandbox) task store.
    pub fn store(&self) -> klang::store::Store {
        klang::store::Store::open(&self.dir.path().join("data/klang/tasks.db")).expect("store")
    }
}

/// stdout as the one JSON document `--json` promises.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
