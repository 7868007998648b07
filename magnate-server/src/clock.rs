//! Wall-clock access behind a small abstraction so tests can pin and advance time.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// The source of "now" for the server.
///
/// The system clock is used in production. Tests build a manual clock and move it explicitly,
/// so token-expiry checks never need to sleep.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// A clock that reads the operating system's wall clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stays at `start` until it is moved with [`Clock::advance`] or [`Clock::set`].
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self {
            manual: Some(Arc::new(Mutex::new(start))),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(time) => *time.lock().unwrap_or_else(PoisonError::into_inner),
            None => Utc::now(),
        }
    }

    /// Moves a manual clock forward by `by`. Has no effect on the system clock.
    pub fn advance(&self, by: Duration) {
        if let Some(time) = &self.manual {
            let mut guard = time.lock().unwrap_or_else(PoisonError::into_inner);
            *guard += by;
        }
    }

    /// Sets a manual clock to `to`. Has no effect on the system clock.
    pub fn set(&self, to: DateTime<Utc>) {
        if let Some(time) = &self.manual {
            *time.lock().unwrap_or_else(PoisonError::into_inner) = to;
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
