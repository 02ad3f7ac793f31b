//! Results measured by themselves: with `auto_download` (and measuring, as
//! the dashboard runs), a completed task is downloaded, decoded off the
//! async workers, stored once, announced in one event, and not decoded
//! again after a restart. Headless, a download measures nothing: the
//! figures are made on first need.

use crate::common;

use common::*;
use klang::engine::{DownloadEvent, EngineEvent};
use klang::sandbox::SANDBOX_KEY;
use klang::store::Store;

#[tokio::test]
async fn a_completed_task_is_downloaded_and_measured_by_itself() {
    let sb = sandbox(50, 100).await;
    let mut h = Harness::start_with(&sb.base_url(), SANDBOX_KEY, |c| {
        c.auto_download = true;
        c.measure_downloads = true;
    });
    let id = h.engine.submit(sfx("rain on a tin roof", "3.0")).unwrap();
    let event = h
        .wait_event(|e| matches!(e, EngineEvent::AudioAnalysed { record, .. } if record.id == id))
        .await;
    let EngineEvent::AudioAnalysed { record, analysis } = event else {
        unreachable!()
    };
    let stats = analysis.outcome.clone().expect("decodable").stats;
    assert!((stats.duration_s - 3.0).abs() < 0.1, "{stats:?}");
    assert!(stats.loudness_lufs.is_some_and(|l| l > -40.0), "{stats:?}");
    assert!(!analysis.outcome.as_ref().unwrap().peaks.is_empty());
    assert_eq!(record.local_path.as_deref(), Some(analysis.path.as_str()));
    assert_eq!(record.measured_seconds, Some(stats.duration_s));
    // The measured length fills the column where the API gave none.
    assert!(record.audio_seconds().is_some());

    // A second process (or a restart) reads it instead of decoding again.
    let again = Store::open(&h.dir.path().join("tasks.db")).unwrap();
    let stored = again.analysis(id).unwrap().expect("stored");
    assert_eq!(stored, *analysis);
}

#[tokio::test]
async fn without_auto_download_nothing_is_fetched() {
    let sb = sandbox(50, 100).await;
    let mut h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let id = h.engine.submit(sfx("door knock", "3.0")).unwrap();
    h.wait_task(id, |r| r.state.is_final()).await;
    // A second task's whole life gives a download that should not happen
    // time to start.
    let later = h.engine.submit(sfx("door creak", "3.0")).unwrap();
    h.wait_task(later, |r| r.state.is_final()).await;
    while let Ok(e) = h.events.try_recv() {
        assert!(
            !matches!(e, EngineEvent::Download(DownloadEvent::Started { .. })),
            "{e:?}"
        );
    }
    assert_eq!(sb.stats().file_requests, 0);
    assert!(h.store.get(id).unwrap().local_path.is_none());
}

#[tokio::test]
async fn an_old_download_is_measured_on_request() {
    let sb = sandbox(50, 100).await;
    let mut h = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let id = h.engine.submit(sfx("wind", "3.0")).unwrap();
    h.wait_task(id, |r| r.state.is_final()).await;
    h.engine.download(id, None);
    h.wait_event(|e| matches!(e, EngineEvent::Download(DownloadEvent::Finished { .. })))
        .await;
    // Headless: the download alone measured nothing.
    assert_eq!(h.store.analysis(id).unwrap(), None);
    h.engine.analyse(id);
    h.wait_event(|e| matches!(e, EngineEvent::AudioAnalysed { record, .. } if record.id == id))
        .await;
    let first = h.store.analysis(id).unwrap().unwrap();
    h.engine.analyse(id);
    let event = h
        .wait_event(|e| matches!(e, EngineEvent::AudioAnalysed { .. }))
        .await;
    let EngineEvent::AudioAnalysed { analysis, .. } = event else {
        unreachable!()
    };
    assert_eq!(*analysis, first);
}

#[tokio::test]
async fn a_starting_dashboard_saves_recent_results_that_have_no_file() {
    let sb = sandbox(50, 100).await;
    // Completed while nothing saved results (a headless run, or a
    // dashboard stopped before its download finished).
    let mut headless = Harness::start(&sb.base_url(), SANDBOX_KEY);
    let recent = headless.engine.submit(sfx("door knock", "3.0")).unwrap();
    let old = headless.engine.submit(sfx("door creak", "3.0")).unwrap();
    headless.wait_task(recent, |r| r.state.is_final()).await;
    headless.wait_task(old, |r| r.state.is_final()).await;
    let Harness {
        dir, store, engine, ..
    } = headless;
    engine.shutdown();
    // Two days ago: its link may have expired; left to the user.
    let two_days_ago = klang::store::now_ms() - 2 * 24 * 3600 * 1000;
    rusqlite::Connection::open(dir.path().join("tasks.db"))
        .unwrap()
        .execute(
            "UPDATE tasks SET submitted_at = ?1 WHERE id = ?2",
            (two_days_ago, old),
        )
        .unwrap();
    assert_eq!(sb.stats().file_requests, 0);

    let mut dashboard = Harness::configured(dir, store, &sb.base_url(), SANDBOX_KEY, |c| {
        c.auto_download = true
    });
    let finished = dashboard
        .wait_event(|e| matches!(e, EngineEvent::Download(DownloadEvent::Finished { .. })))
        .await;
    assert!(
        matches!(finished, EngineEvent::Download(DownloadEvent::Finished { id, .. }) if id == recent),
        "{finished:?}"
    );
    assert!(dashboard.store.get(recent).unwrap().local_path.is_some());
    assert!(dashboard.store.get(old).unwrap().local_path.is_none());
    assert_eq!(sb.stats().file_requests, 1);
}

#[tokio::test]
async fn a_spectrogram_is_computed_off_the_async_workers_and_announced() {
    use klang::engine::spectrograms::{COLUMNS, ROWS};
    let sb = sandbox(50, 100).await;
    let mut h = Harness::start_with(&sb.base_url(), SANDBOX_KEY, |c| {
        c.auto_download = true;
        c.measure_downloads = true;
    });
    let id = h.engine.submit(sfx("rain on a tin roof", "3.0")).unwrap();
    h.wait_event(|e| matches!(e, EngineEvent::AudioAnalysed { record, .. } if record.id == id))
        .await;
    // Asked twice while it runs: computed once.
    h.engine.spectrogram(id);
    h.engine.spectrogram(id);
    let event = h
        .wait_event(|e| matches!(e, EngineEvent::Spectrogram { id: of, .. } if *of == id))
        .await;
    let EngineEvent::Spectrogram { spectrogram, .. } = event else {
        unreachable!()
    };
    let record = h.store.get(id).unwrap();
    assert!(spectrogram.is_for(&record));
    let picture = spectrogram.outcome.as_ref().expect("decodable");
    assert_eq!((picture.columns(), picture.bands()), (COLUMNS, 2 * ROWS));
    // Rain is broadband: every column has sound well above the floor.
    assert!((0..COLUMNS).all(|c| (0..2 * ROWS).any(|b| picture.level(c, b) > 0.5)));
    while let Ok(e) = h.events.try_recv() {
        assert!(
            !matches!(e, EngineEvent::Spectrogram { .. }),
            "a second one: {e:?}"
        );
    }
}
