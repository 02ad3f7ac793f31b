//! Waiting for another process's write lock, and saying so. SQLite's own
//! busy timeout waits in silence and then fails with "database is locked";
//! klang's handler says within half a second that another klang holds the
//! store (with its pid when the lock tells it), waits up to the limit
//! (`KLANG_STORE_WAIT` seconds, default 10), and the error that follows
//! names the same cause.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a wait goes on before the notice.
const NOTICE_AFTER: Duration = Duration::from_millis(500);
const DEFAULT_LIMIT: Duration = Duration::from_secs(10);

/// Where the notice goes: the CLI prints it on stderr; the dashboard, once
/// it owns the terminal, takes it away (stderr would draw over the screen).
static NOTICE: Mutex<Option<fn(&str)>> = Mutex::new(None);

/// When the last notice went out: waits that follow each other (the engine
/// starting, then the insert) are one wait to the user, said once.
static LAST_NOTICE: Mutex<Option<Instant>> = Mutex::new(None);

/// Sends every "waiting for the task store" notice to `notice`, or nowhere.
pub fn on_lock_wait(notice: Option<fn(&str)>) {
    *NOTICE.lock().unwrap_or_else(|p| p.into_inner()) = notice;
}

/// `KLANG_STORE_WAIT` (seconds), else 10 s.
pub fn wait_limit() -> Duration {
    std::env::var("KLANG_STORE_WAIT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_LIMIT)
}

/// What the notice and the final error say.
pub fn holder_text(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("another klang is writing it (pid {pid})"),
        None => "another klang is writing it".to_string(),
    }
}

/// Installs the handler on `conn` for the store at `path`.
pub fn install(conn: &mut rusqlite::Connection, path: &Path) -> rusqlite::Result<()> {
    let path = path.to_path_buf();
    let limit = wait_limit();
    let mut started = Instant::now();
    let mut announced = false;
    conn.busy_handler(Some(move |count: i32| {
        if count == 0 {
            started = Instant::now();
            announced = false;
        }
        let waited = started.elapsed();
        if waited >= limit {
            return false;
        }
        if waited >= NOTICE_AFTER && !announced {
            announced = true;
            announce(&path);
        }
        let step = Duration::from_millis(5 * (count.clamp(0, 9) as u64 + 1));
        std::thread::sleep(step.min(limit - waited));
        true
    }))
}

fn announce(path: &Path) {
    let notice = *NOTICE.lock().unwrap_or_else(|p| p.into_inner());
    let mut last = LAST_NOTICE.lock().unwrap_or_else(|p| p.into_inner());
    if last.is_some_and(|at| at.elapsed() < wait_limit() + NOTICE_AFTER) {
        return;
    }
    *last = Some(Instant::now());
    drop(last);
    if let Some(notice) = notice {
        notice(&format!(
            "waiting for the task store: {} (up to {:.0} s)",
            holder_text(lock_holder(path)),
            wait_limit().as_secs_f64()
        ));
    }
}

/// The pid of the process holding the store's write lock, if the kernel
/// says: in WAL mode a writer holds byte 120 of the `-shm` file, and a
/// rollback-mode writer the lock bytes from 1 GiB in the file itself.
/// Read from `/proc/locks` by inode: opening the file to ask (F_GETLK)
/// would drop this process's own SQLite locks on it when closed.
pub fn lock_holder(path: &Path) -> Option<u32> {
    let mut shm = PathBuf::from(path);
    shm.as_mut_os_string().push("-shm");
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    holder_in(&locks, &shm, 120).or_else(|| holder_in(&locks, path, 0x4000_0001))
}

/// The pid of another process with a write lock on `file` covering `byte`.
fn holder_in(locks: &str, file: &Path, byte: u64) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(file).ok()?.ino();
    let me = std::process::id();
    locks.lines().find_map(|line| {
        // "1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 120 120"
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, _, _, "WRITE", pid, file_id, start, end] = fields[..] else {
            return None;
        };
        let pid: u32 = pid.parse().ok()?;
        let on_file = file_id.rsplit(':').next()?.parse::<u64>().ok()? == inode;
        let start: u64 = start.parse().ok()?;
        let covers = end == "EOF" || end.parse::<u64>().is_ok_and(|end| end >= byte);
        (on_file && pid != me && start <= byte && covers).then_some(pid)
    })
}
