//! Writing to stdout without panicking when the reader goes away (`magnate ... | head`).

use std::io::{ErrorKind, Write};

/// Writes `text` to stdout; a closed pipe ends the program quietly with success.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == ErrorKind::BrokenPipe => std::process::exit(0),
        result => Ok(result?),
    }
}

/// Writes `text` and a newline to stdout.
pub fn println(text: &str) -> anyhow::Result<()> {
    print(&format!("{text}\n"))
}
