//! Write-ahead-log checkpoints off the commit path (SQLite files only).
//!
//! By default SQLite checkpoints inside the commit that makes the log pass 1,000 pages: that
//! commit copies the log into the database and, with `synchronous=NORMAL`, waits for two disk
//! flushes, and every game waiting on it waits too (commit maxima of 0.1–1 s were seen). Here
//! the server's connection never checkpoints; a background thread with its own connection does,
//! every [`INTERVAL`], in `PASSIVE` mode, which runs beside commits and never blocks them.
//!
//! A passive checkpoint copies the log as it was when the checkpoint began. Under continuous
//! writes new frames arrive meanwhile, so the log is never fully copied and SQLite cannot start
//! it over from the beginning: it would grow without bound. When it has passed
//! [`CATCH_UP_FRAMES`], the thread copies the few frames left while holding the server's
//! connection (no commit runs for that moment), after which the next commit restarts the log.

use std::{
    path::Path,
    sync::{Arc, Mutex, PoisonError, Weak},
    time::{Duration, Instant},
};

use rusqlite::Connection;

use super::StoreError;

/// Time between two checkpoints.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// Log size, in frames (pages of 4 KiB), from which the remainder is copied with commits held.
pub const CATCH_UP_FRAMES: i64 = 4096;

/// Turns the connection's own checkpoints off and starts the checkpoint thread for the database
/// at `path`. The thread ends within [`INTERVAL`] of the last handle to `connection` going away.
pub(super) fn start(
    path: &Path,
    connection: &Arc<Mutex<Connection>>,
    catch_up_frames: i64,
) -> Result<(), StoreError> {
    connection
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pragma_update(None, "wal_autocheckpoint", 0)?;
    let checkpointer = Connection::open(path)?;
    checkpointer.busy_timeout(Duration::from_secs(5))?;
    let server = Arc::downgrade(connection);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || run(&checkpointer, &server, catch_up_frames))
        .map_err(|error| {
            StoreError::Task(format!("cannot start the checkpoint thread: {error}"))
        })?;
    Ok(())
}

fn run(checkpointer: &Connection, server: &Weak<Mutex<Connection>>, catch_up_frames: i64) {
    loop {
        std::thread::sleep(INTERVAL);
        let Some(server) = server.upgrade() else {
            return;
        };
        let started = Instant::now();
        match checkpoint(checkpointer) {
            Ok(Progress { log, .. }) if log >= catch_up_frames => {
                // Commits wait only for the frames written since the pass above.
                let guard = server.lock().unwrap_or_else(PoisonError::into_inner);
                let held = Instant::now();
                if let Err(error) = checkpoint(&guard) {
                    tracing::warn!(%error, "a write-ahead-log catch-up checkpoint failed");
                }
                drop(guard);
                metrics::counter!("magnate_wal_catch_up_checkpoints_total").increment(1);
                metrics::histogram!("magnate_wal_catch_up_seconds")
                    .record(held.elapsed().as_secs_f64());
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "a write-ahead-log checkpoint failed"),
        }
        metrics::histogram!("magnate_wal_checkpoint_seconds")
            .record(started.elapsed().as_secs_f64());
    }
}

/// What one checkpoint saw: frames in the log and frames copied to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Frames in the log.
    pub log: i64,
    /// Frames copied into the database (all of them when equal to `log`).
    pub copied: i64,
}

/// One passive checkpoint on `connection`.
pub fn checkpoint(connection: &Connection) -> Result<Progress, StoreError> {
    Ok(
        connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok(Progress {
                log: row.get(1)?,
                copied: row.get(2)?,
            })
        })?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_len(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |meta| meta.len())
    }

    #[test]
    fn the_log_is_copied_in_the_background_and_stays_bounded_under_continuous_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("magnate.db");
        let wal = dir.path().join("magnate.db-wal");
        let connection = Connection::open(&path).unwrap();
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .unwrap();
        connection
            .execute("CREATE TABLE t (x BLOB NOT NULL)", [])
            .unwrap();
        let connection = Arc::new(Mutex::new(connection));
        start(&path, &connection, 64).unwrap();
        let autocheckpoint: i64 = connection
            .lock()
            .unwrap()
            .query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))
            .unwrap();
        assert_eq!(
            autocheckpoint, 0,
            "the server's connection never checkpoints"
        );

        // Continuous commits of about two pages each, paced to at most 100 per checkpoint
        // interval (about 1.5 MB of log), so the bound below does not depend on the machine's
        // speed: without checkpoints the log reaches about 43 MB.
        let blob = vec![7u8; 6000];
        let commits = 3000;
        let mut largest_log = 0;
        for _ in 0..commits {
            connection
                .lock()
                .unwrap()
                .execute("INSERT INTO t (x) VALUES (?1)", [&blob])
                .unwrap();
            largest_log = largest_log.max(file_len(&wal));
            std::thread::sleep(Duration::from_millis(1));
        }
        let written = commits * blob.len() as u64;
        assert!(
            largest_log < written / 2,
            "the log reached {largest_log} bytes for {written} bytes written"
        );
        // Once the writes stop, the background thread copies the rest into the database.
        std::thread::sleep(INTERVAL * 4);
        assert!(
            file_len(&path) >= written,
            "the database holds {} bytes of {written}",
            file_len(&path)
        );
        drop(connection);
    }
}
