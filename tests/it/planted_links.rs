//! Symlinks planted where klang writes: at every temporary name it would
//! have used (the predictable `.klang-mux-<pid>-N.part`,
//! `.klang-video-<pid>-N.part`, `<out>.part` and matched-copy names of
//! before) and at the final names. Whoever can write to a result folder
//! could plant them; klang must never write through one. Each link points
//! at a victim file that must come out unchanged, and each link must still
//! be there as a link. The mux and the export run the real binary in a
//! private home.

use crate::common;

use common::clips::{self, Clip};
use common::home::{Home, json, stderr};
use common::video_host;
use klang::sandbox::SANDBOX_KEY;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

const VICTIM: &[u8] = b"not klang's to write\n";

/// Links in `dir` at each of `names`, all to one victim file outside it.
struct Planted {
    victim: PathBuf,
    links: Vec<PathBuf>,
    _victim_dir: tempfile::TempDir,
}

impl Planted {
    fn new(dir: &Path, names: impl IntoIterator<Item = String>) -> Planted {
        let victim_dir = tempfile::tempdir().unwrap();
        let victim = victim_dir.path().join("victim");
        std::fs::write(&victim, VICTIM).unwrap();
        std::fs::create_dir_all(dir).unwrap();
        let links: Vec<PathBuf> = names.into_iter().map(|n| dir.join(n)).collect();
        for link in &links {
            symlink(&victim, link).unwrap();
        }
        Planted {
            victim,
            links,
            _victim_dir: victim_dir,
        }
    }

    /// The victim is unchanged and every link is still a link to it.
    fn assert_untouched(&self) {
        let victim = std::fs::read(&self.victim).unwrap();
        assert!(
            victim == VICTIM,
            "a planted symlink was written through: its target now holds {} bytes",
            victim.len()
        );
        for link in &self.links {
            let meta = std::fs::symlink_metadata(link)
                .unwrap_or_else(|e| panic!("{} is gone: {e}", link.display()));
            assert!(meta.file_type().is_symlink(), "{}", link.display());
            assert_eq!(std::fs::read_link(link).unwrap(), self.victim);
        }
    }
}

/// The pids the next few thousand processes will get (Linux hands them
/// out in order), so names built from klang's pid can be planted before
/// it starts.
fn next_pids(count: u32) -> std::ops::RangeInclusive<u32> {
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1);
    last + 1..=last + count
}

/// Files in `dir` ending in `.part` that are not links (litter).
fn part_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_type().unwrap().is_symlink())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect()
}

#[tokio::test]
async fn mux_never_writes_through_a_symlink_at_its_temporary_or_final_names() {
    let dir = tempfile::tempdir().unwrap();
    let Some(host) = video_host::with_clips(dir.path(), &[("walk.mp4", Clip::new(5.0))]).await
    else {
        return;
    };
    let sandbox = common::sandbox(100, 200).await;
    let home = Home::new();
    let base = sandbox.base_url();
    let url = host.url("walk.mp4");
    let args = [
        "--base-url",
        &base,
        "submit",
        "v2a",
        "--video-url",
        &url,
        "--wait",
        "--json",
    ];
    let out = home.run(Some(SANDBOX_KEY), &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = json(&out)["id"].to_string();
    let out = home
        .run(Some(SANDBOX_KEY), &["download", &id, "--json"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let audio = PathBuf::from(json(&out)["local_path"].as_str().expect("a local path"));
    let muxed_name = format!("{}.mp4", audio.file_stem().unwrap().to_string_lossy());

    let out_dir = dir.path().join("dubbed");
    let mut names = vec![muxed_name.clone()];
    for pid in next_pids(3000) {
        for n in 0..2 {
            names.push(format!(".klang-mux-{pid}-{n}.part"));
            names.push(format!(".klang-video-{pid}-{n}.part"));
        }
    }
    let planted = Planted::new(&out_dir, names);

    let out = home
        .run(
            Some(SANDBOX_KEY),
            &["mux", &id, "--out", out_dir.to_str().unwrap(), "--json"],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    planted.assert_untouched();
    let muxed = PathBuf::from(json(&out)["path"].as_str().expect("a path"));
    assert_eq!(muxed, out_dir.join(muxed_name.replace(".mp4", "-2.mp4")));
    let meta = std::fs::symlink_metadata(&muxed).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the result is a file, not a link"
    );
    let (mut streams, _) = clips::probe(&muxed);
    streams.sort();
    assert_eq!(streams, ["audio", "video"]);
    assert!(
        part_files(&out_dir).is_empty(),
        "{:?}",
        part_files(&out_dir)
    );
}

#[tokio::test]
async fn export_out_replaces_a_symlink_and_never_writes_through_one() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("exports");
    let planted = Planted::new(&out_dir, ["tasks.csv.part".to_string()]);
    // A link at the --out path itself: replaced (the export's meaning is to
    // replace the file), its target left alone.
    let target = out_dir.join("tasks.csv");
    symlink(&planted.victim, &target).unwrap();

    let out = home
        .run(
            None,
            &[
                "export",
                "--format",
                "csv",
                "--out",
                target.to_str().unwrap(),
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    planted.assert_untouched();
    let meta = std::fs::symlink_metadata(&target).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the export is a file, not a link"
    );
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.starts_with("id,task_id,model,"), "{text}");
    assert!(
        part_files(&out_dir).is_empty(),
        "{:?}",
        part_files(&out_dir)
    );
}

#[test]
fn a_matched_copy_never_writes_through_a_symlink() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio/mono_22k.mp3");
    let source_dir = tempfile::tempdir().unwrap();
    let source = source_dir.path().join("take.mp3");
    std::fs::copy(&fixture, &source).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let name = klang::audio::matched::matched_copy_name(&source, -3.0).unwrap();
    // The names the copy was written under before: `.<name>.<pid>-<n>.part`.
    let pid = std::process::id();
    let planted = Planted::new(
        cache.path(),
        (0..16).map(|n| format!(".{name}.{pid}-{n}.part")),
    );

    let copy = klang::audio::matched::write_matched_copy(&source, -3.0, cache.path()).unwrap();
    planted.assert_untouched();
    assert_eq!(copy, cache.path().join(&name));
    assert!(
        std::fs::symlink_metadata(&copy)
            .unwrap()
            .file_type()
            .is_file()
    );
    assert!(part_files(cache.path()).is_empty());

    // A link at the copy's own name is neither played nor written through.
    let louder = klang::audio::matched::matched_copy_name(&source, 2.0).unwrap();
    let at_name = Planted::new(cache.path(), [louder]);
    let err = klang::audio::matched::write_matched_copy(&source, 2.0, cache.path()).unwrap_err();
    at_name.assert_untouched();
    assert!(
        err.to_string().contains("other than a regular file"),
        "{err}"
    );
}
