//! One server per database: an advisory lock on `<database>.lock`, held for the process
//! lifetime.
//!
//! Two servers on one SQLite file would each run their own games and matchmaker on it and fail
//! later in confusing ways, so the second one refuses to start. The lock is an `flock`-style
//! advisory lock (Windows: `LockFileEx`) on a file next to the database; the operating system
//! releases it when the process exits, however it exits, so a killed server never leaves a
//! stale lock behind. The lock file itself is left in place (deleting it would race with a
//! server starting at the same moment).

use std::{
    fs::{File, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
};

use fs4::fs_std::FileExt;

/// Why the database lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock: a server is already running on this database.
    #[error(
        "another magnate-server is already using the database {database} (it holds the lock \
         {lock}{holder}); stop it first, or give this server another DATABASE_PATH"
    )]
    Held {
        /// The database.
        database: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// `", process N"` when the lock file names its holder, else empty.
        holder: String,
    },
    /// The lock file cannot be created or locked.
    #[error("cannot lock {lock}: {source}")]
    Io {
        /// The lock file.
        lock: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The held lock of one database; dropping it (or exiting) releases it.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
    path: PathBuf,
}

impl DatabaseLock {
    /// Takes the lock `<database>.lock` without waiting, or says who holds it.
    pub fn acquire(database: &Path) -> Result<Self, LockError> {
        let path = lock_path(database);
        let io = |source| LockError::Io {
            lock: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        if !file.try_lock_exclusive().map_err(io)? {
            let holder = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse::<u32>().ok())
                .map(|pid| format!(", process {pid}"))
                .unwrap_or_default();
            return Err(LockError::Held {
                database: database.to_owned(),
                lock: path,
                holder,
            });
        }
        // For the message of a server that finds the lock taken; the lock is what counts.
        file.set_len(0).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `<database>.lock`, next to the database.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("magnate.db");
        let first = DatabaseLock::acquire(&database).unwrap();
        assert_eq!(first.path(), dir.path().join("magnate.db.lock"));
        let error = DatabaseLock::acquire(&database).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, LockError::Held { .. }), "{message}");
        assert!(
            message.contains(&format!("process {}", std::process::id())),
            "{message}"
        );
        let other = DatabaseLock::acquire(&dir.path().join("other.db")).unwrap();
        drop(first);
        let again = DatabaseLock::acquire(&database).unwrap();
        drop((again, other));
    }
}
