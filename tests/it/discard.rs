//! Discarding a take against a real SQLite store and real files: its file
//! and its loudness-matched copies go, nothing else does, the row stays
//! (marked) and the default view hides it; keeping it again undoes the
//! mark; a starred take is refused with its file untouched.

use klang::api::{CreateRequest, SoundEffectsParams};
use klang::audio::matched::write_matched_copy;
use klang::engine::discard::set_discarded;
use klang::store::{ListFilter, SortOrder, Store, ViewQuery, ViewReader};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

struct Takes {
    _dir: tempfile::TempDir,
    store: Store,
    db: PathBuf,
    matched: PathBuf,
    ids: Vec<i64>,
    files: Vec<PathBuf>,
}

/// Three takes of one group, each with a downloaded file (a copy of a
/// fixture) and a matched copy in the cache.
fn three_takes() -> Takes {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tasks.db");
    let store = Store::open(&db).unwrap();
    let request = CreateRequest::SoundEffects(SoundEffectsParams {
        prompt: "glass".into(),
        duration: "5".into(),
        callback_url: None,
    });
    let ids = store
        .insert_intents(&request, false, 3, Some("g1"))
        .unwrap();
    let matched = dir.path().join("cache/matched");
    let mut files = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let file = dir.path().join(format!("take-{i}.mp3"));
        std::fs::copy(fixture("stereo_44k.mp3"), &file).unwrap();
        store.set_local_path(*id, &file).unwrap();
        write_matched_copy(&file, -3.0 - i as f64, &matched).unwrap();
        files.push(file);
    }
    Takes {
        _dir: dir,
        store,
        db,
        matched,
        ids,
        files,
    }
}

fn cache_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[test]
fn discard_deletes_the_take_s_file_and_copies_only_and_keeps_the_row() {
    let t = three_takes();
    assert_eq!(cache_files(&t.matched), 3);
    let after = set_discarded(&t.store, t.ids[1], true, Some(&t.matched)).unwrap();
    assert!(after.discarded);
    assert_eq!(after.local_path, None);
    assert!(!t.files[1].exists());
    assert!(t.files[0].exists() && t.files[2].exists());
    // The other takes' copies stay (a copy is named by its file's name and
    // content hash).
    assert_eq!(cache_files(&t.matched), 2);

    // The row stays in the history; the default view hides it.
    let all = t.store.list(&ListFilter::default()).unwrap();
    assert_eq!(all.len(), 3);
    let only = t
        .store
        .list(&ListFilter {
            discarded: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(only.iter().map(|r| r.id).collect::<Vec<_>>(), [t.ids[1]]);
    let view = ViewReader::open(&t.db).unwrap();
    let default = ViewQuery::new("", SortOrder::Newest);
    assert_eq!(view.count(&default).unwrap(), 2);
    assert!(
        view.rows(&default, 0, 10)
            .unwrap()
            .iter()
            .all(|r| r.id != t.ids[1])
    );
    let discarded = ViewQuery::new("is:discarded", SortOrder::Newest);
    assert_eq!(view.count(&discarded).unwrap(), 1);
    assert_eq!(view.rows(&discarded, 0, 10).unwrap()[0].id, t.ids[1]);

    // Kept again: back in the view, its file to be fetched again.
    let kept = set_discarded(&t.store, t.ids[1], false, Some(&t.matched)).unwrap();
    assert!(!kept.discarded);
    assert_eq!(view.count(&default).unwrap(), 3);
}

#[test]
fn a_take_with_its_own_file_keeps_the_copies_of_the_others() {
    let t = three_takes();
    // Make take 0's file different content: its copy's name differs.
    std::fs::copy(fixture("mono_22k.mp3"), &t.files[0]).unwrap();
    write_matched_copy(&t.files[0], -3.0, &t.matched).unwrap();
    let before = cache_files(&t.matched);
    set_discarded(&t.store, t.ids[0], true, Some(&t.matched)).unwrap();
    assert_eq!(cache_files(&t.matched), before - 1);
    assert!(t.files[1].exists() && t.files[2].exists());
}

#[test]
fn a_starred_take_is_refused_and_nothing_is_deleted() {
    let t = three_takes();
    t.store.set_starred(t.ids[2], true).unwrap();
    let refused = set_discarded(&t.store, t.ids[2], true, Some(&t.matched)).unwrap_err();
    assert!(refused.contains("unstar"), "{refused}");
    assert!(t.files[2].exists());
    assert_eq!(cache_files(&t.matched), 3);
    assert!(!t.store.get(t.ids[2]).unwrap().discarded);
}
