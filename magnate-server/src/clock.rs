//! Wall-clock access behind a small abstraction so tests can pin and advance time.

use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use tokio::sync::watch;

/// The source of "now" for the server: token expiry, record stamps, and the games' time.
///
/// The system clock is used in production. Tests build a manual clock and move it explicitly,
/// so token-expiry checks never need to sleep, and game timers (auctions, phase timeouts, the
/// first-connection deadline) fire when a test moves the clock past them, not after real
/// waits: virtual time. A manual clock rather than tokio's paused time, because paused time
/// jumps ahead whenever the runtime waits on real I/O (PostgreSQL, the SQLite journal thread),
/// which would fire timers at random points of a test.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<watch::Sender<DateTime<Utc>>>>,
}

impl Clock {
    /// A clock that reads the operating system's wall clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stays at `start` until it is moved with [`Clock::advance`] or [`Clock::set`].
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self {
            manual: Some(Arc::new(watch::Sender::new(start))),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(time) => *time.borrow(),
            None => Utc::now(),
        }
    }

    /// The current time in milliseconds since the Unix epoch (0 before it).
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.now().timestamp_millis()).unwrap_or(0)
    }

    /// Moves a manual clock forward by `by`, waking every [`Clock::sleep_until_ms`] it passes.
    /// Has no effect on the system clock.
    pub fn advance(&self, by: Duration) {
        if let Some(time) = &self.manual {
            time.send_modify(|now| *now += by);
        }
    }

    /// Sets a manual clock to `to`. Has no effect on the system clock.
    pub fn set(&self, to: DateTime<Utc>) {
        if let Some(time) = &self.manual {
            time.send_replace(to);
        }
    }

    /// Waits until this clock reads `at` (milliseconds since the Unix epoch) or later: on the
    /// system clock a tokio sleep, on a manual clock until a test moves it there.
    pub async fn sleep_until_ms(&self, at: u64) {
        match &self.manual {
            None => {
                let wait = at.saturating_sub(self.now_ms());
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            }
            Some(time) => {
                let mut moved = time.subscribe();
                while self.now_ms() < at {
                    if moved.changed().await.is_err() {
                        // The clock is gone with its server: nothing will ever move it.
                        std::future::pending::<()>().await;
                    }
                }
            }
        }
    }
}

/// Formats a time the way the reference does on the wire: ISO-8601, UTC, 6 fractional digits, `Z`.
pub fn format_datetime(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a time written by [`format_datetime`] (or any RFC 3339 time).
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}
