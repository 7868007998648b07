//! Start-up checks of the database file: a damaged write-ahead log, the journal mode and
//! SQLite's `quick_check`.
//!
//! SQLite replays the `-wal` file when it opens a database and silently stops at the first frame
//! whose checksum does not match: every commit after it is dropped, and on the next checkpoint
//! the loss becomes permanent. A bit flip early in the log can roll the whole database back
//! (users and games gone) without a word. So before SQLite sees the file, [`check_wal`] reads
//! the log itself, with SQLite's own frame format and checksums, and finds where replay would
//! stop:
//!
//! - the log ends cleanly (valid frames to the end, or leftover frames of an older log
//!   generation, whose salts differ): nothing is lost;
//! - the only bad frame is the log's last one: a write cut short by a crash or power cut,
//!   which loses at most the transaction that was being written. The server starts and logs a
//!   warning;
//! - the header is damaged while frames follow it, or a bad frame has more frames of the same
//!   generation after it: the log was damaged, and replay would drop those later commits. The
//!   server refuses to start; the operator restores a backup, or moves the `-wal` file away to
//!   accept the loss.

use std::{
    fs::File,
    io::{BufReader, Read},
    path::{Path, PathBuf},
};

use rusqlite::Connection;

/// Why the database may not be opened.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    /// The write-ahead log is damaged before its end.
    #[error(
        "the write-ahead log {wal} is damaged ({what}): opening the database would silently \
         drop the commits written after the damage. Restore the database and its -wal file \
         from a backup, or move {wal} away to accept losing those commits, then start again"
    )]
    DamagedWal {
        /// The `-wal` file.
        wal: PathBuf,
        /// Where the damage is.
        what: String,
    },
    /// The database is not in WAL mode after opening.
    #[error("the database could not be switched to WAL journal mode (it is {0:?}); the server needs WAL for its durability guarantees")]
    NotWal(String),
    /// `PRAGMA quick_check` found problems.
    #[error("the database file is damaged (PRAGMA quick_check: {0}); restore it from a backup")]
    Damaged(String),
    /// The log could not be read.
    #[error("cannot read {wal}: {source}")]
    Io {
        /// The `-wal` file.
        wal: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// SQLite failed while checking.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// What [`check_wal`] found in a log it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalState {
    /// No log, an empty one, or one that replays to its end.
    Clean,
    /// The log's last frame is incomplete or fails its checksum: a write cut short. At most
    /// the transaction being written is lost.
    TornTail {
        /// 1-based number of the bad frame.
        frame: u64,
    },
}

const WAL_HEADER: usize = 32;
const FRAME_HEADER: usize = 24;
const MAGIC_LITTLE: u32 = 0x377f_0682;
const MAGIC_BIG: u32 = 0x377f_0683;

/// `<database>-wal`.
pub fn wal_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Reads `<database>-wal`, if any, and decides whether SQLite can replay it without losing
/// committed data (see the module documentation). Call it before the database is opened.
pub fn check_wal(database: &Path) -> Result<WalState, IntegrityError> {
    let wal = wal_path(database);
    let io = |source| IntegrityError::Io {
        wal: wal.clone(),
        source,
    };
    let file = match File::open(&wal) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(WalState::Clean),
        Err(error) => return Err(io(error)),
    };
    let length = file.metadata().map_err(io)?.len();
    let damaged = |what: String| IntegrityError::DamagedWal {
        wal: wal.clone(),
        what,
    };
    if length == 0 {
        return Ok(WalState::Clean);
    }
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut header = [0u8; WAL_HEADER];
    if length < WAL_HEADER as u64 {
        // SQLite writes the header in one piece before any frame: a shorter file holds nothing.
        return Ok(WalState::Clean);
    }
    reader.read_exact(&mut header).map_err(io)?;
    let word = |bytes: &[u8], at: usize| {
        u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
    };
    let magic = word(&header, 0);
    let page_size = match word(&header, 8) {
        1 => 65_536,
        size => size as usize,
    };
    let big_endian = magic == MAGIC_BIG;
    let header_ok = (magic == MAGIC_LITTLE || magic == MAGIC_BIG)
        && page_size.is_power_of_two()
        && (512..=65_536).contains(&page_size)
        && checksum(big_endian, (0, 0), &header[..24]) == (word(&header, 24), word(&header, 28));
    if !header_ok {
        return if length > WAL_HEADER as u64 {
            Err(damaged("its header fails its checksum".into()))
        } else {
            Ok(WalState::Clean)
        };
    }
    let salts = (word(&header, 16), word(&header, 20));
    let mut running = (word(&header, 24), word(&header, 28));
    let frame_size = (FRAME_HEADER + page_size) as u64;
    let frames = (length - WAL_HEADER as u64).div_ceil(frame_size);
    let mut frame = vec![0u8; FRAME_HEADER + page_size];
    for number in 1..=frames {
        let start = WAL_HEADER as u64 + (number - 1) * frame_size;
        if start + frame_size > length {
            // A frame cut short can only be the last one.
            return Ok(WalState::TornTail { frame: number });
        }
        reader.read_exact(&mut frame).map_err(io)?;
        if (word(&frame, 8), word(&frame, 12)) != salts {
            // A frame of an older generation of the log: replay ends here, as it should.
            return Ok(WalState::Clean);
        }
        let sum = checksum(big_endian, running, &frame[..8]);
        let sum = checksum(big_endian, sum, &frame[FRAME_HEADER..]);
        if sum != (word(&frame, 16), word(&frame, 20)) {
            // Damage, unless no frame of this generation follows: then a write was cut short.
            let mut later = 0;
            for _ in number + 1..=frames {
                if reader.read_exact(&mut frame).is_err() {
                    break;
                }
                if (word(&frame, 8), word(&frame, 12)) == salts {
                    later += 1;
                }
            }
            if later == 0 {
                return Ok(WalState::TornTail { frame: number });
            }
            return Err(damaged(format!(
                "frame {number} of {frames} fails its checksum and {later} later frames of \
                 the same log follow it"
            )));
        }
        running = sum;
    }
    Ok(WalState::Clean)
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `(s0, s1)`.
fn checksum(big_endian: bool, (mut s0, mut s1): (u32, u32), data: &[u8]) -> (u32, u32) {
    for pair in data.chunks_exact(8) {
        let read = |bytes: &[u8]| {
            let array = [bytes[0], bytes[1], bytes[2], bytes[3]];
            if big_endian {
                u32::from_be_bytes(array)
            } else {
                u32::from_le_bytes(array)
            }
        };
        s0 = s0.wrapping_add(read(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(read(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

/// Checks an opened database: WAL journal mode, and `PRAGMA quick_check` (which reads every
/// page once, so it takes a moment on a large database).
pub fn check_open(connection: &Connection) -> Result<(), IntegrityError> {
    let mode: String = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(IntegrityError::NotWal(mode));
    }
    // A page damaged badly enough makes the check itself fail; that is a finding too.
    let problems = (|| {
        let mut statement = connection.prepare("PRAGMA quick_check")?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        rows.collect::<Result<Vec<String>, _>>()
    })()
    .map_err(|error| IntegrityError::Damaged(error.to_string()))?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    let mut summary = problems
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > 3 {
        summary.push_str(&format!("; and {} more", problems.len() - 3));
    }
    Err(IntegrityError::Damaged(summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database whose log holds `commits` committed transactions (the connection is leaked,
    /// so nothing checkpoints the log away).
    fn database_with_log(dir: &Path, commits: usize) -> PathBuf {
        let path = dir.join("magnate.db");
        let connection = Connection::open(&path).unwrap();
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .unwrap();
        connection
            .pragma_update(None, "wal_autocheckpoint", 0)
            .unwrap();
        connection.execute("CREATE TABLE t (x TEXT)", []).unwrap();
        for number in 0..commits {
            connection
                .execute("INSERT INTO t (x) VALUES (?1)", [format!("row {number}")])
                .unwrap();
        }
        std::mem::forget(connection);
        path
    }

    fn flip(path: &Path, at: u64) {
        let mut bytes = std::fs::read(path).unwrap();
        bytes[at as usize] ^= 0x55;
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn an_intact_log_is_clean_and_a_missing_one_too() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            check_wal(&dir.path().join("none.db")).unwrap(),
            WalState::Clean
        );
        let path = database_with_log(dir.path(), 5);
        assert!(std::fs::metadata(wal_path(&path)).unwrap().len() > 4096);
        assert_eq!(check_wal(&path).unwrap(), WalState::Clean);
    }

    #[test]
    fn damage_before_the_end_is_refused_and_a_torn_last_frame_is_tolerated() {
        let dir = tempfile::tempdir().unwrap();
        let path = database_with_log(dir.path(), 5);
        let wal = wal_path(&path);
        let length = std::fs::metadata(&wal).unwrap().len();
        // The last frame's last byte: a torn write.
        flip(&wal, length - 1);
        assert!(matches!(
            check_wal(&path).unwrap(),
            WalState::TornTail { .. }
        ));
        // A byte of the first frame's page: every later commit would be dropped.
        flip(&wal, (WAL_HEADER + FRAME_HEADER + 100) as u64);
        let error = check_wal(&path).unwrap_err();
        assert!(error.to_string().contains("frame 1 of"), "{error}");
        // The header itself.
        let other = tempfile::tempdir().unwrap();
        let path = database_with_log(other.path(), 2);
        flip(&wal_path(&path), 17);
        assert!(matches!(
            check_wal(&path),
            Err(IntegrityError::DamagedWal { .. })
        ));
    }

    #[test]
    fn a_sound_database_passes_the_open_checks() {
        let connection = Connection::open_in_memory().unwrap();
        // An in-memory database cannot be in WAL mode.
        assert!(matches!(
            check_open(&connection),
            Err(IntegrityError::NotWal(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        let connection = Connection::open(dir.path().join("a.db")).unwrap();
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .unwrap();
        check_open(&connection).unwrap();
    }
}
