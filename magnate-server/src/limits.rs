//! Limits on WebSocket clients (issue 7): a per-connection frame rate and a cap on the sockets
//! one user may hold open.
//!
//! Every socket (game, queue, lobby) owns a [`FrameLimiter`] with two token buckets, one for
//! chat and one for everything else. A frame over the limit is dropped: it never reaches the
//! game actor, the matchmaker or the room, and the socket stays open. The sender learns about it
//! from an error frame in the socket's usual shape, at most once per [`NOTICE_INTERVAL`], so a
//! flood is never answered frame for frame. Bot moves and timer ticks are internal and never
//! pass through a limiter.
//!
//! Time is `tokio::time::Instant`, passed in by the caller, so tests drive the buckets with
//! tokio's paused clock or with instants of their own.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::time::Instant;

use crate::{
    config::{Rate, SocketLimits},
    store::UserId,
};

/// The error text for actions over the limit (Spanish, like the lobby's messages).
pub const TOO_MANY_ACTIONS: &str = "Demasiadas acciones, espera un momento.";
/// The error text for chat messages over the limit.
pub const TOO_MANY_MESSAGES: &str = "Demasiados mensajes, espera un momento.";
/// Shortest time between two rate-limit error frames on one connection.
pub const NOTICE_INTERVAL: Duration = Duration::from_secs(1);

/// A token bucket: holds up to `burst` tokens, refilled continuously at `per_second`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket for `rate`, as of `now`.
    pub fn new(rate: Rate, now: Instant) -> Self {
        let capacity = f64::from(rate.burst);
        Self {
            capacity,
            per_second: rate.per_second,
            tokens: capacity,
            updated: now,
        }
    }

    /// Takes one token if there is one. A `now` earlier than the last one counts as the last.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated);
        if now > self.updated {
            self.updated = now;
        }
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Which budget a client frame draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// Any data frame that is not chat, including invalid frames that get an error reply.
    Action,
    /// A chat message.
    Chat,
}

/// What a socket does with a frame, according to its [`FrameLimiter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Handle the frame as usual.
    Accept,
    /// Drop the frame without a reply: the sender was told recently.
    Drop,
    /// Drop the frame and send the sender this error message.
    Refuse(&'static str),
}

/// The rate limits of one connection.
#[derive(Debug, Clone)]
pub struct FrameLimiter {
    actions: Option<TokenBucket>,
    chat: Option<TokenBucket>,
    last_notice: Option<Instant>,
}

impl FrameLimiter {
    /// Fresh buckets for `limits`, as of `now`; an unlimited rate gets no bucket.
    pub fn new(limits: &SocketLimits, now: Instant) -> Self {
        let bucket = |rate: Rate| (!rate.is_unlimited()).then(|| TokenBucket::new(rate, now));
        Self {
            actions: bucket(limits.actions),
            chat: bucket(limits.chat),
            last_notice: None,
        }
    }

    /// Decides about one frame of `kind` that arrived at `now`.
    pub fn admit(&mut self, kind: FrameKind, now: Instant) -> Admission {
        let (bucket, message) = match kind {
            FrameKind::Action => (&mut self.actions, TOO_MANY_ACTIONS),
            FrameKind::Chat => (&mut self.chat, TOO_MANY_MESSAGES),
        };
        let accepted = bucket.as_mut().is_none_or(|bucket| bucket.try_take(now));
        if accepted {
            return Admission::Accept;
        }
        crate::metrics::rate_limited(matches!(kind, FrameKind::Chat));
        match self.last_notice {
            Some(last) if now.saturating_duration_since(last) < NOTICE_INTERVAL => Admission::Drop,
            _ => {
                self.last_notice = Some(now);
                Admission::Refuse(message)
            }
        }
    }
}

/// How many sockets each user has open, shared by the three socket endpoints.
#[derive(Debug, Clone, Default)]
pub struct SocketSlots {
    open: Arc<Mutex<HashMap<UserId, u32>>>,
}

impl SocketSlots {
    /// Reserves a socket for `user` unless they already hold `max` (0: no limit). The slot is
    /// released when the returned guard is dropped: hand it to the socket's task, so that a
    /// refused or failed upgrade, or the socket's end, frees it.
    pub fn try_acquire(&self, user: UserId, max: u32) -> Option<SocketSlot> {
        let mut open = self.lock();
        let count = open.entry(user).or_insert(0);
        if max != 0 && *count >= max {
            metrics::counter!("magnate_socket_cap_refusals_total").increment(1);
            return None;
        }
        *count += 1;
        Some(SocketSlot {
            slots: self.clone(),
            user,
        })
    }

    /// How many sockets `user` holds.
    pub fn open(&self, user: UserId) -> u32 {
        self.lock().get(&user).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, u32>> {
        // Every update is a single map operation, so a poisoned lock is still consistent.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One open (or opening) socket of a user; dropping it gives the slot back.
#[derive(Debug)]
pub struct SocketSlot {
    slots: SocketSlots,
    user: UserId,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        if let Some(count) = open.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(burst: u32, per_second: f64) -> Rate {
        Rate { burst, per_second }
    }

    /// How many of `count` takes at `now` succeed.
    fn take_many(bucket: &mut TokenBucket, count: usize, now: Instant) -> usize {
        (0..count).filter(|_| bucket.try_take(now)).count()
    }

    #[test]
    fn a_full_bucket_gives_its_burst_then_refills_at_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(rate(30, 10.0), start);
        assert_eq!(take_many(&mut bucket, 100, start), 30);
        // 10 per second: one token every 100 ms.
        assert!(!bucket.try_take(start + Duration::from_millis(99)));
        assert!(bucket.try_take(start + Duration::from_millis(100)));
        assert_eq!(
            take_many(&mut bucket, 100, start + Duration::from_secs(1)),
            9
        );
        // A long pause refills to the burst, never beyond.
        assert_eq!(
            take_many(&mut bucket, 100, start + Duration::from_secs(60)),
            30
        );
    }

    #[test]
    fn time_running_backwards_adds_no_tokens() {
        let start = Instant::now() + Duration::from_secs(10);
        let mut bucket = TokenBucket::new(rate(1, 1.0), start);
        assert!(bucket.try_take(start));
        assert!(!bucket.try_take(start - Duration::from_secs(5)));
        assert!(!bucket.try_take(start + Duration::from_millis(999)));
        assert!(bucket.try_take(start + Duration::from_secs(1)));
    }

    #[test]
    fn a_slow_rate_refills_fractionally() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(rate(1, 0.5), start);
        assert!(bucket.try_take(start));
        assert!(!bucket.try_take(start + Duration::from_millis(1999)));
        assert!(bucket.try_take(start + Duration::from_secs(2)));
    }

    #[test]
    fn excess_frames_get_one_notice_per_second_and_chat_has_its_own_budget() {
        let start = Instant::now();
        let limits = SocketLimits {
            actions: rate(3, 1.0),
            chat: rate(2, 1.0),
            max_per_user: 8,
            ..SocketLimits::default()
        };
        let mut limiter = FrameLimiter::new(&limits, start);
        let verdicts: Vec<Admission> = (0..6)
            .map(|_| limiter.admit(FrameKind::Action, start))
            .collect();
        assert_eq!(
            verdicts,
            [
                Admission::Accept,
                Admission::Accept,
                Admission::Accept,
                Admission::Refuse(TOO_MANY_ACTIONS),
                Admission::Drop,
                Admission::Drop,
            ]
        );
        // Chat still has its budget; once exhausted it stays quiet within the same second.
        assert_eq!(limiter.admit(FrameKind::Chat, start), Admission::Accept);
        assert_eq!(limiter.admit(FrameKind::Chat, start), Admission::Accept);
        assert_eq!(limiter.admit(FrameKind::Chat, start), Admission::Drop);
        let later = start + Duration::from_millis(500);
        assert_eq!(limiter.admit(FrameKind::Action, later), Admission::Drop);
        // A second after the notice: a token is back, and the next excess frame is told again.
        let second = start + Duration::from_secs(1);
        assert_eq!(limiter.admit(FrameKind::Action, second), Admission::Accept);
        assert_eq!(
            limiter.admit(FrameKind::Action, second),
            Admission::Refuse(TOO_MANY_ACTIONS)
        );
        assert_eq!(limiter.admit(FrameKind::Chat, second), Admission::Accept);
        let third = start + Duration::from_millis(2500);
        assert_eq!(limiter.admit(FrameKind::Chat, third), Admission::Accept);
        assert_eq!(
            limiter.admit(FrameKind::Chat, third),
            Admission::Refuse(TOO_MANY_MESSAGES)
        );
    }

    #[test]
    fn an_unlimited_rate_accepts_everything() {
        let start = Instant::now();
        let limits = SocketLimits {
            actions: Rate::UNLIMITED,
            chat: rate(1, 1.0),
            max_per_user: 0,
            ..SocketLimits::default()
        };
        let mut limiter = FrameLimiter::new(&limits, start);
        for _ in 0..10_000 {
            assert_eq!(limiter.admit(FrameKind::Action, start), Admission::Accept);
        }
        assert_eq!(limiter.admit(FrameKind::Chat, start), Admission::Accept);
        assert_eq!(
            limiter.admit(FrameKind::Chat, start),
            Admission::Refuse(TOO_MANY_MESSAGES)
        );
    }

    #[test]
    fn slots_are_capped_per_user_and_given_back_on_drop() {
        let slots = SocketSlots::default();
        let held: Vec<SocketSlot> = (0..3)
            .map(|_| slots.try_acquire(7, 3).expect("a free slot"))
            .collect();
        assert!(slots.try_acquire(7, 3).is_none());
        let other = slots
            .try_acquire(8, 3)
            .expect("another user has their own slots");
        assert_eq!((slots.open(7), slots.open(8)), (3, 1));
        drop(held);
        drop(other);
        assert_eq!((slots.open(7), slots.open(8)), (0, 0));
        assert!(slots.lock().is_empty());
        let unlimited: Vec<SocketSlot> = (0..100)
            .map(|_| slots.try_acquire(7, 0).expect("no limit"))
            .collect();
        assert_eq!(slots.open(7), 100);
        drop(unlimited);
    }
}
