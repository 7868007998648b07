//! Limits on WebSocket clients (issues 7 and 13): a per-connection frame rate, a flood guard,
//! and a cap on the sockets one user may hold open, which also tracks every open socket so that
//! shutdown can close them.
//!
//! Every socket (game, queue, lobby) owns a [`FrameLimiter`] with two token buckets, one for
//! chat and one for everything else. A frame over the limit is dropped: it never reaches the
//! game actor, the matchmaker or the room, and the socket stays open. The sender learns about it
//! from an error frame in the socket's usual shape, at most once per [`NOTICE_INTERVAL`], so a
//! flood is never answered frame for frame. Bot moves and timer ticks are internal and never
//! pass through a limiter.
//!
//! Frames are counted before they are parsed ([`FrameLimiter::admit_unparsed`]): a frame that
//! no bucket could accept (the actions bucket is empty, and the frame is too large to be chat or
//! the chat bucket is empty too) is dropped unread. A socket that keeps sending over its limits,
//! more than [`SocketLimits::flood_frames`] refused frames within about [`FLOOD_WINDOW`], is
//! closed ([`Admission::Close`]).
//!
//! Time is `tokio::time::Instant`, passed in by the caller, so tests drive the buckets with
//! tokio's paused clock or with instants of their own.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::{
    sync::{watch, Notify},
    time::Instant,
};

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
/// The window of the flood guard: [`SocketLimits::flood_frames`] refused frames within it close
/// the socket (the guard is a token bucket that refills completely in this time).
pub const FLOOD_WINDOW: Duration = Duration::from_secs(10);
/// How long a user whose socket was closed for flooding may not open a new one (the handshake
/// gets `429`): without it, a flooder reconnects at once and floods again.
pub const FLOOD_COOLDOWN: Duration = Duration::from_secs(10);
/// Largest frame that can be a valid chat message: a game chat object is at most 4 KiB of JSON
/// and a lobby message 500 characters, so a larger frame needs a token of the actions bucket.
pub const MAX_CHAT_FRAME_BYTES: usize = 8 * 1024;

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

    /// Whether a token is available at `now`, without taking it.
    pub fn has_token(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated);
        if now > self.updated {
            self.updated = now;
        }
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.capacity);
        self.tokens >= 1.0
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
    /// Drop the frame and close the socket: it keeps flooding (close code 1008).
    Close,
}

/// The rate limits of one connection.
#[derive(Debug, Clone)]
pub struct FrameLimiter {
    actions: Option<TokenBucket>,
    chat: Option<TokenBucket>,
    /// One token per refused frame; empty means the socket is flooding.
    flood: Option<TokenBucket>,
    last_notice: Option<Instant>,
}

impl FrameLimiter {
    /// Fresh buckets for `limits`, as of `now`; an unlimited rate gets no bucket.
    pub fn new(limits: &SocketLimits, now: Instant) -> Self {
        let bucket = |rate: Rate| (!rate.is_unlimited()).then(|| TokenBucket::new(rate, now));
        let flood = (limits.flood_frames != 0).then(|| {
            let rate = Rate {
                burst: limits.flood_frames,
                per_second: f64::from(limits.flood_frames) / FLOOD_WINDOW.as_secs_f64(),
            };
            TokenBucket::new(rate, now)
        });
        Self {
            actions: bucket(limits.actions),
            chat: bucket(limits.chat),
            flood,
            last_notice: None,
        }
    }

    /// Decides, before parsing it, about a data frame of `bytes` bytes that arrived at `now`.
    /// `Accept` means only that some bucket might take it: parse it, then call
    /// [`FrameLimiter::admit`] with its kind. Takes no token.
    pub fn admit_unparsed(&mut self, bytes: usize, now: Instant) -> Admission {
        let has_token =
            |bucket: &mut Option<TokenBucket>| bucket.as_mut().is_none_or(|b| b.has_token(now));
        if has_token(&mut self.actions)
            || (bytes <= MAX_CHAT_FRAME_BYTES && has_token(&mut self.chat))
        {
            return Admission::Accept;
        }
        self.over_limit(TOO_MANY_ACTIONS, now)
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
        self.over_limit(message, now)
    }

    /// A frame over its limit: a notice at most once a second, and the flood guard.
    fn over_limit(&mut self, message: &'static str, now: Instant) -> Admission {
        crate::metrics::rate_limited(message == TOO_MANY_MESSAGES);
        if let Some(flood) = self.flood.as_mut() {
            if !flood.try_take(now) {
                return Admission::Close;
            }
        }
        match self.last_notice {
            Some(last) if now.saturating_duration_since(last) < NOTICE_INTERVAL => Admission::Drop,
            _ => {
                self.last_notice = Some(now);
                Admission::Refuse(message)
            }
        }
    }
}

/// How many sockets each user has open, shared by the three socket endpoints; also the signal
/// that tells every open socket to close when the server shuts down.
#[derive(Debug, Clone)]
pub struct SocketSlots {
    open: Arc<Mutex<HashMap<UserId, u32>>>,
    /// Users whose socket was closed for flooding, until when they may not open another.
    cooling: Arc<Mutex<HashMap<UserId, Instant>>>,
    closing: Arc<watch::Sender<bool>>,
    released: Arc<Notify>,
}

impl Default for SocketSlots {
    fn default() -> Self {
        Self {
            open: Arc::default(),
            cooling: Arc::default(),
            closing: Arc::new(watch::channel(false).0),
            released: Arc::default(),
        }
    }
}

impl SocketSlots {
    /// Reserves a socket for `user` unless they already hold `max` (0: no limit), or one of
    /// their sockets was closed for flooding less than [`FLOOD_COOLDOWN`] ago. The slot is
    /// released when the returned guard is dropped: hand it to the socket's task, so that a
    /// refused or failed upgrade, or the socket's end, frees it.
    pub fn try_acquire(&self, user: UserId, max: u32) -> Option<SocketSlot> {
        if self.cooling_down(user, Instant::now()) {
            return None;
        }
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

    /// Whether `user` is kept out at `now` after a flood; forgets an expired cooldown.
    fn cooling_down(&self, user: UserId, now: Instant) -> bool {
        let mut cooling = self.cooling.lock().unwrap_or_else(PoisonError::into_inner);
        match cooling.get(&user) {
            Some(until) if *until > now => true,
            Some(_) => {
                cooling.remove(&user);
                false
            }
            None => false,
        }
    }

    /// Keeps `user` from opening sockets for [`FLOOD_COOLDOWN`] from `now` (one of their sockets
    /// was just closed for flooding). Expired cooldowns of other users are forgotten here, so
    /// the map holds only users who flooded recently.
    pub fn cool_down(&self, user: UserId, now: Instant) {
        let mut cooling = self.cooling.lock().unwrap_or_else(PoisonError::into_inner);
        cooling.retain(|_, until| *until > now);
        cooling.insert(user, now + FLOOD_COOLDOWN);
    }

    /// How many sockets are open (or opening), all users together.
    pub fn total(&self) -> u32 {
        self.lock().values().sum()
    }

    /// Tells every open socket, and every socket opened from now on, to close (the server is
    /// shutting down; close code 1001).
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Completes once no socket is open.
    pub async fn all_closed(&self) {
        loop {
            let released = self.released.notified();
            let mut released = std::pin::pin!(released);
            released.as_mut().enable();
            if self.total() == 0 {
                return;
            }
            released.await;
        }
    }

    /// The shutdown signal, for a socket's task.
    pub fn closing(&self) -> Closing {
        Closing(Some(self.closing.subscribe()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, u32>> {
        // Every update is a single map operation, so a poisoned lock is still consistent.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Completes when the server shuts down ([`SocketSlots::close_all`]).
#[derive(Debug, Clone)]
pub struct Closing(Option<watch::Receiver<bool>>);

impl Closing {
    /// A signal that never fires, for sockets driven by unit tests.
    pub fn never() -> Self {
        Self(None)
    }

    /// Waits for the shutdown.
    pub async fn wait(&mut self) {
        match self.0.as_mut() {
            Some(receiver) => {
                if receiver.wait_for(|closing| *closing).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }
}

/// One open (or opening) socket of a user; dropping it gives the slot back.
#[derive(Debug)]
pub struct SocketSlot {
    slots: SocketSlots,
    user: UserId,
}

impl SocketSlot {
    /// The shutdown signal.
    pub fn closing(&self) -> Closing {
        self.slots.closing()
    }

    /// Called when this socket ends with `close_code`: a socket closed for flooding keeps its
    /// user from opening new ones for a while ([`SocketSlots::cool_down`]).
    pub fn closed_with(&self, close_code: Option<u16>) {
        if close_code == Some(crate::ws::CLOSE_FLOOD) {
            self.slots.cool_down(self.user, Instant::now());
        }
    }
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
        drop(open);
        self.slots.released.notify_waiters();
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
    fn frames_no_bucket_could_take_are_refused_before_parsing() {
        let start = Instant::now();
        let limits = SocketLimits {
            actions: rate(2, 0.01),
            chat: rate(1, 0.01),
            flood_frames: 0,
            ..SocketLimits::default()
        };
        let mut limiter = FrameLimiter::new(&limits, start);
        for _ in 0..2 {
            assert_eq!(limiter.admit_unparsed(60_000, start), Admission::Accept);
            assert_eq!(limiter.admit(FrameKind::Action, start), Admission::Accept);
        }
        // No action token: a large frame cannot be chat, so it is refused unread ...
        assert_eq!(
            limiter.admit_unparsed(MAX_CHAT_FRAME_BYTES + 1, start),
            Admission::Refuse(TOO_MANY_ACTIONS)
        );
        // ... while a small one may still be a chat message.
        assert_eq!(
            limiter.admit_unparsed(MAX_CHAT_FRAME_BYTES, start),
            Admission::Accept
        );
        assert_eq!(limiter.admit(FrameKind::Chat, start), Admission::Accept);
        assert_eq!(limiter.admit_unparsed(10, start), Admission::Drop);
    }

    #[test]
    fn a_socket_over_its_limits_for_too_long_is_closed() {
        let start = Instant::now();
        let limits = SocketLimits {
            actions: rate(1, 0.01),
            chat: rate(1, 0.01),
            flood_frames: 10,
            ..SocketLimits::default()
        };
        let mut limiter = FrameLimiter::new(&limits, start);
        assert_eq!(limiter.admit(FrameKind::Action, start), Admission::Accept);
        let verdicts: Vec<Admission> = (0..11)
            .map(|_| limiter.admit_unparsed(60_000, start))
            .collect();
        assert_eq!(verdicts[0], Admission::Refuse(TOO_MANY_ACTIONS));
        assert!(verdicts[1..10].iter().all(|v| *v == Admission::Drop));
        assert_eq!(verdicts[10], Admission::Close);
        // The guard refills over its window: a second later, one more refused frame is allowed.
        let later = start + Duration::from_secs(1);
        assert_eq!(
            limiter.admit(FrameKind::Action, later),
            Admission::Refuse(TOO_MANY_ACTIONS)
        );
        assert_eq!(limiter.admit(FrameKind::Action, later), Admission::Close);
        // Off: never closed.
        let mut limiter = FrameLimiter::new(
            &SocketLimits {
                flood_frames: 0,
                ..limits
            },
            start,
        );
        for _ in 0..10_000 {
            assert_ne!(limiter.admit_unparsed(60_000, start), Admission::Close);
        }
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

    #[test]
    fn a_flooder_is_kept_out_for_the_cooldown_and_only_the_flooder() {
        let slots = SocketSlots::default();
        let start = Instant::now();
        slots.cool_down(7, start);
        assert!(slots.cooling_down(7, start + FLOOD_COOLDOWN - Duration::from_millis(1)));
        assert!(!slots.cooling_down(8, start));
        assert!(!slots.cooling_down(7, start + FLOOD_COOLDOWN));
        // Expired entries do not pile up.
        slots.cool_down(7, start);
        slots.cool_down(8, start + FLOOD_COOLDOWN);
        assert_eq!(slots.cooling.lock().unwrap().len(), 1);
    }
}
