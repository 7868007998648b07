//! The acknowledgement log (`--ack-log FILE`): one JSON line per `game_action` frame a client
//! received, `{"game_id": <i64>, "observer": <user id>, "at_ms": <Unix ms>, "data": <the
//! frame's data>}`, for
//! `magnate verify-db --acks`. A writer thread owns the file and flushes whenever it has caught
//! up, so the file trails the clients by milliseconds (scripts watch it grow) and a killed load
//! generator loses at most the lines of the last moment.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::Path,
    sync::mpsc,
    thread::JoinHandle,
};

use serde_json::{json, Value};

enum Line {
    Ack(String),
    Finish,
}

/// A handle to the writer; cheap to share.
pub struct AckLog {
    sender: mpsc::Sender<Line>,
}

/// Waits for the writer to finish.
pub struct AckLogWriter {
    thread: JoinHandle<std::io::Result<u64>>,
}

impl AckLog {
    /// Creates (truncates) `path` and starts the writer.
    pub fn create(path: &Path) -> anyhow::Result<(AckLog, AckLogWriter)> {
        let mut file = BufWriter::with_capacity(1 << 16, File::create(path)?);
        let (sender, receiver) = mpsc::channel::<Line>();
        let thread = std::thread::spawn(move || {
            let mut lines = 0u64;
            let mut next = receiver.recv().ok();
            while let Some(line) = next {
                match line {
                    Line::Ack(text) => {
                        file.write_all(text.as_bytes())?;
                        file.write_all(b"\n")?;
                        lines += 1;
                    }
                    Line::Finish => break,
                }
                next = match receiver.try_recv() {
                    Ok(line) => Some(line),
                    Err(_) => {
                        file.flush()?;
                        receiver.recv().ok()
                    }
                };
            }
            file.flush()?;
            Ok(lines)
        });
        Ok((AckLog { sender }, AckLogWriter { thread }))
    }

    /// Logs one received `game_action` frame's `data`, with when it arrived (`at_ms`, Unix
    /// milliseconds; `benches/cluster-fault.sh` measures failover with it).
    pub fn log(&self, game_id: i64, observer: i64, data: &Value) {
        let at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        let line = json!({"game_id": game_id, "observer": observer, "at_ms": at_ms, "data": data})
            .to_string();
        let _ = self.sender.send(Line::Ack(line));
    }

    /// Asks the writer to flush and stop; later lines are dropped.
    pub fn finish(&self) {
        let _ = self.sender.send(Line::Finish);
    }
}

impl AckLogWriter {
    /// The number of lines written.
    pub fn join(self) -> anyhow::Result<u64> {
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the ack-log writer panicked"))?
            .map_err(Into::into)
    }
}
